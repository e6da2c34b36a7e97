"""backend: the allocator tuning is an explicit call that fit makes, not an import side effect."""
import os
import pathlib
import subprocess
import sys

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
