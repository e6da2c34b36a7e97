"""Shared test setup: the offline data folder and the array-module fixture."""
import os
import pathlib

import numpy as np
import pytest

SHARED_DATASETS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "datasets"
if "LAMINA_DATA_DIR" not in os.environ and SHARED_DATASETS.is_dir():
    os.environ["LAMINA_DATA_DIR"] = str(SHARED_DATASETS)

# NOTE: one BLAS thread: multi-threaded OpenBLAS collapses (10x slower) when another job
# shares the 2 cores, and the suite's speed should not depend on what else runs.
try:
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
except ImportError:  # pragma: no cover
    pass

# The suite runs on the CPU unless LAMINA_BACKEND says otherwise (lamina alone would pick a
# visible GPU). LAMINA_BACKEND=strict (CuPy's rules on the CPU) or cupy runs it on that
# backend alone; tests marked cpu_only are then deselected with -m "not cpu_only".
os.environ.setdefault("LAMINA_BACKEND", "numpy")
BACKENDS = ["numpy"]
if os.environ.get("LAMINA_BACKEND") in ("strict", "cupy"):
    BACKENDS = [os.environ["LAMINA_BACKEND"]]
else:
    try:
        import cupy  # noqa: F401
        cupy.cuda.runtime.getDeviceCount()
        BACKENDS.append("cupy")
    except Exception:
        pass


@pytest.fixture(params=BACKENDS)
def xp(request):
    """Runs a test once per available backend, with that backend active."""
    from lamina import backend
    old = backend.backend()
    backend.set_backend(request.param)
    yield backend.xp()
    backend.set_backend(old)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    import lamina
    lamina.backend.set_seed(0)
    yield
