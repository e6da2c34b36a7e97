"""Loss functions and the Loss classes that wrap them, as Keras's ``losses/losses.py``.

A loss *function* maps ``(y_true, y_pred)`` to one value per sample (reduced over
the last axis). ``y_pred`` is the model's output Tensor (NumPy input is accepted too);
``y_true`` is data (NumPy array, list or Tensor) and is treated as a constant; functions of
it are computed with ``ops.detached`` (no gradient), so a compiled step recomputes them at
every batch instead of freezing the traced batch's values.
"""
import math
import warnings

from lamina import backend, ops
from lamina.autograd import Function
from lamina.losses.loss import (EPSILON, Loss, _array, _const, _pred, _true,
                                squeeze_or_expand_to_same_rank)
from lamina.ops.elementwise import Sigmoid
from lamina.ops.nn import Softmax


def _prepare(y_true, y_pred):
    """The common start of the regression losses: float Tensor, constant, same rank."""
    y_pred = _pred(y_pred)
    return squeeze_or_expand_to_same_rank(_true(y_true, y_pred), y_pred)


def _get_logits(y_pred, from_logits, op, fn_name):
    """Returns the logits to feed a fused cross-entropy op, or None for probabilities.

    ``lamina.ops.softmax`` (last axis) and ``lamina.ops.sigmoid`` leave their input on the
    output as ``_keras_logits``, exactly as Keras's TensorFlow backend does.
    """
    logits = getattr(y_pred, "_keras_logits", None)
    # NOTE: the logits are used only when y_pred was made by the matching activation
    # (Softmax for the categorical losses, Sigmoid for the binary one).
    if logits is not None and y_pred._keras_logits_of is op:
        if from_logits:
            warnings.warn(f"`{fn_name}` received `from_logits=True`, but the `y_pred` argument "
                          f"was produced by a {op.__name__.lower()} activation and thus does not "
                          "represent logits. Was this intended?", stacklevel=3)
        return logits
    return y_pred if from_logits else None


# --- regression losses ---------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """Mean of squares of errors over the last axis: ``mean(square(y_true - y_pred), -1)``.

    Args:
        y_true: targets, shape ``(batch, d0, .. dN)``.
        y_pred: predictions, same shape (a trailing axis of size 1 may differ).

    Returns:
        Tensor of shape ``(batch, d0, .. dN-1)``.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.square(y_pred - _const(y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error over the last axis: ``mean(abs(y_true - y_pred), -1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return ops.mean(ops.abs(y_pred - _const(y_true)), axis=-1)


def _percentage_scale(xp, y_true):
    return 100.0 / xp.maximum(xp.abs(y_true), EPSILON)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), -1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    scale = ops.detached(_percentage_scale, _const(y_true))
    return ops.mean(ops.abs(y_pred - _const(y_true)) * scale, axis=-1)


def _log_floored(xp, y_true):
    return xp.log(xp.maximum(y_true, EPSILON) + 1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(y_pred + 1) - log(y_true + 1)), -1)``, both floored at epsilon."""
    y_true, y_pred = _prepare(y_true, y_pred)
    log_true = ops.detached(_log_floored, _const(y_true))
    log_pred = ops.log(ops.maximum(y_pred, EPSILON) + 1.0)
    return ops.mean(ops.square(log_pred - log_true), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 * x**2`` where ``|x| <= delta``, else ``delta * |x| - 0.5 * delta**2``.

    Args:
        delta: where the loss turns from quadratic to linear.

    Returns:
        The mean over the last axis, one value per sample.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    error = y_pred - _const(y_true)
    abs_error = ops.abs(error)
    quadratic = 0.5 * ops.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return ops.mean(ops.where(ops.detached(_at_most, abs_error, delta=delta), quadratic, linear),
                    axis=-1)


def _at_most(xp, x, delta):
    return x <= delta


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), -1)``: about ``x**2 / 2`` near 0, ``|x| - log 2`` far."""
    y_true, y_pred = _prepare(y_true, y_pred)
    x = y_pred - _const(y_true)
    # NOTE: log(cosh(x)) = x + softplus(-2x) - log(2) never overflows.
    return ops.mean(x + ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), -1)``.

    Both are clipped to [epsilon, 1] first.
    """
    y_pred = _pred(y_pred)
    y_true = ops.detached(_clip_unit, _const(_true(y_true, y_pred)))
    entropy_term = ops.detached(_entropy_term, y_true)
    cross_term = ops.sum(ops.log(ops.clip(y_pred, EPSILON, 1.0)) * y_true, axis=-1)
    return ops.subtract(entropy_term, cross_term)


def _clip_unit(xp, y_true):
    return xp.clip(y_true, EPSILON, 1)


def _entropy_term(xp, y_true):
    return (y_true * xp.log(y_true)).sum(axis=-1)


def poisson(y_true, y_pred):
    """Poisson loss ``mean(y_pred - y_true * log(y_pred + epsilon), -1)``."""
    y_pred = _pred(y_pred)
    y_true = _true(y_true, y_pred)
    return ops.mean(y_pred - ops.log(y_pred + EPSILON) * _const(y_true), axis=-1)


def _hinge_labels(xp, y_true):
    is_binary = xp.all((y_true == 0) | (y_true == 1))
    return xp.where(is_binary, 2 * y_true - 1, y_true)


def hinge(y_true, y_pred):
    """Hinge loss ``mean(maximum(1 - y_true * y_pred, 0), -1)``; labels 0/1 become -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    labels = ops.detached(_hinge_labels, _const(y_true))
    return ops.mean(ops.relu(1.0 - y_pred * labels), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), -1)``; labels 0/1 become -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    labels = ops.detached(_hinge_labels, _const(y_true))
    return ops.mean(ops.square(ops.relu(1.0 - y_pred * labels)), axis=-1)


# --- probabilistic losses ------------------------------------------------------------
class _ClippedBinaryCrossentropy(Function):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))`` with p clipped to [eps, 1 - eps]."""
    # NOTE: fused: one graph op instead of eight for the probability form of binary CE.

    def forward(self, p, t):
        xp = backend.get_array_module(p)
        self.inside = (p >= EPSILON) & (p <= 1 - EPSILON)
        self.p, self.t = xp.clip(p, EPSILON, 1 - EPSILON), t
        return -(t * xp.log(self.p) + (1 - t) * xp.log(1 - self.p))

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        p, t = self.p, self.t
        gp = gy * self.inside * (p - t) / (p * (1 - p))
        gt = gy * (xp.log(1 - p) - xp.log(p)) if self.needs_grad[1] else None
        return gp, gt


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over ``axis``.

    Args:
        y_true: 0/1 targets (or probabilities), same shape as ``y_pred``.
        y_pred: probabilities, or logits when ``from_logits=True``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; targets become ``t * (1 - s) + 0.5 * s``.
        axis: the axis the mean is taken over.

    Returns:
        Tensor with ``axis`` reduced.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("binary_crossentropy expects y_true and y_pred of the same shape, got "
                         f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}.")
    target = _const(y_true)
    if label_smoothing:
        target = _smooth(target, label_smoothing, 0.5 * label_smoothing)
    logits = _get_logits(y_pred, from_logits, Sigmoid, "binary_crossentropy")
    if logits is not None:
        values = ops.sigmoid_cross_entropy(logits, target)
    else:
        values = _ClippedBinaryCrossentropy()(y_pred, target)
    return ops.mean(values, axis=axis)


def _smoothed(xp, y_true, keep, add):
    return y_true * keep + add


def _smooth(target, label_smoothing, add):
    """Smoothed targets ``target * (1 - label_smoothing) + add``."""
    return ops.detached(_smoothed, target, keep=1.0 - label_smoothing, add=add)


def _move_axis_last(y_true, y_pred, axis):
    """Moves the class axis to the end so the fused ops (last axis only) apply."""
    axis = axis % y_pred.ndim
    if axis == y_pred.ndim - 1:
        return y_true, y_pred
    perm = [i for i in range(y_pred.ndim) if i != axis] + [axis]
    return ops.transpose(y_true, perm), ops.transpose(y_pred, perm)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and predicted class probabilities.

    Args:
        y_true: one-hot targets, same shape as ``y_pred``.
        y_pred: probabilities over ``axis`` (or logits when ``from_logits=True``).
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; targets become ``t * (1 - s) + s / num_classes``.
        axis: the class axis.

    Returns:
        Tensor with ``axis`` reduced.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} "
                         f"of type {type(axis)}")
    y_pred = _pred(y_pred)
    y_true = _true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError("categorical_crossentropy expects y_true and y_pred of the same shape "
                         f"(one-hot labels), got y_true.shape={y_true.shape} and "
                         f"y_pred.shape={y_pred.shape}. For integer labels use "
                         "sparse_categorical_crossentropy.")
    if y_pred.shape[-1] == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be "
                      f"(batch_size, num_classes) with num_classes > 1. Received: "
                      f"y_pred.shape={y_pred.shape}. Consider using 'binary_crossentropy' "
                      "if you only have 2 classes.", SyntaxWarning, stacklevel=2)
    target = _const(y_true)
    if label_smoothing:
        target = _smooth(target, label_smoothing, label_smoothing / y_true.shape[axis])
    target, y_pred = _move_axis_last(target, y_pred, axis)
    logits = _get_logits(y_pred, from_logits, Softmax, "categorical_crossentropy")
    if logits is None:
        # NOTE: log(clip(p)) are logits whose softmax is clip(p) / sum(clip(p)), so the fused
        # op renormalises the probabilities as Keras does and takes the log stably.
        logits = ops.log(ops.clip(y_pred, EPSILON, 1 - EPSILON))
    return ops.softmax_cross_entropy(logits, target)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy between integer labels and predicted class probabilities.

    Args:
        y_true: integer labels of shape ``y_pred.shape[:-1]`` (or with a trailing axis of
            size 1); float labels must hold whole numbers (fractions raise an error).
        y_pred: probabilities over the last axis (or logits when ``from_logits=True``).
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: optional label whose entries give loss 0 and are left out of the mean.
        axis: must be the last axis.

    Returns:
        Tensor of shape ``y_pred.shape[:-1]``.
    """
    y_pred = _pred(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    labels = _array(y_true, y_pred)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError("sparse_categorical_crossentropy expects y_true of shape "
                         f"y_pred.shape[:-1] = {y_pred.shape[:-1]} (one integer label per "
                         f"sample), got y_true.shape={labels.shape}.")
    if labels.dtype.kind == "f":
        # an op, so that a compiled step checks every batch's labels (a mask, made below from
        # the labels on the host, keeps a step eager anyway)
        labels = (ops.detached(_whole_labels, labels) if ignore_class is None
                  else _whole_labels(backend.get_array_module(labels), labels))
    elif labels.dtype.kind != "i":
        labels = labels.astype("int64")
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = labels * valid
    logits = _get_logits(y_pred, from_logits, Softmax, "sparse_categorical_crossentropy")
    if logits is None:
        # NOTE: log(clip(p)) through the fused op, as Keras's TensorFlow backend does; the
        # fused op also checks every label is in [0, num_classes).
        logits = ops.log(ops.clip(y_pred, EPSILON, 1 - EPSILON))
    values = ops.sparse_softmax_cross_entropy(logits, labels)
    if valid is not None:
        values = values * _const(valid)
        values._keras_mask = valid
    return values


def _whole_labels(xp, labels):
    """Float class labels as int64; they must hold whole numbers."""
    whole = labels.astype("int64")
    if (whole != labels).any():
        bad = float(labels[whole != labels].ravel()[0])
        raise ValueError("sparse_categorical_crossentropy expects integer class labels, "
                         f"but y_true holds the fractional value {bad}. Use "
                         "categorical_crossentropy for soft (one-hot or fractional) labels.")
    return whole


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


class LossFunctionWrapper(Loss):
    """A Loss made from a function ``fn(y_true, y_pred, **kwargs)`` of per-sample values.

    Args:
        fn: the loss function.
        reduction, name, dtype: as in ``Loss``.
        **kwargs: passed on to ``fn``.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if isinstance(fn, str):
            fn = ALL_OBJECTS_DICT.get(fn, fn)
        if not callable(fn):
            raise ValueError(f"LossFunctionWrapper expects a function, got {fn!r}.")
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true = _array(y_true, y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(_const(y_true), y_pred, **self._fn_kwargs)

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        return config

    def __repr__(self):
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<{type(self).__name__}({fn}, kwargs={self._fn_kwargs})>"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors: ``mean(square(y_true - y_pred))``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors: ``mean(abs(y_true - y_pred))``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """``100 * mean(abs((y_true - y_pred) / y_true))``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """``mean(square(log(y_true + 1) - log(y_pred + 1)))``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss, quadratic for errors up to ``delta`` and linear beyond.

    Args:
        delta: where the loss turns from quadratic to linear.
        reduction, name, dtype: see ``Loss``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence ``y_true * log(y_true / y_pred)``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss ``y_pred - y_true * log(y_pred)``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class Hinge(LossFunctionWrapper):
    """Hinge loss ``maximum(1 - y_true * y_pred, 0)`` for -1/1 (or 0/1) labels; see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss ``square(maximum(1 - y_true * y_pred, 0))``. Args: see ``Loss``."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy for 0/1 labels.

    Args:
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in [0, 1]; squeezes the labels towards 0.5.
        axis: the axis the mean is taken over.
        reduction, name, dtype: see ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels.

    Args:
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        label_smoothing: in [0, 1]; targets become ``t * (1 - s) + s / num_classes``.
        axis: the class axis.
        reduction, name, dtype: see ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels.

    Args:
        from_logits: whether ``y_pred`` holds logits instead of probabilities.
        ignore_class: optional label left out of the loss (e.g. a 'void' class).
        reduction, name, dtype: see ``Loss``.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits, self.ignore_class = from_logits, ignore_class


# --- lookup --------------------------------------------------------------------------
ALL_OBJECTS = [
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, KLDivergence, Poisson, Hinge, SquaredHinge,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, huber, log_cosh, kl_divergence, poisson, hinge,
    squared_hinge, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
]
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh, "huber_loss": huber,
})
