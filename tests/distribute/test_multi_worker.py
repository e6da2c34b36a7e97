"""MultiWorkerMirroredStrategy under ``mpiexec -n 2``: the workers stay equal to each other
and to one process trained on the same global batches; failures stop the job."""
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

WORKER = pathlib.Path(__file__).with_name("mpi_worker.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _mpiexec():
    beside_python = pathlib.Path(sys.executable).with_name("mpiexec")
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def run(out, *args, workers=2, timeout=120, env=None):
    """Runs mpi_worker.py (under mpiexec unless workers is None); returns (code, output)."""
    command = [sys.executable, str(WORKER), "--out", str(out), *map(str, args)]
    if workers is not None:
        command = [_mpiexec(), "-n", str(workers), "-prepend-rank"] + command
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr


def results(out, rank=0):
    with np.load(pathlib.Path(out) / f"rank{rank}.npz") as f:
        return {k: f[k] for k in f.files}


def assert_same_training(a, b, rtol=1e-5, atol=1e-6):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=atol, err_msg=key)


@pytest.mark.parametrize("model, samples, batch_size, extra", [
    ("mlp", 1024, 64, ()),               # the course's MLP (with Dropout)
    ("mlp", 500, 63, ("--dataset",)),    # a lamina.data.Dataset; 63 = 32 + 31 rows
    ("cnn", 301, 50, ()),  # a small CNN; the last global batch has 1 sample: worker 1 has none
])
def test_two_workers_train_like_one_process(tmp_path, model, samples, batch_size, extra):
    args = ("--model", model, "--samples", samples, "--batch-size", batch_size, "--epochs", 2,
            *extra)
    code, output = run(tmp_path / "two", *args, "--verbose", 1)
    assert code == 0, output
    code, single_output = run(tmp_path / "one", *args, workers=None)
    assert code == 0, single_output
    worker0, worker1 = results(tmp_path / "two", 0), results(tmp_path / "two", 1)
    one = results(tmp_path / "one")
    for key in worker0:  # the two workers hold identical weights, logs and predictions
        np.testing.assert_array_equal(worker0[key], worker1[key], err_msg=key)
    assert_same_training(worker0, one)
    assert {"h_loss", "h_accuracy", "h_val_loss", "h_val_accuracy"} <= worker0.keys()
    # only the chief prints its progress
    assert "[0] Epoch 1/2" in output
    assert not [line for line in output.splitlines() if line.startswith("[1]")]


def test_batch_normalization_keeps_workers_equal(tmp_path):
    code, output = run(tmp_path / "two", "--model", "bn", "--samples", 256, "--epochs", 1)
    assert code == 0, output
    code, output = run(tmp_path / "one", "--model", "bn", "--samples", 256, "--epochs", 1,
                       workers=None)
    assert code == 0, output
    worker0, worker1 = results(tmp_path / "two", 0), results(tmp_path / "two", 1)
    for key in worker0:
        np.testing.assert_array_equal(worker0[key], worker1[key], err_msg=key)
    # each replica normalizes with its own rows' statistics (no cross-worker batch norm),
    # so training differs from one process on the global batch
    assert not np.allclose(worker0["w0"], results(tmp_path / "one")["w0"], rtol=1e-5, atol=1e-6)


def test_kill_and_resume_with_backup_and_restore(tmp_path):
    args = ("--epochs", 3, "--samples", 512)
    code, output = run(tmp_path / "uninterrupted", *args, "--backup", tmp_path / "backup_a")
    assert code == 0, output
    backup = tmp_path / "backup_b"
    code, output = run(tmp_path / "resumed", *args, "--backup", backup, "--stop", "kill", 1, 3)
    assert code != 0
    assert (backup / "latest.weights.h5").exists()  # epoch 1 was backed up before the kill
    code, output = run(tmp_path / "resumed", *args, "--backup", backup)
    assert code == 0, output
    uninterrupted, resumed = results(tmp_path / "uninterrupted"), results(tmp_path / "resumed")
    for key in uninterrupted:
        if key.startswith("w"):
            np.testing.assert_array_equal(resumed[key], uninterrupted[key], err_msg=key)
    assert len(resumed["h_loss"]) == 2  # epochs 2 and 3 only: it resumed
    np.testing.assert_array_equal(resumed["h_loss"], uninterrupted["h_loss"][1:])
    assert not backup.exists()  # deleted by the chief once training completed


def test_a_killed_worker_stops_the_job(tmp_path):
    start = time.monotonic()
    code, output = run(tmp_path, "--stop", "kill", 0, 2, timeout=60)
    assert code != 0
    assert time.monotonic() - start < 60
    assert "Killed" in output or "signal 9" in output


def test_a_hung_worker_makes_the_others_stop_with_a_clear_error(tmp_path):
    start = time.monotonic()
    code, output = run(tmp_path, "--stop", "hang", 0, 2, timeout=60,
                       env={"LAMINA_DISTRIBUTE_TIMEOUT": "3"})
    assert code != 0
    assert time.monotonic() - start < 60
    assert "worker 0 stops the job: WorkerTimeoutError: Worker 0 of 2" in output
    assert "did not complete within 3 s" in output


def test_workers_with_different_models_are_named(tmp_path):
    code, output = run(tmp_path, "--mismatch", timeout=60)
    assert code != 0
    # whichever worker reports first ends the job, so either may be the one that speaks
    assert ("Workers built different models: worker 1 has weight 'dense/kernel' of shape "
            "(784, 129) where worker 0 has 'dense/kernel' of shape (784, 128)") in output or (
            "Workers built different models: worker 0 has weight 'dense/kernel' of shape "
            "(784, 128) where worker 1 has 'dense/kernel' of shape (784, 129)") in output
