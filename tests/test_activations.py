"""Activations: values against NumPy/SciPy formulas, gradients, torch parity, get()."""
import numpy as np
import pytest
from scipy import special, stats

import lamina
from lamina import activations
from lamina.autograd import Tensor, gradcheck

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def _relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Piecewise definition: x (capped) above the threshold, a line through it below."""
    above = x if max_value is None else np.minimum(x, max_value)
    return np.where(x > threshold, above, negative_slope * (x - threshold))


# name -> (lamina function of a Tensor, independent NumPy/SciPy reference)
CASES = {
    "relu": (activations.relu, lambda x: np.maximum(x, 0)),
    "relu_slope": (lambda t: activations.relu(t, negative_slope=0.3),
                   lambda x: _relu_ref(x, negative_slope=0.3)),
    "relu_max": (lambda t: activations.relu(t, max_value=2.5),
                 lambda x: _relu_ref(x, max_value=2.5)),
    "relu_threshold": (lambda t: activations.relu(t, threshold=1.5),
                       lambda x: _relu_ref(x, threshold=1.5)),
    "relu_all": (lambda t: activations.relu(t, negative_slope=0.1, max_value=4.5, threshold=1.5),
                 lambda x: _relu_ref(x, 0.1, 4.5, 1.5)),
    "relu_alpha_alias": (lambda t: activations.relu(t, alpha=0.25),
                         lambda x: _relu_ref(x, negative_slope=0.25)),
    "relu6": (activations.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (activations.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu_0.1": (lambda t: activations.leaky_relu(t, negative_slope=0.1),
                       lambda x: np.where(x > 0, x, 0.1 * x)),
    "elu": (activations.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "elu_0.5": (lambda t: activations.elu(t, alpha=0.5),
                lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "selu": (activations.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    "gelu": (activations.gelu, lambda x: x * stats.norm.cdf(x)),
    "gelu_tanh": (lambda t: activations.gelu(t, approximate=True),
                  lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "sigmoid": (activations.sigmoid, special.expit),
    "hard_sigmoid": (activations.hard_sigmoid, _hard_sigmoid),
    "silu": (activations.silu, lambda x: x * special.expit(x)),
    "swish": (activations.swish, lambda x: x / (1 + np.exp(-x))),
    "hard_silu": (activations.hard_silu, lambda x: x * _hard_sigmoid(x)),
    "hard_swish": (activations.hard_swish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "mish": (activations.mish, lambda x: x * np.tanh(np.logaddexp(0, x))),
    "softplus": (activations.softplus, lambda x: np.logaddexp(0, x)),
    "softsign": (activations.softsign, lambda x: x / (1 + np.abs(x))),
    "tanh": (activations.tanh, np.tanh),
    "exponential": (activations.exponential, np.exp),
    "linear": (activations.linear, lambda x: x),
    "softmax": (activations.softmax, lambda x: special.softmax(x, axis=-1)),
    "softmax_axis0": (lambda t: activations.softmax(t, axis=0),
                      lambda x: special.softmax(x, axis=0)),
    "log_softmax": (activations.log_softmax, lambda x: special.log_softmax(x, axis=-1)),
    "log_softmax_axis0": (lambda t: activations.log_softmax(t, axis=0),
                          lambda x: special.log_softmax(x, axis=0)),
    "crelu": (activations.crelu,
              lambda x: np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=-1)),
}

# Points where some activation above has a kink; inputs are kept away from them
# so that central differences do not straddle a corner.
KINKS = np.array([-6.0, -3.0, 0.0, 1.5, 2.5, 3.0, 4.5, 6.0])


def _inputs(seed, shape=(3, 4), low=-8.0, high=8.0):
    x = np.random.default_rng(seed).uniform(low, high, shape)
    near = np.abs(x[..., None] - KINKS).min(axis=-1) < 0.05
    return np.where(near, x + 0.1, x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_reference(name):
    fn, ref = CASES[name]
    x = _inputs(1, (4, 5))
    y = fn(Tensor(x, dtype="float64"))
    assert isinstance(y, Tensor)
    np.testing.assert_allclose(y.numpy(), ref(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, _ = CASES[name]
    assert gradcheck(fn, _inputs(2))


def test_relu_keras_doc_examples():
    x = [-10, -5, 0.0, 5, 10]
    np.testing.assert_array_equal(activations.relu(x).numpy(), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, negative_slope=0.5).numpy(),
                                  [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])


def test_relu_rejects_both_slope_names():
    with pytest.raises(ValueError, match="alpha"):
        activations.relu([1.0], negative_slope=0.1, alpha=0.2)


def test_hot_paths_use_fused_ops():
    x = Tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True)
    assert type(activations.relu(x).creator) is lamina.ops.nn.ReLU
    s = activations.sigmoid(x)
    assert s._keras_logits is x
    p = activations.softmax(x)
    assert type(p.creator) is lamina.ops.nn.Softmax
    assert p._keras_logits is x


@pytest.mark.parametrize("value", [[-1, 0, 2], np.array([-1.0, 0.0, 2.0]), 3, 2.5])
def test_accepts_lists_arrays_and_scalars(value):
    for name in ("relu", "sigmoid", "gelu", "linear", "softsign", "hard_sigmoid"):
        y = activations.get(name)(value)
        assert isinstance(y, Tensor)
        assert y.dtype == np.float32
        assert y.shape == np.shape(value)
        np.testing.assert_allclose(y.numpy(), CASES[name][1](np.asarray(value, dtype=np.float64)),
                                   rtol=1e-6, atol=1e-7)


def test_tensor_converts_for_plotting():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(np.asarray(activations.relu(x)), np.maximum(x, 0))


def test_matplotlib_can_plot_an_activation():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = np.linspace(-5, 5, 50)
    fig, ax = plt.subplots()
    (line,) = ax.plot(x, activations.relu(x))
    np.testing.assert_allclose(line.get_ydata(), np.maximum(x, 0), rtol=1e-6)
    plt.close(fig)


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x
    assert activations.get(custom) is custom
    for name in activations.__all__:
        if name in ("get", "serialize", "deserialize"):
            continue
        fn = getattr(activations, name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize({"class_name": "function", "config": "tanh"}) is activations.tanh
    assert activations.deserialize("custom", custom_objects={"custom": custom}) is custom


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError, match="relu") as info:
        activations.get("relux")
    assert "'relux'" in str(info.value) and "softmax" in str(info.value)
    with pytest.raises(ValueError, match="42"):
        activations.get(42)
    with pytest.raises(ValueError, match="lambda"):
        activations.serialize(lambda x: x)


def test_dir_lists_public_names_only():
    public = {n for n in dir(activations) if not n.startswith("_")}
    assert public == set(activations.__all__)
    for name in ("elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "linear",
                 "relu", "relu6", "leaky_relu", "selu", "sigmoid", "softmax", "log_softmax",
                 "softplus", "softsign", "swish", "silu", "tanh", "mish", "get"):
        assert name in public


# --- parity with PyTorch, values and gradients -------------------------------------------------

def _torch_cases(F):
    return {
        "relu": F.relu,
        "relu_slope": lambda t: F.leaky_relu(t, 0.3),
        "relu6": F.relu6,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
        "leaky_relu_0.1": lambda t: F.leaky_relu(t, 0.1),
        "elu": F.elu,
        "elu_0.5": lambda t: F.elu(t, alpha=0.5),
        "selu": F.selu,
        "gelu": F.gelu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "sigmoid": lambda t: t.sigmoid(),
        "hard_sigmoid": F.hardsigmoid,
        "silu": F.silu,
        "hard_silu": F.hardswish,
        "mish": F.mish,
        "softplus": F.softplus,
        "softsign": F.softsign,
        "tanh": lambda t: t.tanh(),
        "exponential": lambda t: t.exp(),
        "softmax": lambda t: F.softmax(t, dim=-1),
        "softmax_axis0": lambda t: F.softmax(t, dim=0),
        "log_softmax": lambda t: F.log_softmax(t, dim=-1),
        "log_softmax_axis0": lambda t: F.log_softmax(t, dim=0),
    }


def test_torch_parity_of_values_and_gradients():
    import torch
    F = torch.nn.functional
    x = _inputs(3, (5, 6))
    gy = np.random.default_rng(4).standard_normal(x.shape)
    for name, torch_fn in _torch_cases(F).items():
        t = Tensor(x, requires_grad=True, dtype="float64")
        y = CASES[name][0](t)
        y.backward(gy)
        tt = torch.tensor(x, requires_grad=True)
        ty = torch_fn(tt)
        ty.backward(torch.tensor(gy))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        # torch's hardsigmoid/hardswish backward uses a float32 constant 1/6
        rtol = 1e-6 if name.startswith("hard") else 1e-8
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=rtol, atol=1e-10,
                                   err_msg=name)


def test_extreme_inputs_stay_finite():
    x = np.array([-1000.0, -50.0, 0.5, 50.0, 1000.0])
    for name in ("sigmoid", "softplus", "silu", "mish", "elu", "selu", "gelu", "softmax",
                 "log_softmax"):
        y = activations.get(name)(Tensor(x, dtype="float64")).numpy()
        assert np.all(np.isfinite(y)), name
