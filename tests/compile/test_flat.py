"""The flat buffers: weights stay the same Variables, and the one-pass update equals
``Optimizer.apply`` (its plain twin) for every optimizer."""
import numpy as np
import pytest

from lamina import backend, optimizers
from lamina.autograd import Variable
from lamina.compile.flat import FlatOptimizer, FlatParameters

OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1, momentum=0.9),
    "adam": lambda: optimizers.Adam(0.01, amsgrad=True, global_clipnorm=1.0),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.1),
    "rmsprop": lambda: optimizers.RMSprop(0.01, centered=True, clipvalue=0.5),
    "adagrad": lambda: optimizers.Adagrad(0.1, clipnorm=0.3),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01, loss_scale_factor=2.0),
}


def _weights(rng):
    return [Variable(rng.standard_normal(s).astype("float32"), name=n)
            for s, n in (((4, 3), "kernel"), ((3,), "bias"), ((2, 2, 3), "kernel_1"))]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_flat_update_equals_optimizer_apply(name, rng):
    plain, flat = _weights(rng), _weights(np.random.default_rng(0))
    for a, b in zip(plain, flat):
        b.assign(a.numpy())
    plain_opt, flat_opt = OPTIMIZERS[name](), OPTIMIZERS[name]()
    params = FlatParameters(flat)
    updater = FlatOptimizer(flat_opt, params)
    assert updater.one_pass
    for _ in range(4):
        grads = [rng.standard_normal(v.shape).astype("float32") for v in plain]
        plain_opt.apply(grads, plain)
        for view, g in zip(params.grad_views, grads):
            view[...] = backend.to_device(g)
        updater.apply()
    for a, b in zip(plain, flat):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(plain_opt.get_state(), flat_opt.get_state()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_weights_become_views_and_keep_their_identity(rng):
    weights = _weights(rng)
    values = [v.numpy() for v in weights]
    params = FlatParameters(weights)
    assert params.variables == weights or all(a is b for a, b in zip(params.variables, weights))
    for v, value in zip(weights, values):
        assert np.shares_memory(v.data, params.weights)
        np.testing.assert_array_equal(v.numpy(), value)
    params.weights[...] += 1.0                      # writing to the buffer writes each weight
    for v, value in zip(weights, values):
        np.testing.assert_array_equal(v.numpy(), value + 1.0)
    weights[1].assign(np.ones(3))
    np.testing.assert_array_equal(backend.to_numpy(params.weights[12:15]), np.ones(3))
    weights[1].data = backend.to_device(np.zeros(3, "float32"))   # copied back into its view
    assert params.intact(weights) and weights[1].data is params.weight_views[1]
    np.testing.assert_array_equal(backend.to_numpy(params.weights[12:15]), np.zeros(3))
    assert not params.intact(weights[:2])
    weights[1].data = backend.to_device(np.zeros(4, "float32"))   # another shape: rebuild
    assert not params.intact(weights)


def test_mixed_dtypes_are_not_flattened():
    weights = [Variable(np.zeros(2, "float32")), Variable(np.zeros(2, "float64"), dtype="float64")]
    assert "mix dtypes" in FlatParameters.supports(weights)
    assert "no trainable weights" in FlatParameters.supports([])
