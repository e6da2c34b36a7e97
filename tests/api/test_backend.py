"""keras.backend: the tf.keras 2 functions, with values checked."""
import numpy as np
import pytest

from lamina import keras
from lamina.keras import backend as K


def test_values():
    x = np.array([[1.0, 2.0], [3.0, 5.0]], dtype="float32")
    assert K.int_shape(keras.ops.ones((2, 3))) == (2, 3) and K.ndim(x) == 2
    assert K.floatx() == "float32" and K.epsilon() == 1e-7
    assert K.image_data_format() == "channels_last"
    np.testing.assert_allclose(K.mean(x, axis=0).numpy(), [2.0, 3.5])
    np.testing.assert_allclose(K.std(x, axis=1, keepdims=True).numpy(), [[0.5], [1.0]])
    np.testing.assert_allclose(K.sum(x).numpy(), 11.0)
    np.testing.assert_allclose(K.square(x).numpy(), x * x)
    np.testing.assert_allclose(K.sqrt(np.array([-1.0, 4.0])).numpy(), [0.0, 2.0])
    np.testing.assert_allclose(K.exp(x).numpy(), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(K.log(x).numpy(), np.log(x), rtol=1e-6)
    np.testing.assert_allclose(K.max(x, axis=1).numpy(), [2.0, 5.0])
    keras.utils.set_random_seed(1)
    a = K.random_normal((3,), stddev=2.0)
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(a.numpy(), K.random_normal((3,), stddev=2.0).numpy())
    assert K.random_uniform((100,), 2.0, 3.0).numpy().min() >= 2.0


def test_get_value_set_value_and_variables():
    v = K.variable(np.zeros(2))
    K.set_value(v, [1.0, 2.0])
    np.testing.assert_array_equal(K.get_value(v), [1.0, 2.0])
    assert K.count_params(v) == 2
    np.testing.assert_array_equal(K.get_value(K.constant(3.0, shape=(2,))), [3.0, 3.0])


def test_set_floatx_and_clear_session():
    try:
        K.set_floatx("float64")
        assert keras.ops.zeros((1,)).dtype == np.float64
    finally:
        K.set_floatx("float32")
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("int8")
    keras.layers.Dense(1)
    K.clear_session()
    assert keras.layers.Dense(1).name == "dense"
