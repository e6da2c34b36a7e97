"""The base class of losses and the helpers every loss shares, as Keras's ``losses/loss.py``.

A ``Loss`` object calls a per-sample loss, then weights the values by ``sample_weight`` and
reduces them to a scalar Tensor that ``backward()`` can start from.
"""
import numpy as np

from lamina import backend, ops
from lamina.autograd import Cast, Tensor
from lamina.naming import snake_case, unique_name

EPSILON = 1e-7  # keras.backend.epsilon()
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# --- helpers -------------------------------------------------------------------------
def _pred(y_pred):
    """Returns ``y_pred`` as a float Tensor (arrays become constants of floatx)."""
    if isinstance(y_pred, Tensor) and y_pred.dtype.kind == "f":
        if y_pred.dtype.itemsize < 4:   # mixed precision: the loss is computed in floatx
            return Cast(backend.floatx())(y_pred)
        return y_pred
    data = y_pred.data if isinstance(y_pred, Tensor) else y_pred
    t = Tensor(data)
    return t if t.dtype.kind == "f" else Tensor(t.data, dtype=backend.floatx())


def _array(x, like=None, dtype=None):
    """Returns ``x`` as a constant array (no graph), of ``dtype`` if given: on ``like``'s
    device when ``like`` (a Tensor or an array) is given, else on the active backend.
    Losses and metrics read their targets, weights and predictions through it."""
    data = x.data if isinstance(x, Tensor) else x
    if like is None:
        data = data if backend.is_array(data) else backend.to_device(np.asarray(data))
        return data if dtype is None else data.astype(dtype, copy=False)
    like = like.data if isinstance(like, Tensor) else like
    return backend.get_array_module(like).asarray(data, dtype=dtype)


def _true(y_true, y_pred):
    """Returns ``y_true`` as a constant array of ``y_pred``'s float dtype."""
    return _array(y_true, y_pred, y_pred.dtype)


def _const(array):
    """Wraps a constant array as a Tensor, so an op keeps its dtype (float64 included)."""
    return Tensor._wrap(array)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes the ranks of ``x1`` and ``x2`` equal when they differ by a last axis of size 1.

    The one with the extra axis of size 1 is squeezed, except that a rank-1 partner is
    expanded instead (so labels of shape (n,) meet predictions of shape (n, 1)).
    Works on arrays and Tensors.

    Returns:
        ``(x1, x2)``.
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1 and expand_rank_1:
            x2 = x2.reshape(x2.shape + (1,))
        else:
            x1 = x1.reshape(x1.shape[:-1])
    elif x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1 and expand_rank_1:
            x1 = x1.reshape(x1.shape + (1,))
        else:
            x2 = x2.reshape(x2.shape[:-1])
    return x1, x2


def _auto_name(class_name):
    """'MyLoss' -> 'my_loss', then 'my_loss_1', 'my_loss_2', ... as Keras names objects."""
    return unique_name(snake_case(class_name))


# --- reduction -----------------------------------------------------------------------
def standardize_reduction(reduction):
    """Checks a reduction name; 'auto' (Keras 2) means 'sum_over_batch_size'."""
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                         f"{list(REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Weights per-sample loss values and reduces them as Keras 3 does.

    Args:
        values: Tensor of per-sample losses.
        sample_weight: optional weights, broadcastable to ``values`` (shape (batch,) usually).
        mask: optional boolean array; masked-out entries get weight 0 and are not counted.
        reduction: 'sum_over_batch_size' / 'mean' (weighted sum / number of values),
            'sum', 'mean_with_sample_weight' (weighted sum / sum of weights), or
            None / 'none' (weighted values, unreduced).

    Returns:
        A Tensor: a scalar, or ``values``' shape when not reduced.
    """
    reduction = standardize_reduction(reduction)
    weights = None if sample_weight is None else _true(sample_weight, values)
    if mask is not None:
        mask = _true(mask, values)
        if reduction in ("sum_over_batch_size", "mean"):
            valid = float(mask.sum())
            mask = mask * (mask.size / valid if valid else 0.0)
        if weights is not None:
            mask, weights = squeeze_or_expand_to_same_rank(mask, weights)
            weights = weights * mask
        else:
            weights = mask
    if weights is not None:
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        summed = weights   # the weights whose total 'mean_with_sample_weight' divides by
        if weights.ndim < values.ndim:  # (batch,) weights for (batch, steps) losses
            weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    if reduction in (None, "none") or values.ndim == 0 or values.shape == (0,):
        return values if weights is None else values * _const(weights)
    if reduction == "sum":
        return ops.sum(values if weights is None else values * _const(weights))
    # the weights' scaling as ops: a compiled step recomputes it for each batch
    if reduction == "mean_with_sample_weight" and weights is not None:
        return ops.sum(values * ops.detached(_over_total, _const(weights), _const(summed)))
    if weights is None:
        return ops.mean(values)
    # NOTE: 1/n is folded into the (constant) weights: one multiply and one sum.
    return ops.sum(values * ops.detached(_divided, _const(weights), count=values.size))


def _over_total(xp, weights, summed):
    total = summed.sum()
    return weights / total if total else weights * 0


def _divided(xp, weights, count):
    return weights / count


# --- Loss objects --------------------------------------------------------------------
class Loss:
    """Base class of losses. Subclasses implement ``call(y_true, y_pred)`` -> per-sample Tensor.

    Args:
        name: name of the loss; default the class name in snake case.
        reduction: 'sum_over_batch_size' (default), 'sum', 'mean',
            'mean_with_sample_weight', or None / 'none'.
        dtype: float dtype of the computation; default ``floatx``.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = dtype or backend.floatx()

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Computes the weighted, reduced loss.

        Args:
            y_true: targets (array, list or Tensor; a constant).
            y_pred: predictions (Tensor from the model, or array).
            sample_weight: optional per-sample weights.

        Returns:
            Scalar Tensor (or unreduced Tensor when reduction is None).
        """
        y_pred = _pred(y_pred)
        # NOTE: as in Keras, y_true becomes a constant of y_pred's float dtype (labels included).
        values = self.call(Tensor._wrap(_true(y_true, y_pred)), y_pred)
        if not isinstance(values, Tensor):
            values = Tensor(values)
        return reduce_weighted_values(values, sample_weight, getattr(values, "_keras_mask", None),
                                      self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"
