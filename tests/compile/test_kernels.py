"""The ``[fast]`` kernels give the same bits as the NumPy passes of ``update_step``."""
import numpy as np
import pytest

from lamina import optimizers
from lamina.autograd import Variable
from lamina.compile.flat import _fused_update, _Kernels

pytestmark = pytest.mark.cpu_only   # the kernels run on NumPy arrays only

CASES = {
    "adam": lambda: optimizers.Adam(0.003),
    "adamw": lambda: optimizers.AdamW(0.003, beta_1=0.8, epsilon=1e-4),
    "sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.05, momentum=0.7, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "rmsprop_momentum": lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5),
}


def _state(opt, w):
    """The optimizer's slots for one weight, as ``Optimizer.apply`` creates them."""
    return opt._add_variable(Variable(w, dtype=w.dtype.name))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_equals_numpy_passes(name, dtype, rng):
    assert _Kernels.wait() is not None, "the [fast] extra (numba) is a test dependency"
    w0 = rng.standard_normal(1000).astype(dtype)
    numpy_opt, fused_opt = CASES[name](), CASES[name]()
    w_numpy, w_fused = w0.copy(), w0.copy()
    s_numpy, s_fused = _state(numpy_opt, w_numpy), _state(fused_opt, w_fused)
    for step in range(5):
        g = (rng.standard_normal(1000) * 10.0 ** -step).astype(dtype)   # small values too
        lr = numpy_opt._current_learning_rate()
        numpy_opt.update_step(g, w_numpy, s_numpy, lr)
        assert _fused_update(fused_opt, g, w_fused, s_fused.slots, lr)
        numpy_opt.iterations += 1
        fused_opt.iterations += 1
        np.testing.assert_array_equal(w_fused, w_numpy)
        for slot in s_numpy.slots:
            np.testing.assert_array_equal(s_fused.slots[slot], s_numpy.slots[slot])


@pytest.mark.parametrize("opt", [lambda: optimizers.Adam(amsgrad=True), lambda: optimizers.SGD(),
                                 lambda: optimizers.RMSprop(centered=True),
                                 lambda: optimizers.Adagrad()],
                         ids=["amsgrad", "sgd_plain", "rmsprop_centered", "adagrad"])
def test_optimizers_without_a_kernel_keep_the_numpy_passes(opt):
    assert _Kernels.wait() is not None
    o = opt()
    w = np.ones(4, "float32")
    s = _state(o, w)
    assert not _fused_update(o, np.ones(4, "float32"), w, s.slots, 0.1)
    np.testing.assert_array_equal(w, np.ones(4, "float32"))   # nothing written


def test_kernels_that_fail_to_load_leave_the_numpy_passes(monkeypatch):
    import sys
    import types

    from lamina import compile as lamina_compile

    def broken(*args):
        raise RuntimeError("no LLVM here")
    fake = types.SimpleNamespace(adam=broken, sgd_momentum=broken, rmsprop=broken)
    monkeypatch.setitem(sys.modules, "lamina.compile.kernels", fake)
    monkeypatch.setattr(lamina_compile, "kernels", fake, raising=False)
    monkeypatch.setattr(_Kernels, "module", None)
    with pytest.warns(RuntimeWarning, match="numba could not load.*no LLVM here.*NumPy passes"):
        _Kernels._load()
    assert _Kernels.module is None
    o = optimizers.Adam()
    w = np.ones(4, "float32")
    assert not _fused_update(o, np.ones(4, "float32"), w, _state(o, w).slots, 0.1)
