"""BatchNormalization and LayerNormalization: Keras weights and statistics, PyTorch parity."""
import numpy as np
import pytest

from lamina.autograd import Tensor, gradcheck
from lamina.layers import Dense, Flatten
from lamina.layers.convolutional import Conv2D
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.models import Sequential

import torch
F = torch.nn.functional


def backprop(layer, x, seed=1, **kwargs):
    xt = Tensor(x, requires_grad=True, dtype="float64")
    y = layer(xt, **kwargs)
    gy = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(gy)
    return y.numpy(), gy, xt.grad.numpy()


def test_batch_norm_weights_follow_keras():
    layer = BatchNormalization()
    layer(np.ones((2, 4, 4, 3)))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("gamma", (3,)), ("beta", (3,)), ("moving_mean", (3,)), ("moving_variance", (3,))]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert layer.count_params() == 12
    np.testing.assert_array_equal(layer.moving_variance.numpy(), 1)
    bare = BatchNormalization(center=False, scale=False)
    bare(np.ones((2, 3)))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_training_matches_pytorch_and_updates_the_moving_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 3, 5)) * 3 + 2
    layer = BatchNormalization(momentum=0.9, gamma_initializer="random_normal",
                               beta_initializer="random_normal", dtype="float64")
    y, gy, gx = backprop(layer, x, training=True)
    px = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    pg = torch.tensor(layer.gamma.numpy(), requires_grad=True)
    pb = torch.tensor(layer.beta.numpy(), requires_grad=True)
    py = F.batch_norm(px, None, None, pg, pb, training=True, eps=1e-3)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, py.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(gx, px.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(layer.gamma.grad.numpy(), pg.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.beta.grad.numpy(), pb.grad.numpy(), atol=1e-10)
    # Keras 3: moving = moving * momentum + batch * (1 - momentum), biased batch variance
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * x.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(layer.moving_variance.numpy(),
                               0.9 + 0.1 * x.var(axis=(0, 1, 2)))


def test_batch_norm_inference_uses_the_moving_statistics_and_changes_nothing():
    rng = np.random.default_rng(1)
    layer = BatchNormalization(dtype="float64")
    x = rng.standard_normal((6, 4))
    layer.build(x.shape)
    layer.set_weights([np.full(4, 2.0), np.full(4, 0.5), np.arange(4.0), np.full(4, 4.0)])
    for training in (None, False):
        y = layer(Tensor(x, dtype="float64"), training=training).numpy()
        np.testing.assert_allclose(y, 2.0 * (x - np.arange(4.0)) / np.sqrt(4.0 + 1e-3) + 0.5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.arange(4.0))
    y, gy, gx = backprop(layer, x)
    np.testing.assert_allclose(gx, gy * 2.0 / np.sqrt(4.0 + 1e-3))
    np.testing.assert_allclose(layer.gamma.grad.numpy(),
                               (gy * (x - np.arange(4.0)) / np.sqrt(4.001)).sum(axis=0))


def test_a_frozen_batch_norm_runs_in_inference_mode():
    layer = BatchNormalization()
    x = np.random.default_rng(2).standard_normal((8, 3)).astype("float32") + 5
    layer(x)
    layer.trainable = False
    y = layer(x, training=True)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0)
    np.testing.assert_allclose(y.numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-6)


def test_batch_norm_on_another_axis_and_without_center_or_scale():
    x = np.random.default_rng(3).standard_normal((4, 3, 5))
    layer = BatchNormalization(axis=1, center=False, scale=False, dtype="float64")
    x = x.astype("float64")
    y, gy, gx = backprop(layer, x, training=True)
    assert layer.weights[0].shape == (3,) and len(layer.weights) == 2
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3))
    px = torch.tensor(x, requires_grad=True)
    F.batch_norm(px, None, None, training=True, eps=1e-3).backward(torch.tensor(gy))
    np.testing.assert_allclose(gx, px.grad.numpy(), atol=1e-10)


def test_batch_norm_gradcheck_through_gamma_and_beta():
    layer = BatchNormalization(dtype="float64")
    layer.build((5, 3))

    def fn(x, g, b):
        layer.gamma, layer.beta = g, b
        return layer(x, training=True)

    rng = np.random.default_rng(4)
    assert gradcheck(fn, rng.standard_normal((5, 3)), rng.standard_normal(3),
                     rng.standard_normal(3))


def test_batch_norm_with_a_mask_uses_only_the_unmasked_steps():
    x = np.random.default_rng(5).standard_normal((2, 4, 3))
    mask = np.array([[True, True, True, False], [True, False, False, False]])
    layer = BatchNormalization(momentum=0.0, dtype="float64")
    y = layer(Tensor(x, dtype="float64"), training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(axis=0), rtol=1e-6)
    np.testing.assert_allclose(y.numpy()[mask], (kept - kept.mean(0)) / np.sqrt(
        kept.var(0) + 1e-3), atol=1e-6)  # Keras adds 1e-7 to the count


def test_layer_norm_matches_pytorch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 6)) * 2 + 1
    layer = LayerNormalization(gamma_initializer="random_normal",
                               beta_initializer="random_normal", dtype="float64")
    y, gy, gx = backprop(layer, x)
    assert [(w.name, w.shape) for w in layer.weights] == [("gamma", (6,)), ("beta", (6,))]
    px = torch.tensor(x, requires_grad=True)
    pg = torch.tensor(layer.gamma.numpy(), requires_grad=True)
    pb = torch.tensor(layer.beta.numpy(), requires_grad=True)
    py = F.layer_norm(px, (6,), pg, pb, eps=1e-3)
    py.backward(torch.tensor(gy))
    np.testing.assert_allclose(y, py.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(gx, px.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.gamma.grad.numpy(), pg.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.beta.grad.numpy(), pb.grad.numpy(), atol=1e-10)


def test_layer_norm_over_several_axes_and_options():
    x = np.random.default_rng(7).standard_normal((2, 3, 4, 5))
    layer = LayerNormalization(axis=[1, 3], dtype="float64")
    y = layer(Tensor(x, dtype="float64")).numpy()
    assert layer.gamma.shape == (3, 5)
    mean, var = x.mean(axis=(1, 3), keepdims=True), x.var(axis=(1, 3), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), atol=1e-12)
    plain = LayerNormalization(center=False, scale=False)
    plain(x)
    assert plain.weights == []
    rms = LayerNormalization(rms_scaling=True, dtype="float64")
    y = rms(Tensor(x, dtype="float64")).numpy()
    assert [w.name for w in rms.weights] == ["gamma"]
    np.testing.assert_allclose(y, x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-3))
    with pytest.raises(TypeError, match="'axis'"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"axis=3 is out of range.*\(2, 3\)"):
        LayerNormalization(axis=3)(np.ones((2, 3)))


def test_normalization_config_round_trip_and_shape_errors():
    for layer, shape in ((BatchNormalization(momentum=0.5, axis=1, center=False), (2, 3, 4)),
                         (LayerNormalization(axis=[1, 2], epsilon=1e-5), (2, 3, 4))):
        x = np.random.default_rng(8).standard_normal(shape).astype("float32")
        y = layer(x)
        config = layer.get_config()
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
        clone(x)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(clone(x).numpy(), y.numpy(), rtol=1e-6)
    bn = BatchNormalization(name="bn")
    bn(np.ones((2, 3, 3, 4)))
    with pytest.raises(ValueError, match=r'"bn".*value 4.*\(2, 3, 3, 5\)'):
        bn(np.ones((2, 3, 3, 5)))
    with pytest.raises(ValueError, match=r'"bn".*expected ndim=4, found ndim=2'):
        bn(np.ones((2, 4)))


def test_a_cnn_with_batch_norm_trains_and_tracks_batch_statistics():
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((32, 6, 6, 1)) * 4 + 3).astype("float32")
    y = rng.integers(0, 2, 32)
    bn = BatchNormalization()
    model = Sequential([Conv2D(4, 3, input_shape=(6, 6, 1)), bn, Flatten(),
                        Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.numpy() for w in bn.weights]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(not np.allclose(a, w.numpy()) for a, w in zip(before, bn.weights))
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
