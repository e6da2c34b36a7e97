"""Dtype policies and mixed precision in layers: float16 compute, float32 weights."""
import numpy as np
import pytest

import lamina
from lamina import dtype_policies, layers, mixed_precision
from lamina.autograd import Tensor


@pytest.fixture
def mixed():
    mixed_precision.set_global_policy("mixed_float16")
    yield
    dtype_policies._global["policy"] = None


@pytest.mark.parametrize("name, compute, variable", [
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
    ("float32", "float32", "float32"), ("float64", "float64", "float64"),
    ("int64", "int64", "int64")])
def test_policy_dtypes_as_in_keras(name, compute, variable):
    policy = mixed_precision.Policy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert policy == mixed_precision.DTypePolicy.from_config(policy.get_config())


def test_bad_policies_are_refused_with_the_value():
    with pytest.raises(ValueError, match="Cannot convert 'mixed_float64'"):
        mixed_precision.DTypePolicy("mixed_float64")
    with pytest.raises(TypeError, match="'name' must be a string"):
        mixed_precision.DTypePolicy(16)
    with pytest.raises(ValueError, match="Received: policy=3"):
        mixed_precision.set_global_policy(3)


def test_the_global_policy_is_floatx_until_set_and_layers_take_it(mixed):
    assert mixed_precision.global_policy().name == "mixed_float16"
    assert layers.Dense(2).dtype_policy.name == "mixed_float16"
    assert layers.Dense(2, dtype="float32").compute_dtype == "float32"
    dtype_policies._global["policy"] = None
    assert mixed_precision.global_policy() == mixed_precision.DTypePolicy("float32")


def test_a_keras_policy_config_dict_is_a_layer_dtype():
    config = {"module": "keras", "class_name": "DTypePolicy",
              "config": {"name": "mixed_float16"}, "registered_name": None}
    layer = layers.Dense(3, dtype=config)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == (
        "float16", "float32", "float32")
    assert layer.get_config()["dtype"] == "mixed_float16"


def test_mixed_dense_computes_in_float16_and_its_float32_kernel_gets_the_gradient(mixed):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    dense = layers.Dense(3)
    y = dense(x)
    assert y.dtype == np.float16 and dense.kernel.dtype == np.float32
    gy = rng.standard_normal((5, 3))
    y.backward(gy.astype(np.float16))
    assert dense.kernel.grad.dtype == np.float32 and dense.bias.grad.dtype == np.float32
    W = dense.kernel.numpy().astype(np.float64)
    np.testing.assert_allclose(y.numpy(), x @ W + dense.bias.numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(dense.kernel.grad.numpy(), x.T @ gy, rtol=1e-2, atol=1e-2)


def test_a_float32_layer_inside_a_mixed_model_computes_in_float32(mixed):
    model = lamina.Sequential([layers.Dense(4, input_shape=(3,)),
                               layers.Dense(2, dtype="float32")])
    h = model.layers[0](np.ones((2, 3), np.float32))
    assert h.dtype == np.float16
    assert model(np.ones((2, 3), np.float32)).dtype == np.float32


def test_mixed_lstm_and_conv_run_in_float16(mixed):
    x = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)
    lstm = layers.LSTM(4)
    assert lstm(x).dtype == np.float16 and lstm.cell.kernel.dtype == np.float32
    conv = layers.Conv2D(2, 3)
    assert conv(np.ones((1, 5, 5, 1), np.float32)).dtype == np.float16


def test_a_float16_prediction_gives_a_float32_loss(mixed):
    loss = lamina.losses.MeanSquaredError()(np.ones((2, 1)), Tensor(np.zeros((2, 1), np.float16)))
    assert loss.dtype == np.float32 and float(loss.data) == 1.0
