"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, the activation layers, Input."""
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.autograd import Tensor, gradcheck

import torch


def test_dense_builds_from_its_first_input_and_names_itself():
    layers.clear_session()
    d = layers.Dense(4)
    assert d.name == "dense" and not d.built
    y = d(np.ones((2, 3)))
    assert d.built and y.shape == (2, 4) and y.dtype == np.float32
    assert [w.shape for w in d.weights] == [(3, 4), (4,)]
    assert [w.path for w in d.weights] == ["dense/kernel", "dense/bias"]
    assert layers.Dense(1).name == "dense_1"
    assert d.count_params() == 16


def test_dense_forward_backward_matches_pytorch():
    d = layers.Dense(3, activation="tanh", dtype="float64")
    x = np.random.default_rng(0).standard_normal((5, 4))
    xt = Tensor(x, requires_grad=True, dtype="float64")
    y = d(xt)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(gy)
    lin = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(d.kernel.numpy().T))
        lin.bias.copy_(torch.tensor(d.bias.numpy()))
    px = torch.tensor(x, requires_grad=True)
    py = torch.tanh(lin(px))
    py.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), px.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(d.kernel.grad.numpy(), lin.weight.grad.numpy().T, rtol=1e-10)
    np.testing.assert_allclose(d.bias.grad.numpy(), lin.bias.grad.numpy(), rtol=1e-10)


def test_dense_gradcheck_through_the_layer():
    d = layers.Dense(3, activation="sigmoid", dtype="float64")
    d.build((None, 4))
    kernel = d.kernel.numpy()
    assert gradcheck(lambda x, W: lamina.activations.sigmoid(lamina.ops.linear(x, W, d.bias)),
                     np.random.default_rng(2).standard_normal((2, 4)), kernel)


def test_dense_rejects_a_wrong_feature_count_naming_both_shapes():
    d = layers.Dense(2, name="hidden")
    d(np.ones((1, 784)))
    with pytest.raises(ValueError, match=r'"hidden".*value 784.*\(32, 785\)'):
        d(np.ones((32, 785)))


def test_dense_validates_units():
    with pytest.raises(ValueError, match="units=0"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'unit'"):
        layers.Dense(3, unit=4)


def test_dense_input_shape_keywords():
    assert layers.Dense(2, input_shape=(5,))._batch_input_shape == (None, 5)
    assert layers.Dense(2, input_dim=7)._batch_input_shape == (None, 7)


def test_dense_regularizers_add_losses():
    d = layers.Dense(2, kernel_regularizer=lamina.regularizers.L2(0.1), bias_initializer="ones",
                     bias_regularizer="l1")
    d(np.ones((1, 3)))
    penalties = [float(loss.numpy()) for loss in d.losses]
    assert penalties[0] == pytest.approx(0.1 * float(np.sum(d.kernel.numpy() ** 2)), rel=1e-5)
    assert penalties[1] == pytest.approx(0.01 * 2, rel=1e-5)


def test_trainable_flag_moves_weights_between_lists():
    d = layers.Dense(2)
    d(np.ones((1, 3)))
    d.trainable = False
    assert d.trainable_weights == [] and len(d.non_trainable_weights) == 2
    assert not d.kernel.requires_grad
    d.trainable = True
    assert len(d.trainable_weights) == 2 and d.kernel.requires_grad


def test_set_weights_checks_shapes():
    d = layers.Dense(2, name="out")
    d(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"'out'.*\(3, 2\).*\(2, 2\)"):
        d.set_weights([np.zeros((2, 2)), np.zeros(2)])
    d.set_weights([np.ones((3, 2)), np.full(2, 5.0)])
    np.testing.assert_allclose(d(np.ones((1, 3))).numpy(), [[8.0, 8.0]])


def test_custom_layer_with_add_weight_and_training_argument():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],), "ones")
            self.count = self.add_weight("count", (), "zeros", trainable=False)

        def call(self, inputs, training=None):
            if training:
                self.count.assign_add(1.0)
            return inputs * self.w

    s = Scale()
    s(np.ones((2, 3)), training=True)
    s(np.ones((2, 3)))
    assert float(s.count.numpy()) == 1.0
    assert len(s.trainable_weights) == 1 and len(s.non_trainable_weights) == 1


def test_dropout_only_in_training():
    drop = layers.Dropout(0.5)
    x = np.ones((100, 100))
    np.testing.assert_array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    with pytest.raises(ValueError, match="rate=1.5"):
        layers.Dropout(1.5)


def test_dropout_seed_repeats():
    a = layers.Dropout(0.5, seed=3)(np.ones((4, 4)), training=True).numpy()
    b = layers.Dropout(0.5, seed=3)(np.ones((4, 4)), training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_flatten_and_reshape():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert layers.Reshape((-1, 2))(x).shape == (2, 6, 2)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(5,\)"):
        layers.Reshape((5,))(x)


@pytest.mark.parametrize("layer, expected", [
    (layers.Activation("relu"), lambda x: np.maximum(x, 0)),
    (layers.ReLU(max_value=1.0), lambda x: np.clip(x, 0, 1)),
    (layers.LeakyReLU(negative_slope=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    (layers.LeakyReLU(alpha=0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (layers.ELU(alpha=2.0), lambda x: np.where(x > 0, x, 2.0 * np.expm1(x))),
    (layers.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activation_layers(layer, expected):
    x = np.linspace(-3, 3, 12).reshape(3, 4).astype(np.float32)
    np.testing.assert_allclose(layer(x).numpy(), expected(x), rtol=1e-5, atol=1e-6)


def test_input_and_input_layer():
    t = layers.Input(shape=(28, 28), name="pixels")
    assert t.shape == (None, 28, 28) and t.name == "pixels"
    il = layers.InputLayer(input_shape=(8,))
    assert il.batch_shape == (None, 8)
    with pytest.raises(ValueError, match="shape"):
        layers.InputLayer()


def test_layer_config_round_trip():
    d = layers.Dense(3, activation="relu", use_bias=False, name="d")
    clone = layers.Dense.from_config(d.get_config())
    assert clone.units == 3 and clone.use_bias is False and clone.name == "d"
    assert clone.get_config() == d.get_config()
