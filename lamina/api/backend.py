"""The ``keras.backend`` functions that tf.keras 2 code still calls.

Keras 2's argument names and defaults; each one maps onto keras.ops or lamina.backend.
"""
from lamina import backend as _backend
from lamina.api import nn as _nn
from lamina.api import numpy as _knp
from lamina.api import random as _random
from lamina.api.core import cast, convert_to_tensor  # noqa: F401
from lamina.autograd import Variable
from lamina.backend import epsilon, floatx, get_value, set_floatx, set_value  # noqa: F401
from lamina.naming import clear_session  # noqa: F401


def int_shape(x):
    """The shape of ``x`` as a tuple of ints."""
    return tuple(x.shape)


def ndim(x):
    """Number of axes of ``x``."""
    return len(x.shape)


def image_data_format():
    """'channels_last', the layout lamina's layers use."""
    return "channels_last"


def variable(value, dtype=None, name=None, constraint=None):
    """A Variable holding ``value``."""
    return Variable(value, dtype=dtype, name=name)


def constant(value, dtype=None, shape=None, name=None):
    """A Tensor holding ``value`` (broadcast to ``shape`` when given)."""
    t = convert_to_tensor(value, dtype or floatx())
    return t if shape is None else _knp.broadcast_to(t, shape)


def zeros(shape, dtype=None, name=None):
    """Zeros of ``shape``."""
    return _knp.zeros(shape, dtype or floatx())


def ones(shape, dtype=None, name=None):
    """Ones of ``shape``."""
    return _knp.ones(shape, dtype or floatx())


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution."""
    return _random.normal(shape, mean, stddev, dtype, seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from a uniform distribution."""
    return _random.uniform(shape, minval, maxval, dtype, seed)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``."""
    return _knp.mean(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``."""
    return _knp.std(x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    """Variance over ``axis``."""
    return _knp.var(x, axis, keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis``."""
    return _knp.sum(x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum over ``axis``."""
    return _knp.max(x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum over ``axis``."""
    return _knp.min(x, axis, keepdims)


def square(x):
    """x * x."""
    return _knp.square(x)


def sqrt(x):
    """Square root, of x clipped at 0 (as Keras 2 does)."""
    return _knp.sqrt(_knp.maximum(x, 0.0))


def exp(x):
    """e ** x."""
    return _knp.exp(x)


def log(x):
    """Natural logarithm."""
    return _knp.log(x)


def abs(x):  # noqa: A001
    """Absolute value."""
    return _knp.abs(x)


def clip(x, min_value, max_value):
    """x limited to [min_value, max_value]."""
    return _knp.clip(x, min_value, max_value)


def dot(x, y):
    """Matrix product."""
    return _knp.dot(x, y)


def sigmoid(x):
    """Logistic sigmoid."""
    return _nn.sigmoid(x)


def softmax(x, axis=-1):
    """Softmax over ``axis``."""
    return _nn.softmax(x, axis)


def count_params(x):
    """Number of values in ``x``."""
    return int(_knp.size(x))


def backend():
    """The name of the array backend: 'numpy' or 'cupy'."""
    return _backend.backend()
