"""``tf.math``: TensorFlow's math functions and names, mapped onto keras.ops (lamina.api).

The ``reduce_*`` family and the common elementwise functions are also at the top level
of ``import lamina as tf``.
"""
import numpy as np

from lamina.api import core, nn
from lamina.api import math as kmath
from lamina.api import numpy as knp
from lamina.api._util import data, wrap

# elementwise, same names in TensorFlow and keras.ops
from lamina.api.numpy import (abs, add, ceil, cos, cosh, cumprod, cumsum,  # noqa: F401
                              divide, divide_no_nan, equal, exp, expm1, floor, greater,
                              greater_equal, less, less_equal, log, log1p, logical_and,
                              logical_not, logical_or, logical_xor, maximum, minimum, multiply,
                              negative, not_equal, reciprocal, round, sign, sin, sinh, sqrt,
                              square, subtract, tan, tanh)
from lamina.api.math import erf, erfc, rsqrt, segment_max, segment_sum  # noqa: F401
from lamina.api.nn import sigmoid, softplus  # noqa: F401

asin, acos, atan = knp.arcsin, knp.arccos, knp.arctan
asinh, acosh, atanh = knp.arcsinh, knp.arccosh, knp.arctanh
atan2 = knp.arctan2
truediv = knp.divide
floordiv = floor_divide = knp.floor_divide
floormod = mod = knp.mod
is_nan, is_inf, is_finite = knp.isnan, knp.isinf, knp.isfinite
log_sigmoid = nn.log_sigmoid
pow = knp.power  # noqa: A001 (TensorFlow's name)


def add_n(inputs, name=None):
    """Sum of a list of tensors of one shape."""
    total = inputs[0]
    for t in inputs[1:]:
        total = knp.add(total, t)
    return total


def squared_difference(x, y, name=None):
    """(x - y) ** 2."""
    return knp.square(knp.subtract(x, y))


def _reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        return fn(input_tensor, axis=_axis(axis), keepdims=keepdims)
    reduce.__doc__ = f"``{fn.__name__}`` over ``axis`` (all axes by default)."
    return reduce


def _axis(axis):
    if axis is None or isinstance(axis, int):
        return axis
    if hasattr(axis, "data"):
        axis = data(axis).tolist()
    return tuple(axis) if isinstance(axis, (list, tuple)) else int(axis)


reduce_sum = _reduce(knp.sum)
reduce_mean = _reduce(knp.mean)
reduce_max = _reduce(knp.max)
reduce_min = _reduce(knp.min)
reduce_prod = _reduce(knp.prod)
reduce_std = _reduce(knp.std)
reduce_variance = _reduce(knp.var)
reduce_any = _reduce(knp.any)
reduce_all = _reduce(knp.all)
reduce_logsumexp = _reduce(kmath.logsumexp)
reduce_euclidean_norm = _reduce(lambda x, axis=None, keepdims=False: knp.sqrt(
    knp.sum(knp.square(x), axis, keepdims)))


def argmax(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """Index of the maximum along ``axis`` (0 by default, as TensorFlow)."""
    return core.cast(knp.argmax(input, 0 if axis is None else axis), output_type)


def argmin(input, axis=None, output_type=np.int64, name=None):  # noqa: A002
    """Index of the minimum along ``axis`` (0 by default, as TensorFlow)."""
    return core.cast(knp.argmin(input, 0 if axis is None else axis), output_type)


def count_nonzero(input, axis=None, keepdims=None, dtype=np.int64, name=None):  # noqa: A002
    """Number of non-zero elements over ``axis``."""
    out = wrap((data(input) != 0).sum(axis=_axis(axis), keepdims=bool(keepdims)))
    return core.cast(out, dtype)


def top_k(input, k=1, sorted=True, index_type=np.int32, name=None):  # noqa: A002
    """(values, indices) of the k largest entries of the last axis."""
    return kmath.top_k(input, k, sorted)


def in_top_k(targets, predictions, k, name=None):
    """True where the target class is among the k highest predictions."""
    return kmath.in_top_k(targets, predictions, k)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2), epsilon)) over ``axis``."""
    x = core.convert_to_tensor(x)
    squares = knp.sum(knp.square(x), _axis(axis if dim is None else dim), keepdims=True)
    return x * kmath.rsqrt(knp.maximum(squares, epsilon))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=np.int32,
                     name=None):
    """Counts of (label, prediction) pairs: rows are labels, columns predictions."""
    labels = np.asarray(core.convert_to_numpy(labels)).astype(np.int64).ravel()
    preds = np.asarray(core.convert_to_numpy(predictions)).astype(np.int64).ravel()
    n = num_classes or int(max(labels.max(initial=-1), preds.max(initial=-1)) + 1)
    out = np.zeros((n, n), dtype=np.float64)
    np.add.at(out, (labels, preds), 1 if weights is None else core.convert_to_numpy(weights))
    return wrap(out, dtype)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):  # noqa: F811 (TF name)
    """Sum of the rows of each segment (segments in any order)."""
    return kmath.segment_sum(data, segment_ids, num_segments)


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=np.int32, name=None,
             axis=None, binary_output=False):
    """Counts of each non-negative integer in ``arr``."""
    out = knp.bincount(knp.ravel(arr), weights, minlength or 0)
    return out if maxlength is None else out[:maxlength]


def polyval(coeffs, x, name=None):
    """coeffs[0] * x ** (n-1) + ... + coeffs[-1] (Horner's rule)."""
    out = knp.zeros_like(x)
    for c in coeffs:
        out = out * x + c
    return out
