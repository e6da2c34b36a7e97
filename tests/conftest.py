"""Shared test setup: the offline data folder, the array-module fixture, and the rule that a
test skipped for a missing dependency fails instead (CI installs every extra)."""
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


@pytest.fixture
def matches_pytorch():
    """``check(fn, torch_fn, inputs, rtol, atol, grad_rtol, grad_atol, grads=True)`` runs
    ``fn`` on float64 Tensors and ``torch_fn`` on torch tensors made from ``inputs``, sends
    the same random upstream gradient back through both, and compares the values and each
    input's gradient (no gradient counts as zeros)."""
    import torch
    from lamina import Tensor

    def check(fn, torch_fn, inputs, rtol, atol, grad_rtol, grad_atol, grads=True):
        ts = [Tensor(a, requires_grad=True, dtype=np.float64) for a in inputs]
        y = fn(*ts)
        gy = np.random.default_rng(1).standard_normal(y.shape)
        y.backward(gy)
        pts = [torch.tensor(a, requires_grad=True) for a in inputs]
        py = torch_fn(*pts)
        np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=rtol, atol=atol)
        if not grads:
            return
        py.backward(torch.tensor(gy))
        for t, p in zip(ts, pts):
            expected = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
            actual = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            np.testing.assert_allclose(actual, expected, rtol=grad_rtol, atol=grad_atol)
    return check


@pytest.fixture(autouse=True)
def _seed():
    import lamina
    lamina.backend.set_seed(0)
    yield


# --- a missing dependency fails the test: a regression must not hide as a skip ---
_MISSING_DEPENDENCY = ("could not import", "no module named", "not installed",
                       "is not available")


def _missing_dependency(report):
    """The skip reason, when ``report`` is a skip caused by a missing module; else None."""
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return None
    reason = str(report.longrepr[2])
    return reason if any(m in reason.lower() for m in _MISSING_DEPENDENCY) else None


def _fail_missing(report):
    reason = _missing_dependency(report)
    if reason is not None:
        report.outcome = "failed"
        report.longrepr = (f"{reason}\nA test may not be skipped for a missing dependency: "
                           "install every extra (pip install -e '.[all,test]').")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_missing(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_missing(outcome.get_result())
