"""ZeroPadding, Cropping and UpSampling layers: Keras argument forms, gradients, PyTorch parity."""
import numpy as np
import pytest

from lamina.autograd import Tensor, gradcheck
from lamina.layers import Dense, Flatten
from lamina.layers.spatial import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D,
                                   ZeroPadding1D, ZeroPadding2D)
from lamina.models import Sequential

import torch
F = torch.nn.functional

X = np.random.default_rng(0).standard_normal((2, 4, 5, 3))


@pytest.mark.parametrize("padding,pads", [
    (1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((0, 1), (2, 3)), ((0, 1), (2, 3)))])
def test_zero_padding_2d_argument_forms(padding, pads):
    layer = ZeroPadding2D(padding)
    y = layer(X).numpy()
    np.testing.assert_allclose(y, np.pad(X, ((0, 0),) + pads + ((0, 0),)).astype("float32"))
    assert layer.padding == pads


def test_zero_padding_default_and_channels_first():
    assert ZeroPadding2D()(X).shape == (2, 6, 7, 3)
    y = ZeroPadding2D(((1, 0), (0, 2)), data_format="channels_first")(X.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(y.numpy(), np.pad(X.transpose(0, 3, 1, 2),
                                                 ((0, 0), (0, 0), (1, 0), (0, 2))), rtol=1e-6)
    seq = X[:, 0]
    np.testing.assert_allclose(ZeroPadding1D((2, 1))(seq).numpy(),
                               np.pad(seq, ((0, 0), (2, 1), (0, 0))), rtol=1e-6)


@pytest.mark.parametrize("cropping,crops", [
    (1, ((1, 1), (1, 1))), ((1, 2), ((1, 1), (2, 2))), (((0, 1), (2, 0)), ((0, 1), (2, 0)))])
def test_cropping_2d_argument_forms(cropping, crops):
    y = Cropping2D(cropping)(X).numpy()
    (t, b), (l, r) = crops
    np.testing.assert_allclose(y, X[:, t:4 - b, l:5 - r], rtol=1e-6)


def test_cropping_defaults_errors_and_1d():
    assert Cropping2D()(X).shape == X.shape
    np.testing.assert_allclose(Cropping1D()(X[:, 0]).numpy(), X[:, 0, 1:-1], rtol=1e-6)
    with pytest.raises(ValueError, match=r'"crop".*leaves nothing.*\(2, 4, 5, 3\)'):
        Cropping2D(((2, 2), (0, 0)), name="crop")(X)
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D(((1, 2, 3), (0, 0)))
    with pytest.raises(ValueError, match="padding=-1"):
        ZeroPadding2D(-1)


def test_padding_and_cropping_gradients():
    x = X[:1, :3, :3, :2]
    assert gradcheck(lambda a: ZeroPadding2D(((1, 0), (2, 1)), dtype="float64")(a), x)
    assert gradcheck(lambda a: Cropping2D(((1, 0), (0, 1)), dtype="float64")(a), x)


def test_upsampling_nearest_repeats_rows_and_columns():
    y = UpSampling2D((2, 3))(X).numpy()
    np.testing.assert_allclose(y, X.repeat(2, axis=1).repeat(3, axis=2), rtol=1e-6)
    assert UpSampling2D()(X).shape == (2, 8, 10, 3)
    np.testing.assert_allclose(UpSampling1D(3)(X[:, 0]).numpy(), X[:, 0].repeat(3, axis=1),
                               rtol=1e-6)
    y = UpSampling2D(2, data_format="channels_first")(X.transpose(0, 3, 1, 2))
    assert y.shape == (2, 3, 8, 10)


@pytest.mark.parametrize("interpolation,mode", [("nearest", "nearest"), ("bilinear", "bilinear")])
def test_upsampling_matches_pytorch(interpolation, mode):
    layer = UpSampling2D((2, 3), interpolation=interpolation, dtype="float64")
    xt = Tensor(X, requires_grad=True, dtype="float64")
    y = layer(xt)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(gy)
    px = torch.tensor(X.transpose(0, 3, 1, 2), requires_grad=True)
    kwargs = {} if mode == "nearest" else {"align_corners": False}
    py = F.interpolate(px, scale_factor=(2, 3), mode=mode, **kwargs)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y.numpy(), py.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), px.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)


def test_upsampling_rejects_unknown_interpolation_and_wrong_rank():
    with pytest.raises(ValueError, match="interpolation='bicubic'"):
        UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r'"up".*expected ndim=4, found ndim=3'):
        UpSampling2D(name="up")(X[0])


@pytest.mark.parametrize("layer", [ZeroPadding2D(((1, 0), (2, 3))), Cropping2D(1),
                                   UpSampling2D((1, 2), interpolation="bilinear"),
                                   ZeroPadding1D(2), Cropping1D((0, 1)), UpSampling1D(4)])
def test_spatial_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = X if "2D" in type(layer).__name__ else X[:, 0]
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_a_model_with_spatial_layers_trains():
    x = X.astype("float32")
    y = np.random.default_rng(2).standard_normal((2, 1)).astype("float32")
    model = Sequential([ZeroPadding2D(), UpSampling2D(), Cropping2D(2), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model(x)
    before = model.get_weights()
    history = model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(before[0], model.get_weights()[0])
