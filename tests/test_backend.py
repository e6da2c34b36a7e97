"""backend: the allocator tuning is an explicit call that fit makes, not an import side effect;
the default device is the GPU when CuPy sees one."""
import logging
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lamina import backend

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = """
import numpy as np
import lamina
from lamina import backend
assert not backend._malloc["tuned"], "importing lamina tuned the allocator"
model = lamina.Sequential([lamina.layers.Dense(1, input_shape=(2,))])
model.compile(optimizer="sgd", loss="mse")
model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
print(backend._malloc["tuned"])
"""


def _run(setting):
    """Runs SCRIPT in a fresh process (this checkout's lamina) and returns what it printed."""
    env = {**os.environ, "LAMINA_MALLOC_TUNING": setting}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_fit_tunes_the_allocator_and_import_does_not():
    assert _run("1") == "True"


def test_tuning_can_be_turned_off():
    assert _run("0") == "False"


def test_text_stays_on_the_host_when_the_backend_is_cupy(monkeypatch):
    class FakeCupy:
        @staticmethod
        def asarray(x):
            return ("on the gpu", x)

    monkeypatch.setattr(backend, "_backend", "cupy")
    monkeypatch.setattr(backend, "_import_cupy", lambda: FakeCupy)
    text = np.array(["a", "bc"])
    assert backend.to_device(text) is text
    assert backend.to_device(np.array([b"x"])).dtype.kind == "S"
    assert backend.to_device(np.array([1, 2]))[0] == "on the gpu"
# --- the default device: the GPU when CuPy sees one, as TensorFlow does ---
def test_default_backend_is_the_gpu_only_when_one_is_visible():
    assert backend.default_backend(None, lambda: True) == "cupy"
    assert backend.default_backend("", lambda: False) == "numpy"


def test_lamina_backend_wins_and_the_gpu_is_not_probed():
    def probe():
        raise AssertionError("probed the GPU although LAMINA_BACKEND was set")
    assert backend.default_backend("numpy", probe) == "numpy"
    assert backend.default_backend("strict", probe) == "strict"


def test_gpu_visible_is_false_without_cupy_or_without_a_device(monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None)
    assert backend.gpu_visible() is False

    class NoDriver:   # cupy installed but no driver: getDeviceCount raises
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    raise RuntimeError("cudaErrorNoDevice")
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(backend, "_import_cupy", lambda: NoDriver)
    assert backend.gpu_visible() is False


def test_start_says_once_that_it_chose_the_gpu(monkeypatch, caplog):
    chosen = []
    monkeypatch.setattr(backend, "set_backend", chosen.append)
    monkeypatch.setattr(backend, "device_count", lambda: 1)
    with caplog.at_level(logging.WARNING, logger="lamina"):
        assert backend.start({}, lambda: True) == "cupy"
        assert backend.start({"LAMINA_BACKEND": "cupy"}, lambda: True) == "cupy"
        assert backend.start({"LAMINA_BACKEND": "numpy"}, lambda: True) == "numpy"
    assert chosen == ["cupy", "cupy", "numpy"]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "GPU" in lines[0] and "LAMINA_BACKEND=numpy" in lines[0]


@pytest.mark.cpu_only
def test_import_without_cupy_stays_on_the_cpu_silently():
    env = {k: v for k, v in os.environ.items() if k != "LAMINA_BACKEND"}
    out = subprocess.run([sys.executable, "-c", "import lamina; print(lamina.backend.backend())"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy" and "GPU" not in out.stderr
