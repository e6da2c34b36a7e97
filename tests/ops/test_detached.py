"""ops.detached: a function of arrays as an op that no gradient flows through."""
import numpy as np

from lamina import Tensor, backend, ops
from lamina.compile.recorder import Recorder


def _scaled_log(xp, x, scale):
    return scale * xp.log(xp.abs(x) + 1)


def test_detached_gives_the_function_of_the_arrays_and_no_graph(xp, rng):
    x = Tensor(xp.asarray(rng.standard_normal((3, 4))), requires_grad=True)
    y = ops.detached(_scaled_log, x, scale=2.0)
    np.testing.assert_allclose(y.numpy(), 2.0 * np.log(np.abs(x.numpy()) + 1))
    assert y.creator is None and not y.requires_grad
    z = ops.detached(_scaled_log, xp.ones(3, dtype="float64"), scale=1.0)   # an array as it is
    assert z.dtype == np.float64


def test_detached_is_a_constant_to_the_gradient_as_torch_detach(matches_pytorch, rng):
    import torch
    x = rng.standard_normal((3, 4))
    matches_pytorch(lambda t: t * ops.detached(_scaled_log, t, scale=0.5) + t,
                    lambda t: t * (0.5 * torch.log(t.abs() + 1)).detach() + t, [x],
                    rtol=1e-12, atol=1e-12, grad_rtol=1e-12, grad_atol=1e-12)


def test_detached_is_recorded_with_its_settings(rng):
    x = Tensor(backend.to_device(rng.standard_normal(3)))
    with Recorder() as recorder:
        ops.detached(_scaled_log, x, scale=3.0)
    (function, settings, inputs, outputs, _), = recorder.calls
    assert settings == {"fn": _scaled_log, "settings": {"scale": 3.0}}
    assert inputs[0] is x
