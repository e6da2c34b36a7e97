"""Pooling layers: the course example, Keras shapes, TF's 'same' average, masks, PyTorch parity."""
import numpy as np
import pytest

from lamina.autograd import Tensor
from lamina.layers import Dense, Flatten
from lamina.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                   MaxPool2D, MaxPooling1D, MaxPooling2D)
from lamina.models import Sequential

import torch
F = torch.nn.functional


def test_the_course_max_pooling_example():
    x = np.array([[1, 4, 8, 3], [6, 9, 2, 1], [11, 13, 6, 7], [8, 19, 8, 2]], dtype=float)
    y = MaxPooling2D(2)(x[None, :, :, None])
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[9, 8], [19, 8]])
    assert MaxPool2D is MaxPooling2D


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("pool,strides,padding,in_hw,out_hw", [
    ((2, 2), None, "valid", (26, 26), (13, 13)),
    ((2, 2), None, "valid", (11, 11), (5, 5)),
    ((2, 2), None, "same", (11, 11), (6, 6)),
    ((3, 3), (1, 1), "same", (5, 7), (5, 7)),
    ((3, 2), (2, 1), "valid", (7, 4), (3, 3)),
])
def test_pooling_output_shapes(cls, pool, strides, padding, in_hw, out_hw):
    layer = cls(pool, strides=strides, padding=padding)
    assert layer(np.ones((2,) + in_hw + (3,))).shape == (2,) + out_hw + (3,)
    assert layer.weights == [] and layer.strides == (strides or pool)


def test_same_average_pooling_divides_by_the_real_pixels_as_tensorflow():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y = AveragePooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    # windows: {1,2,4,5}, {3,6}, {7,8}, {9}: padded zeros are not counted
    np.testing.assert_allclose(y, [[3.0, 4.5], [7.5, 9.0]])


def test_same_max_pooling_ignores_the_padding_even_for_negative_inputs():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    y = MaxPooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(y, [[-1.0, -3.0], [-7.0, -9.0]])


@pytest.mark.parametrize("pool,strides,padding",
                         [(2, None, "valid"), (3, 2, "same"), (3, 1, "valid")])
def test_pool2d_layers_match_pytorch(pool, strides, padding):
    x = np.random.default_rng(0).standard_normal((2, 7, 6, 3))
    for cls in (MaxPooling2D, AveragePooling2D):
        layer = cls(pool, strides=strides, padding=padding, dtype="float64")
        xt = Tensor(x, requires_grad=True, dtype="float64")
        y = layer(xt)
        gy = np.random.default_rng(1).standard_normal(y.shape)
        y.backward(gy)
        s = strides or pool
        pads = [max((-(-n // s) - 1) * s + pool - n, 0) if padding == "same" else 0 for n in (7, 6)]
        pad = (pads[1] // 2, pads[1] - pads[1] // 2, pads[0] // 2, pads[0] - pads[0] // 2)
        px = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
        if cls is MaxPooling2D:
            py = F.max_pool2d(F.pad(px, pad, value=-np.inf), pool, s)
        else:
            py = F.avg_pool2d(F.pad(px, pad), pool, s) / F.avg_pool2d(
                F.pad(torch.ones_like(px), pad), pool, s)
        py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(y.numpy(), py.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(xt.grad.numpy(), px.grad.numpy().transpose(0, 2, 3, 1),
                                   atol=1e-12)


@pytest.mark.parametrize("cls,torch_op", [(MaxPooling1D, F.max_pool1d),
                                          (AveragePooling1D, F.avg_pool1d)])
def test_pool1d_layers_match_pytorch(cls, torch_op):
    x = np.random.default_rng(2).standard_normal((2, 9, 3))
    layer = cls(pool_size=3, strides=2, dtype="float64")
    xt = Tensor(x, requires_grad=True, dtype="float64")
    y = layer(xt)
    assert y.shape == (2, 4, 3)
    gy = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(gy)
    px = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)
    py = torch_op(px, 3, 2)
    py.backward(torch.tensor(gy.transpose(0, 2, 1)))
    np.testing.assert_allclose(y.numpy(), py.detach().numpy().transpose(0, 2, 1), atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), px.grad.numpy().transpose(0, 2, 1), atol=1e-12)


def test_channels_first_pooling():
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 5)).astype("float32")
    y = MaxPooling2D(2, data_format="channels_first")(x)
    expected = MaxPooling2D(2)(x.transpose(0, 2, 3, 1)).numpy().transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(y.numpy(), expected)


def test_global_pooling_reduces_the_grid():
    x = np.random.default_rng(5).standard_normal((2, 4, 5, 3)).astype("float32")
    np.testing.assert_allclose(GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_allclose(GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)))
    assert GlobalAveragePooling2D(keepdims=True)(x).shape == (2, 1, 1, 3)
    np.testing.assert_allclose(GlobalMaxPooling2D(data_format="channels_first")(x).numpy(),
                               x.max(axis=(2, 3)))
    seq = x[:, 0]
    np.testing.assert_allclose(GlobalMaxPooling1D()(seq).numpy(), seq.max(axis=1))
    np.testing.assert_allclose(GlobalAveragePooling1D(keepdims=True)(seq).numpy(),
                               seq.mean(axis=1, keepdims=True), rtol=1e-6)


def test_global_average_pooling_1d_averages_only_unmasked_steps():
    x = np.random.default_rng(6).standard_normal((2, 5, 3))
    mask = np.array([[True, True, False, False, False], [True, True, True, True, False]])
    xt = Tensor(x, requires_grad=True, dtype="float64")
    layer = GlobalAveragePooling1D(dtype="float64")
    y = layer(xt, mask=mask)
    np.testing.assert_allclose(y.numpy(), [x[0, :2].mean(axis=0), x[1, :4].mean(axis=0)])
    assert getattr(y, "_keras_mask", None) is None
    y.backward(np.ones(y.shape))
    np.testing.assert_allclose(xt.grad.numpy()[0, :, 0], [0.5, 0.5, 0, 0, 0])


def test_pooling_errors_and_config_round_trip():
    with pytest.raises(ValueError, match=r'"pool".*expected ndim=4, found ndim=3'):
        MaxPooling2D(name="pool")(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="padding='full'"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        AveragePooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match=r"pool_size=\(3, 3\).*larger"):
        MaxPooling2D(3)(np.ones((1, 2, 2, 1)))
    for layer in (MaxPooling2D(3, 2, "same"), AveragePooling1D(4), GlobalAveragePooling2D(
            keepdims=True), GlobalMaxPooling1D(data_format="channels_first")):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_a_model_with_pooling_trains():
    x = np.random.default_rng(7).standard_normal((16, 6, 6, 2)).astype("float32")
    y = np.random.default_rng(8).standard_normal((16, 1)).astype("float32")
    model = Sequential([AveragePooling2D(padding="same"), MaxPooling2D(), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model(x)
    before = model.get_weights()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(before[0], model.get_weights()[0])
