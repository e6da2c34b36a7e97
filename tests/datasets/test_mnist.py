"""MNIST and Fashion-MNIST loaders, and the find/check/download helper behind them.

Real data comes from the offline folder (LAMINA_DATA_DIR, set in conftest.py).
No test reaches the network: the URL opener is replaced by one that refuses,
or that only serves local file:// URLs.
"""
import gzip
import hashlib
import io
import os
import shutil

import numpy as np
import pytest

from lamina.datasets import _files, fashion_mnist, mnist
from lamina.utils import get_file

DATA_DIR = os.environ.get("LAMINA_DATA_DIR")
needs_data = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "mnist")),
    reason="the offline data folder (LAMINA_DATA_DIR) is not available")
IDX_NAMES = list(mnist.IDX_FILES)





def pixel_mean_std(x):
    """Mean and standard deviation of pixels scaled to [0, 1], from a histogram (fast)."""
    flat = x.ravel()
    # In chunks: bincount converts its input to int64, 8x the memory of the images.
    counts = sum(np.bincount(flat[i:i + (1 << 20)], minlength=256) for i in range(0, flat.size, 1 << 20))
    values = np.arange(256) / 255.0
    mean = (counts * values).sum() / counts.sum()
    return mean, np.sqrt((counts * (values - mean) ** 2).sum() / counts.sum())


def idx_payload(path, header_bytes):
    with gzip.open(path, "rb") as f:
        return f.read()[header_bytes:]


@needs_data
def test_mnist_arrays():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # Published facts about MNIST: class counts, first labels, the 0.1307/0.3081 normalisation.
    np.testing.assert_array_equal(
        np.bincount(y_train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    np.testing.assert_array_equal(
        np.bincount(y_test), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    np.testing.assert_array_equal(y_train[:8], [5, 0, 4, 1, 9, 2, 1, 3])
    mean, std = pixel_mean_std(x_train)
    assert abs(mean - 0.1307) < 1e-4 and abs(std - 0.3081) < 1e-4
    # Pixels are exactly the IDX payload after its 16-byte header, in order.
    raw = idx_payload(os.path.join(DATA_DIR, "mnist", "train-images-idx3-ubyte.gz"), 16)
    assert hashlib.sha256(x_train.tobytes()).digest() == hashlib.sha256(raw).digest()
    x_train[0, 0, 0] = 1  # writable, like Keras's arrays


@needs_data
def test_fashion_mnist_arrays():
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    mean, std = pixel_mean_std(x_train)
    assert abs(mean - 0.2860) < 1e-4 and abs(std - 0.3530) < 1e-4
    raw = idx_payload(os.path.join(DATA_DIR, "fashion_mnist", "t10k-labels-idx1-ubyte.gz"), 8)
    assert y_test.tobytes() == raw
    assert len(fashion_mnist.CLASS_NAMES) == 10


@needs_data
def test_corrupt_offline_copy_is_rejected(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for name in IDX_NAMES[1:]:
        os.symlink(os.path.join(DATA_DIR, "mnist", name), folder / name)
    bad = folder / IDX_NAMES[0]
    bad.write_bytes(b"not the MNIST images")
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(ValueError) as info:
        mnist.load_data()
    message = str(info.value)
    assert str(bad) in message
    assert mnist.IDX_FILES[IDX_NAMES[0]].sha256 in message
    assert hashlib.sha256(b"not the MNIST images").hexdigest() in message


def test_missing_data_offline_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    for name in IDX_NAMES + ["mnist.npz", "network disabled in tests",
                             os.path.join(str(tmp_path / "nowhere"), "mnist"),
                             os.path.join(str(tmp_path / "cache"), "datasets", "mnist")]:
        assert name in message
    assert not os.path.exists(tmp_path / "cache")  # a failed download leaves nothing behind


def test_mnist_npz_is_downloaded_into_the_cache_once(tmp_path, monkeypatch, downloads):
    monkeypatch.delenv("LAMINA_DATA_DIR", raising=False)
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 2, dtype=np.uint8)}
    server = tmp_path / "server"
    server.mkdir()
    np.savez(server / "mnist.npz", **arrays)
    monkeypatch.setattr(mnist, "ORIGIN", server.as_uri() + "/")
    monkeypatch.setattr(mnist, "NPZ_SHA256", hashlib.sha256((server / "mnist.npz").read_bytes()).hexdigest())
    downloads(True)

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    cached = tmp_path / "cache" / "datasets" / "mnist"
    assert sorted(os.listdir(cached)) == ["mnist.npz"]  # no temporary file left

    downloads(False)  # now served from the cache
    (x_train2, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train2, arrays["x_train"])


def test_get_file_downloads_to_a_temp_file_then_renames(tmp_path, monkeypatch, capsys, downloads):
    downloads(True)
    source = tmp_path / "payload.bin"
    source.write_bytes(os.urandom(3 << 20))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    renamed = []
    real_replace = os.replace

    def spy_replace(src, dst):
        renamed.append((os.path.basename(src), os.path.getsize(src)))
        real_replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", spy_replace)
    path = get_file("data.bin", origin=source.as_uri(), file_hash=digest, cache_subdir="sub")
    assert path == os.path.join(str(tmp_path / "cache"), "sub", "data.bin")
    assert open(path, "rb").read() == source.read_bytes()
    (tmp_name, size), = renamed
    assert tmp_name.startswith(".data.bin.") and tmp_name.endswith(".part") and size == 3 << 20
    out = capsys.readouterr().out
    assert out.startswith(f"Downloading data from {source.as_uri()}\n")
    assert f"{3 << 20}/{3 << 20} [==============================]" in out
    # A good cached copy is not downloaded again.
    downloads(False)
    assert get_file("data.bin", origin=source.as_uri(), file_hash=digest, cache_subdir="sub") == path


def test_download_with_wrong_checksum_is_removed(tmp_path, monkeypatch, downloads):
    downloads(True)
    source = tmp_path / "payload.bin"
    source.write_bytes(b"abc" * 1000)
    wrong = "0" * 64
    with pytest.raises(ValueError) as info:
        get_file("data.bin", origin=source.as_uri(), file_hash=wrong)
    message = str(info.value)
    assert "data.bin" in message and wrong in message
    assert hashlib.sha256(b"abc" * 1000).hexdigest() in message
    assert os.listdir(tmp_path / "cache" / "datasets") == []


def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch):
    class Broken(io.BytesIO):
        headers = {"Content-Length": str(4 << 20)}

        def read(self, n=-1):
            if self.tell() >= 1 << 20:
                raise ConnectionResetError("connection dropped")
            return super().read(n)

    monkeypatch.setattr(_files, "_urlopen", lambda url, timeout: Broken(bytes(4 << 20)))
    with pytest.raises(ConnectionResetError):
        get_file("big.bin", origin="https://example.invalid/big.bin")
    assert os.listdir(tmp_path / "cache" / "datasets") == []


def test_corrupt_cached_copy_is_downloaded_again(tmp_path, monkeypatch, downloads):
    downloads(True)
    source = tmp_path / "payload.bin"
    source.write_bytes(b"good data")
    folder = tmp_path / "cache" / "datasets"
    folder.mkdir(parents=True)
    (folder / "data.bin").write_bytes(b"half")
    path = get_file("data.bin", origin=source.as_uri(),
                    file_hash=hashlib.sha256(b"good data").hexdigest())
    assert open(path, "rb").read() == b"good data"


def test_file_hash_is_computed_once_per_version(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(b"one")
    assert _files.file_hash(str(path)) == hashlib.sha256(b"one").hexdigest()
    monkeypatch.setattr(_files.hashlib, "new", None)  # any new hashing would fail
    assert _files.file_hash(str(path)) == hashlib.sha256(b"one").hexdigest()
    monkeypatch.undo()
    path.write_bytes(b"second")  # a new size (and mtime): hashed again
    assert _files.file_hash(str(path)) == hashlib.sha256(b"second").hexdigest()


def test_read_idx_checks_the_magic_number(tmp_path):
    path = tmp_path / "labels.gz"
    with gzip.open(path, "wb") as f:
        f.write(np.array([0x801, 3], dtype=">u4").tobytes() + bytes([1, 2, 3]))
    np.testing.assert_array_equal(_files.read_idx(str(path), 0x801), [1, 2, 3])
    with pytest.raises(ValueError, match="magic number 0x803; it starts with 0x801"):
        _files.read_idx(str(path), 0x803)
    shutil.copy(path, tmp_path / "copy.gz")
    with gzip.open(path, "wb") as f:
        f.write(np.array([0x801, 4], dtype=">u4").tobytes() + bytes([1, 2, 3]))
    with pytest.raises(ValueError, match="should hold 4 bytes"):
        _files.read_idx(str(path), 0x801)
