"""Atomic saves: fsync around the rename; temporary files of crashed saves are removed."""
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lamina import layers, saving
from lamina.models import Sequential
from lamina.saving import atomic


def _model():
    return Sequential([layers.Input((3,)), layers.Dense(400), layers.Dense(2)])


def test_the_file_is_synced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src, dst):
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    saving.save_model(_model(), tmp_path / "m.keras")
    assert events == ["fsync file", "rename", "fsync folder"]


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("filename", ["m.keras", "m.h5", "w.weights.h5"])
def test_leftovers_of_dead_writers_are_removed_and_live_ones_kept(filename, tmp_path):
    path = tmp_path / filename
    dead = tmp_path / f".{filename}.{_dead_pid()}-0123456789ab.tmp"
    old_style = tmp_path / f".{filename}.0123456789ab.tmp"  # lamina's earlier name
    live = tmp_path / f".{filename}.{os.getppid()}-0123456789ab.tmp"  # a running process
    other = tmp_path / f".other.keras.{_dead_pid()}-0123456789ab.tmp"  # another file's
    for leftover in (dead, old_style, live, other):
        leftover.write_bytes(b"x" * 1000)
    model = _model()
    if filename.startswith("w"):
        saving.save_weights(model, path)
    else:
        saving.save_model(model, path)
    assert sorted(os.listdir(tmp_path)) == sorted([filename, live.name, other.name])


_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from lamina import layers, saving
    from lamina.models import Sequential
    from lamina.saving import weights
    real = weights.write_keras_weights
    def slow(h5, model):
        real(h5, model)
        h5.flush()
        print("writing", flush=True)
        time.sleep(60)
    weights.write_keras_weights = slow
    model = Sequential([layers.Input((3,)), layers.Dense(400), layers.Dense(2)])
    saving.save_weights(model, sys.argv[1])
""")


def test_a_save_killed_with_sigkill_is_cleaned_up_by_the_next_save(tmp_path):
    path = tmp_path / "w.weights.h5"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER.format(root=root), str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) == 1 and os.path.getsize(tmp_path / leftovers[0]) > 1000
    assert not path.exists()
    model = _model()
    saving.save_weights(model, path)
    assert os.listdir(tmp_path) == ["w.weights.h5"]
    other = _model()
    saving.load_weights(other, path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_file_another_thread_is_writing_is_kept(tmp_path):
    path = tmp_path / "m.keras"
    with atomic.atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(b"partial")
        assert atomic.remove_stale_temporary_files(str(path)) == []
        assert os.path.exists(tmp)
        with open(tmp, "wb") as f:
            f.write(b"done")
    assert path.read_bytes() == b"done"
