"""Atomic writes: write to a temporary file in the same folder, then rename it into place.

A crash in the middle of a save leaves the previous file untouched, never half a file. The
new file is flushed to disk (``fsync``) before the rename and the folder after it, so a power
cut right after a save keeps either the old file or the new one. A process killed in the
middle of a save (``kill -9``) leaves its temporary file behind: the next save to the same
path removes such files when the process that wrote them is no longer running.
"""
import contextlib
import os
import re
import secrets
import threading

_active = set()  # temporary files being written by this process's threads
_active_lock = threading.Lock()


def _temporary_name(filepath):
    """``.<name>.<pid>-<random>.tmp`` next to ``filepath``: hidden, and naming its writer."""
    folder, name = os.path.split(filepath)
    return os.path.join(folder, f".{name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")


def _process_running(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (another user's), or we cannot tell: keep its file
    return True


def remove_stale_temporary_files(filepath):
    """Removes temporary files of earlier saves to ``filepath`` that crashed.

    A file is stale when the process named in it is no longer running, or it is this
    process's own and no thread is writing it. Files of running processes are kept.

    Returns:
        the paths removed.
    """
    folder, name = os.path.split(filepath)
    pattern = re.compile(rf"\.{re.escape(name)}\.(?:(\d+)-)?[0-9a-f]{{12}}\.tmp")
    removed = []
    try:
        entries = os.listdir(folder or ".")
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None:
            continue
        path = os.path.join(folder, entry)
        pid = int(match.group(1)) if match.group(1) else None  # None: older lamina's name
        with _active_lock:
            if path in _active or (pid not in (None, os.getpid()) and _process_running(pid)):
                continue
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def _fsync_path(path, directory=False):
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # Windows cannot open a folder; its renames are durable anyway
        raise
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(filepath):
    """Yields a temporary path next to ``filepath``; renames it onto ``filepath`` on success.

    Args:
        filepath: the file to write (its folder is created if missing).

    Yields:
        the temporary path to write to. If the block raises, the temporary file is removed
        and ``filepath`` keeps its old content.
    """
    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to '{filepath}': it is an existing directory. "
                                "Pass a file path such as 'model.keras'.")
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, os.path.basename(filepath))
    remove_stale_temporary_files(target)
    # NOTE: a fresh name, not mkstemp, so the file gets the usual permissions (umask)
    tmp = _temporary_name(target)
    with _active_lock:
        _active.add(tmp)
    try:
        yield tmp
        _fsync_path(tmp)
        os.replace(tmp, filepath)
        _fsync_path(folder, directory=True)
    finally:
        with _active_lock:
            _active.discard(tmp)
        if os.path.exists(tmp):
            os.remove(tmp)
