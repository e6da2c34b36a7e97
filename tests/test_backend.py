"""backend: the allocator tuning is an explicit call that fit makes, not an import side effect."""
import os
import pathlib
import subprocess
import sys

import numpy as np

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
