"""Finding, downloading and checking dataset files.

A dataset is a folder name (``"mnist"``) and the files it needs, each pinned
by its SHA-256. Files are looked up, in order, in:

1. the offline data folder ``$LAMINA_DATA_DIR/<name>/`` (read-only copies),
2. the cache folder ``<cache>/datasets/<name>/``, where ``<cache>`` is the
   ``cache_dir`` argument, else ``$LAMINA_CACHE_DIR``, else ``~/.lamina``,
3. the network: downloaded into the cache folder.

Every file is checked against its hash before use (the result is remembered
per path, size and modification time, so a second load does not hash again).
"""
import csv
import gzip
import hashlib
import io
import os
import sys
import tempfile
import urllib.parse
import urllib.request
import zlib
from typing import NamedTuple, Optional

import numpy as np

from lamina.progbar import Progbar

# The function that opens a URL; tests replace it so they never touch the network.
_urlopen = urllib.request.urlopen

_CHUNK_SIZE = 1 << 20
_hash_cache = {}  # (path, size, mtime_ns, algorithm) -> hex digest


class DataFile(NamedTuple):
    """One file of a dataset: its pinned SHA-256 and where to download it (or None)."""
    sha256: str
    origin: Optional[str] = None


def data_dir():
    """Returns the offline data folder ($LAMINA_DATA_DIR), or None if it is not set."""
    return os.environ.get("LAMINA_DATA_DIR") or None


def cache_root(cache_dir=None):
    """Returns the cache folder: ``cache_dir``, else $LAMINA_CACHE_DIR, else ~/.lamina."""
    root = cache_dir or os.environ.get("LAMINA_CACHE_DIR") or os.path.join("~", ".lamina")
    return os.path.abspath(os.path.expanduser(root))


def file_hash(path, algorithm="sha256"):
    """Returns the hex digest of a file, remembered per (path, size, mtime)."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, algorithm)
    if key not in _hash_cache:
        hasher = hashlib.new(algorithm)
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK_SIZE), b""):
                hasher.update(chunk)
        _hash_cache[key] = hasher.hexdigest()
    return _hash_cache[key]


def _hash_algorithm(expected, hash_algorithm="auto"):
    if hash_algorithm == "auto":
        return "sha256" if len(expected) == 64 else "md5"
    if hash_algorithm not in ("sha256", "md5"):
        raise ValueError(f"Unknown hash_algorithm {hash_algorithm!r}; expected 'auto', 'sha256' or 'md5'.")
    return hash_algorithm


def check_file(path, expected, hash_algorithm="auto"):
    """Raises ValueError if the file's hash is not ``expected``.

    Args:
        path: The file to check.
        expected: The expected hex digest.
        hash_algorithm: 'sha256', 'md5' or 'auto' (chosen from the digest length).
    """
    algorithm = _hash_algorithm(expected, hash_algorithm)
    actual = file_hash(path, algorithm)
    if actual != expected.lower():
        raise ValueError(
            f"The file {path} is corrupt or incomplete: its {algorithm} is {actual}, "
            f"expected {expected}. Delete or replace it and try again.")


def _download(origin, path, expected=None, hash_algorithm="auto"):
    """Downloads ``origin`` to ``path`` atomically, checking its hash.

    The data goes to a temporary file next to ``path`` that is renamed only
    once complete and verified, so an interrupted or corrupt download never
    leaves a file that looks finished.
    """
    algorithm = _hash_algorithm(expected, hash_algorithm) if expected else "sha256"
    hasher = hashlib.new(algorithm)
    print(f"Downloading data from {origin}")
    with _urlopen(origin, timeout=60) as response:
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                        suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                progbar = Progbar(total)
                done = 0
                for chunk in iter(lambda: response.read(_CHUNK_SIZE), b""):
                    out.write(chunk)
                    hasher.update(chunk)
                    done += len(chunk)
                    progbar.update(done, finalize=False)
                progbar.update(done, finalize=True)
            actual = hasher.hexdigest()
            if expected and actual != expected.lower():
                raise ValueError(
                    f"The file downloaded from {origin} for {path} is corrupt: its {algorithm} "
                    f"is {actual}, expected {expected}. It was removed; try again later.")
            os.replace(tmp_path, path)
        except BaseException:
            if os.path.exists(tmp_path):
                os.remove(tmp_path)
            raise
    stat = os.stat(path)
    _hash_cache[(os.path.abspath(path), stat.st_size, stat.st_mtime_ns, algorithm)] = actual
    return path


def get_file(fname=None, origin=None, *, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL if it is not already in the cache.

    Like ``keras.utils.get_file``: the file is stored as
    ``<cache_dir>/<cache_subdir>/<fname>``; a cached copy whose hash does not
    match is downloaded again.

    Args:
        fname: File name in the cache. If None, the last part of ``origin``.
        origin: URL of the file (``https://``, ``http://`` or ``file://``).
        file_hash: Expected SHA-256 (or MD5) hex digest, or None to skip the check.
        cache_subdir: Folder under the cache root (an absolute path is used as is).
        hash_algorithm: 'sha256', 'md5' or 'auto' (chosen from the digest length).
        cache_dir: Cache root; default $LAMINA_CACHE_DIR, else ``~/.lamina``.
        force_download: Download even if a good copy is cached.

    Returns:
        The path of the local file.
    """
    if origin is None:
        raise ValueError('get_file needs an origin URL, e.g. origin="https://.../file.npz".')
    fname = fname or os.path.basename(urllib.parse.urlparse(origin).path)
    if not fname:
        raise ValueError(f"Cannot tell a file name from origin {origin!r}; pass fname.")
    path = os.path.join(cache_root(cache_dir), cache_subdir, fname)
    if os.path.exists(path) and not force_download:
        if file_hash is None:
            return path
        try:
            check_file(path, file_hash, hash_algorithm)
            return path
        except ValueError as e:
            print(f"{e} Downloading it again.", file=sys.stderr)
    return _download(origin, path, file_hash, hash_algorithm)


def find_local(name, fname, sha256, cache_dir=None):
    """Returns the verified path of a dataset file on disk, or None if absent.

    Looks in ``$LAMINA_DATA_DIR/<name>/`` then in the cache folder. A copy
    whose SHA-256 (or MD5, for a 32-digit pin as Keras gives some) is wrong raises
    ValueError naming it.
    """
    folders = [os.path.join(data_dir(), name)] if data_dir() else []
    folders.append(os.path.join(cache_root(cache_dir), "datasets", name))
    for folder in folders:
        path = os.path.join(folder, fname)
        if os.path.isfile(path):
            check_file(path, sha256, "auto")
            return path
    return None


def fetch(name, layouts, cache_dir=None, download=True, hint=None):
    """Returns verified local paths for one complete set of a dataset's files.

    Args:
        name: The dataset's folder name, e.g. 'mnist'.
        layouts: A dict ``{file name: DataFile}``, or a list of such dicts
            when a dataset comes in alternative forms (preferred first). A set
            found complete on disk wins; otherwise the first set whose files
            all have an origin is downloaded into the cache (if that fails, or
            a download has the wrong SHA-256, the next one is tried).
        cache_dir: Cache root (see ``cache_root``).
        download: If False, only look on disk.
        hint: Extra text for the error, e.g. where to get files that have no
            download address.

    Returns:
        A dict ``{file name: path}``.

    Raises:
        FileNotFoundError: nothing found on disk and the download failed,
            with the files needed and the folders where they can be put by hand.
        ValueError: a file on disk or downloaded has the wrong SHA-256.
    """
    layouts = [layouts] if isinstance(layouts, dict) else list(layouts)
    for files in layouts:
        paths = {f: find_local(name, f, spec.sha256, cache_dir) for f, spec in files.items()}
        if all(paths.values()):
            return paths

    errors, corrupt = [], None
    for files in layouts if download else []:
        if not all(spec.origin for spec in files.values()):
            continue
        paths = {}
        try:
            for f, spec in files.items():
                paths[f] = find_local(name, f, spec.sha256, cache_dir) or get_file(
                    f, spec.origin, file_hash=spec.sha256,
                    cache_subdir=os.path.join("datasets", name), cache_dir=cache_dir)
            return paths
        except OSError as e:  # URLError, HTTPError, timeouts, disk errors
            errors.append(f"{spec.origin}: {e}")
        except ValueError as e:  # a download with the wrong checksum (already removed)
            corrupt = corrupt or e
            errors.append(f"{spec.origin}: {e}")
    if corrupt is not None:
        raise corrupt
    if not download:
        errors.append("not attempted (download=False)")
    raise FileNotFoundError(_missing_message(name, layouts, errors, cache_dir, hint))


def _missing_message(name, layouts, errors, cache_dir, hint=None):
    lines = [f"The {name} dataset is not on this computer and could not be downloaded."]
    lines += [f"  Download failed: {e}" for e in errors]
    lines.append("To use it offline, put these files (either set):" if len(layouts) > 1
                 else "To use it offline, put these files:")
    lines += ["  " + ", ".join(files) for files in layouts]
    where = data_dir()
    lines.append(f"into <LAMINA_DATA_DIR>/{name}/ (LAMINA_DATA_DIR is "
                 + (f"{where}, so {os.path.join(where, name)}/)" if where else "not set)"))
    lines.append(f"or into the cache folder {os.path.join(cache_root(cache_dir), 'datasets', name)}/")
    if hint:
        lines.append(hint)
    return "\n".join(lines)


_table_cache = {}  # (path, size, mtime_ns, header, names) -> parsed table


def read_csv_table(path, header=True, names=None, data=None):
    """Reads a CSV file into NumPy columns (with pandas if installed, else the csv module).

    Each column becomes int64 if every value is an integer, else float64 if every
    value is a number or empty (empty: NaN), else text. Blank lines are skipped.
    The parsed table is remembered per file version; callers get copies.

    Args:
        path: The CSV file (also used as the cache key when ``data`` is given).
        header: Whether the first row holds the column names.
        names: Column names to use (for a file without a header).
        data: The file's bytes, if already read (e.g. from an archive).

    Returns:
        A dict ``{column name: array}`` in file order.
    """
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, header, tuple(names or ()),
           None if data is None else hashlib.sha256(data).hexdigest())
    if key not in _table_cache:
        _table_cache[key] = _parse_csv(path, header, names, data)
    return {n: c.copy() for n, c in _table_cache[key].items()}


def _parse_csv(path, header, names, data):
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:  # NOTE: only for speed (10x faster); the csv module gives the same
        frame = pd.read_csv(path if data is None else io.BytesIO(data),
                            header=0 if header else None, names=names)
        return {str(n): c.to_numpy() if c.dtype.kind in "iuf" else c.to_numpy().astype(str)
                for n, c in frame.items()}
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    rows = [row for row in csv.reader(io.StringIO(data.decode("utf-8"))) if row]
    if header:
        names, rows = (names or rows[0]), rows[1:]
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise ValueError(f"{path}: row {i + 1 + header} has {len(row)} values, expected "
                             f"{len(names)} ({names}).")
    columns = zip(*rows) if rows else [()] * len(names)
    return {n: _parse_column(np.array(c, dtype=str)) for n, c in zip(names, columns)}


def _parse_column(text):
    """int64, float64 (empty -> NaN) or the text itself."""
    try:
        return text.astype(np.int64)
    except ValueError:
        pass
    try:
        return np.where(text == "", "nan", text).astype(np.float64)
    except ValueError:
        return text


def read_idx(path, magic):
    """Reads a gzipped IDX file (the MNIST format) into a writable uint8 array.

    Args:
        path: A ``.gz`` IDX file.
        magic: The expected magic number: 0x803 for images, 0x801 for labels.

    Returns:
        Images as (n, rows, cols) or labels as (n,), dtype uint8.
    """
    with open(path, "rb") as f:
        compressed = f.read()
    try:
        data = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} is not a complete gzip file (it may be truncated or "
                         f"corrupt): {type(e).__name__}: {e}") from e
    found = int.from_bytes(data[:4], "big")
    ndim = magic & 0xFF  # 0x08 (unsigned bytes) then the number of dimensions
    if len(data) < 4 * (1 + ndim) or found != magic:
        raise ValueError(f"{path} is not an IDX file with magic number {magic:#x}; "
                         f"it starts with {found:#x}.")
    header = np.frombuffer(data, dtype=">u4", count=1 + ndim)
    shape = tuple(int(n) for n in header[1:])
    offset = 4 * (1 + ndim)
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(f"{path} should hold {int(np.prod(shape))} bytes of data for shape "
                         f"{shape}, but holds {len(data) - offset}.")
    # NOTE: frombuffer views the read-only bytes; copy so callers may edit the arrays.
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()


def shuffle_split(x, y, test_split=0.2, seed=113):
    """Shuffles rows with ``np.random.RandomState(seed)`` and splits off the last
    ``test_split`` of them, as ``keras.datasets.california_housing`` does.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    at = int(len(x) * (1 - test_split))
    return (x[:at], y[:at]), (x[at:], y[at:])
