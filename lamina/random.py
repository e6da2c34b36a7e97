"""``tf.random``: TensorFlow's random functions, mapped onto keras.random (lamina.api.random)."""
import numpy as np

from lamina.api import random as _random
from lamina.api.random import SeedGenerator, categorical, shuffle  # noqa: F401
from lamina.utils import set_random_seed as set_seed  # noqa: F401


def normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    """Draws from a normal distribution (float32 by default)."""
    return _random.normal(shape, mean, stddev, dtype, seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    """Draws from a normal distribution cut at two standard deviations."""
    return _random.truncated_normal(shape, mean, stddev, dtype, seed)


def uniform(shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None):
    """Draws uniformly from [minval, maxval); integer dtypes need ``maxval``."""
    if np.dtype(dtype).kind in "iu":
        if maxval is None:
            raise ValueError(f"uniform with an integer dtype ({np.dtype(dtype)}) needs maxval.")
        return _random.randint(shape, minval, maxval, dtype, seed)
    return _random.uniform(shape, minval, 1.0 if maxval is None else maxval, dtype, seed)


def gamma(shape, alpha, beta=None, dtype=np.float32, seed=None, name=None):
    """Draws from a gamma distribution (rate ``beta``, default 1)."""
    out = _random.gamma(shape, alpha, dtype, seed)
    return out if beta is None else out / beta
