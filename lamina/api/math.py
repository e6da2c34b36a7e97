"""keras.ops math family: logsumexp, top_k, segment reductions, erf and friends."""
import numpy as np

from lamina import backend, ops
from lamina.api import numpy as knp
from lamina.api._util import data, make_symbolic, plain, scipy_function, wrap
from lamina.api.core import convert_to_tensor, stop_gradient

_t = convert_to_tensor


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed stably (the max is taken out first)."""
    x = knp._float(x)
    m = stop_gradient(ops.max(x, axis, keepdims=True))
    out = ops.log(ops.sum(ops.exp(x - m), axis, keepdims=True)) + m
    return out if keepdims else knp.squeeze(out, axis) if axis is not None else \
        ops.reshape(out, ())


def rsqrt(x):
    """1 / sqrt(x)."""
    return 1.0 / ops.sqrt(knp._float(x))


def erf(x):
    """The error function."""
    return ops.erf(knp._float(x))


def erfc(x):
    """1 - erf(x)."""
    return 1.0 - ops.erf(knp._float(x))


def _erfinv(xp, x):
    scipy_erfinv = scipy_function("special", "erfinv", "erfinv")
    return scipy_erfinv(backend.to_numpy(x)).astype(x.dtype)


erfinv = plain(_erfinv, differentiable=True)
erfinv.__name__, erfinv.__doc__ = "erfinv", "The inverse error function (no gradient)."


def top_k(x, k, sorted=True, is_stable=True):  # noqa: A002 (Keras's name)
    """The k largest values along the last axis and their int32 indices."""
    x = _t(x)
    if not 0 < k <= x.shape[-1]:
        raise ValueError(f"top_k expects 0 < k <= {x.shape[-1]} for shape {x.shape}, got {k}.")
    a = x.data
    order = backend.get_array_module(a).argsort(-a, axis=-1, kind="stable")[..., :k]
    return knp.take_along_axis(x, order, -1), wrap(order, "int32")


def in_top_k(targets, predictions, k):
    """True where the target class is among the k highest predictions of its row."""
    p = data(predictions)
    t = data(targets).astype(np.int64)
    target_score = np.take_along_axis(backend.to_numpy(p), backend.to_numpy(t)[:, None], -1)
    return wrap((backend.to_numpy(p) > target_score).sum(axis=-1) < k)


def _segment(reduce, fill):
    def op(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 (Keras's names)
        x = _t(data)
        ids = backend.to_numpy(_t(segment_ids).data).astype(np.int64)
        n = int(ids.max()) + 1 if num_segments is None else num_segments
        rows = []
        for s in range(n):
            picked = np.nonzero(ids == s)[0]
            rows.append(reduce(x[picked], axis=0) if picked.size else
                        wrap(np.full(x.shape[1:], fill), x.dtype))
        return ops.stack(rows, axis=0)
    return op


segment_sum = _segment(ops.sum, 0)
segment_sum.__name__, segment_sum.__doc__ = "segment_sum", "Sum of the rows of each segment."
segment_max = _segment(ops.max, -np.inf)
segment_max.__name__, segment_max.__doc__ = "segment_max", "Maximum of the rows of each segment."
segment_min = _segment(ops.min, np.inf)
segment_min.__name__, segment_min.__doc__ = "segment_min", "Minimum of the rows of each segment."
segment_prod = _segment(lambda x, axis: knp.prod(x, axis), 1)
segment_prod.__name__, segment_prod.__doc__ = "segment_prod", "Product of each segment's rows."


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` every ``sequence_stride`` along the last axis."""
    x = _t(x)
    count = 1 + (x.shape[-1] - sequence_length) // sequence_stride
    index = (np.arange(count) * sequence_stride)[:, None] + np.arange(sequence_length)[None, :]
    return x[..., index]


def cdist(x, y):
    """Euclidean distances between the rows of x and the rows of y."""
    x, y = knp._float(x), knp._float(y)
    diff = knp.expand_dims(x, -2) - knp.expand_dims(y, -3)
    return ops.sqrt(ops.sum(diff * diff, -1))


def logdet(x):
    """log(det(x)) of positive-definite matrices."""
    return knp.slogdet(x)[1]


def gammainc(x1, x2):
    """Regularized lower incomplete gamma function (no gradient)."""
    scipy_gammainc = scipy_function("special", "gammainc", "gammainc")
    return wrap(backend.to_device(scipy_gammainc(backend.to_numpy(data(x1)),
                                                 backend.to_numpy(data(x2)))), backend.floatx())


__all__ = ["logsumexp", "rsqrt", "erf", "erfc", "erfinv", "top_k", "in_top_k", "segment_sum",
           "segment_max", "segment_min", "segment_prod", "extract_sequences", "cdist", "logdet",
           "gammainc"]

make_symbolic(globals(), __all__)
