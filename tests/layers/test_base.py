"""Layer base: inputs are cast to the layer's dtype, as Keras autocasts them."""
import numpy as np
import pytest

from lamina import backend, keras
from lamina.autograd import Tensor


def test_float_inputs_are_cast_to_the_layer_dtype():
    layer = keras.layers.Dense(2, dtype="float64")
    assert layer(np.ones((1, 3), "float32")).dtype == np.float64
    assert keras.layers.Dense(2)(Tensor(np.ones((1, 3)), dtype="float64")).dtype == np.float32


def test_set_floatx_float16_casts_float32_inputs():
    old = backend.floatx()
    backend.set_floatx("float16")
    try:
        model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)])
        assert model.predict(np.ones((4, 3), "float32"), verbose=0).dtype == np.float16
        assert keras.layers.Dense(2)(np.ones((1, 3), "float32")).dtype == np.float16
    finally:
        backend.set_floatx(old)
