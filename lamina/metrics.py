"""Metrics, as in ``keras.metrics``: objects that accumulate a value over batches.

``update_state(y_true, y_pred, sample_weight=None)`` adds a batch, ``result()`` returns
the value so far as a scalar float32 Tensor (kept on the CPU), ``reset_state()`` starts
again. Metrics build no graph: they read ``y_pred.data`` and work on the arrays
(NumPy or CuPy), keeping their totals as Python floats or small NumPy arrays.
"""
import numpy as np

from lamina import _config, backend, losses
from lamina.autograd import Tensor, no_grad
from lamina.losses import _auto_name, squeeze_or_expand_to_same_rank
from lamina.serialization.object_registration import register_builtins

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision",
    "Recall", "AUC", "accuracy", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "serialize", "deserialize", "resolve_accuracy",
]

NEG_INF = -1e10  # the threshold used with top_k: every kept prediction counts as positive


def _array(x, like=None):
    """Returns ``x`` as a backend array (on ``like``'s device when given); no graph."""
    if isinstance(x, Tensor):
        x = x.data
    if like is not None:
        return backend.get_array_module(like).asarray(x)
    return x if backend.is_array(x) else backend.to_device(np.asarray(x))


def _arrays(y_true, y_pred):
    p = _array(y_pred)
    return _array(y_true, like=p), p


def _tensor(value, dtype):
    """A result: a float Tensor on the CPU, so reading it never waits on a device copy."""
    return Tensor._wrap(np.asarray(value, dtype=dtype))


def _divide_no_nan(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


class Metric:
    """Base class of metrics.

    Subclasses implement ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: name of the metric (the key in the training logs); default the class
            name in snake case ('precision', then 'precision_1', ...).
        dtype: dtype of the result; default ``floatx`` ('float32').
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self._dtype = dtype or backend.floatx()

    @property
    def dtype(self):
        return self._dtype

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state().")

    def __call__(self, *args, **kwargs):
        """Updates the state with a batch and returns the result, as Keras does."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _reduce_to_samplewise(values, sample_weight, reduce):
    """One value (and weight) per sample, as Keras's ``reduce_to_samplewise_values``."""
    xp = backend.get_array_module(values)
    if sample_weight is not None:
        w = _array(sample_weight, like=values).astype(values.dtype)
        values, w = squeeze_or_expand_to_same_rank(values, w)
        if values.ndim > w.ndim:
            values = reduce(values, axis=tuple(range(w.ndim, values.ndim)))
        w = xp.broadcast_to(w, values.shape)
        values = values * w
        if w.ndim > 1:
            w = reduce(w, axis=tuple(range(1, w.ndim)))
        sample_weight = w
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _as_float(values, dtype):
    values = _array(values)
    return values if values.dtype.kind == "f" else values.astype(dtype)


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight)``."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        values = _as_float(values, self.dtype)
        xp = backend.get_array_module(values)
        values, _ = _reduce_to_samplewise(values, sample_weight, xp.sum)
        self.total += float(values.sum())

    def reset_state(self):
        self.total = 0.0

    def result(self):
        return _tensor(self.total, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``.

    Each sample (first axis) counts once, with its weight; values inside a sample are averaged.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        if isinstance(values, (int, float)) and isinstance(sample_weight, (int, float, type(None))):
            # NOTE: fast path for a Python number (the loss of a batch): no array at all.
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += float(values) * weight
            self.count += weight
            return
        values = _as_float(values, self.dtype)
        xp = backend.get_array_module(values)
        values, weights = _reduce_to_samplewise(values, sample_weight, xp.mean)
        self.total += float(values.sum())
        if weights is not None:
            self.count += float(weights.sum())
        else:
            self.count += values.shape[0] if values.ndim else 1

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def result(self):
        return _tensor(self.total / self.count if self.count else 0.0, self.dtype)


class MeanMetricWrapper(Mean):
    """The mean of a function's per-sample values, ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: the function, for example a loss function.
        name: name of the metric; default 'mean_metric_wrapper' as in Keras.
        dtype: dtype of the result.
        **kwargs: passed on to ``fn``.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in losses.ALL_OBJECTS or type(fn) in losses.ALL_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask = getattr(values, "_keras_mask", None)
        if mask is not None:  # e.g. sparse crossentropy's ignore_class
            if sample_weight is not None:
                mask = mask * _array(sample_weight, like=mask)
            sample_weight = mask
        super().update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self._fn, "__name__", repr(self._fn)),
                **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is MeanMetricWrapper:
            fn = ALL_FUNCTIONS.get(fn) or losses.ALL_OBJECTS_DICT.get(fn, fn)
            return cls(fn, **config)
        return cls(**config)


# --- accuracy functions (per-sample values) ------------------------------------------
def _accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true.astype(y_pred.dtype), y_pred)
    return (y_true == y_pred).mean(axis=-1, dtype=backend.floatx())


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _arrays(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == (y_pred > threshold)).mean(axis=-1, dtype=backend.floatx())


def _categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(backend.floatx())


def _sparse_labels(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return y_true


def _sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    y_true = _sparse_labels(y_true, y_pred)
    return (y_true == y_pred.argmax(axis=-1).astype(y_true.dtype)).astype(backend.floatx())


def _in_top_k(labels, y_pred, k):
    """True where the label's score is among the k largest (ties count as in, like TensorFlow)."""
    xp = backend.get_array_module(y_pred)
    scores = y_pred.reshape(-1, y_pred.shape[-1])
    labels = labels.reshape(-1).astype(xp.int64)
    label_scores = xp.take_along_axis(scores, labels[:, None], axis=-1)
    return (scores > label_scores).sum(axis=-1) < k


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _arrays(y_true, y_pred)
    shape = y_true.shape
    return _in_top_k(y_true, y_pred, k).reshape(shape).astype(backend.floatx())


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _arrays(y_true, y_pred)
    labels = y_true.argmax(axis=-1)
    return _in_top_k(labels, y_pred, k).reshape(labels.shape).astype(backend.floatx())


def accuracy(y_true, y_pred):
    """Per-sample fraction of entries where ``y_pred`` equals ``y_true`` exactly."""
    return Tensor._wrap(_accuracy(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample fraction of ``(y_pred > threshold) == y_true`` over the last axis.

    Returns:
        Tensor of shape ``y_pred.shape[:-1]`` (no graph).
    """
    return Tensor._wrap(_binary_accuracy(y_true, y_pred, threshold))


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred) == argmax(y_true)`` (one-hot labels), else 0.0, per sample."""
    return Tensor._wrap(_categorical_accuracy(y_true, y_pred))


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_pred)`` equals the integer label, else 0.0, per sample."""
    return Tensor._wrap(_sparse_categorical_accuracy(y_true, y_pred))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the ``k`` highest predictions, per sample."""
    return Tensor._wrap(_top_k_categorical_accuracy(y_true, y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` highest predictions, per sample."""
    return Tensor._wrap(_sparse_top_k_categorical_accuracy(y_true, y_pred, k))


ALL_FUNCTIONS = {f.__name__: f for f in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)}


# --- accuracy metrics ----------------------------------------------------------------
class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly. Args: ``name``, ``dtype``."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return Metric.get_config(self)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Args:
        name, dtype: see ``Metric``.
        threshold: the probability above which a prediction is 1.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(_binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {**Metric.get_config(self), "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels. Args: ``name``, ``dtype``."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return Metric.get_config(self)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels. Args: ``name``, ``dtype``."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return Metric.get_config(self)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the ``k`` highest predictions.

    Args:
        k: how many top predictions count.
        name, dtype: see ``Metric``.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many top predictions count.
        name, dtype: see ``Metric``.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(_sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


# --- regression and probabilistic metrics (the losses, averaged) ---------------------
class _LossMean(MeanMetricWrapper):
    """The running mean of a loss function; config holds name, dtype and the loss's kwargs."""
    _loss = None

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(type(self)._loss, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}


class MeanSquaredError(_LossMean):
    """Running mean of ``mean(square(y_true - y_pred), -1)``. Args: ``name``, ``dtype``."""
    _loss = staticmethod(losses.mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_LossMean):
    """Running mean of ``mean(abs(y_true - y_pred), -1)``. Args: ``name``, ``dtype``."""
    _loss = staticmethod(losses.mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """Running mean absolute percentage error. Args: ``name``, ``dtype``."""
    _loss = staticmethod(losses.mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Running mean squared logarithmic error. Args: ``name``, ``dtype``."""
    _loss = staticmethod(losses.mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryCrossentropy(_LossMean):
    """Running mean of the binary cross-entropy.

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1]; squeezes the labels towards 0.5.
    """
    _loss = staticmethod(losses.binary_crossentropy)

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMean):
    """Running mean of the categorical cross-entropy.

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: in [0, 1].
        axis: the class axis.
    """
    _loss = staticmethod(losses.categorical_crossentropy)

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_LossMean):
    """Running mean of the sparse categorical cross-entropy.

    Args:
        name, dtype: see ``Metric``.
        from_logits: whether ``y_pred`` holds logits.
        axis: the class axis (the last).
    """
    _loss = staticmethod(losses.sparse_categorical_crossentropy)

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, axis=axis)


class RootMeanSquaredError(Mean):
    """Square root of the running mean of squared errors. Args: ``name``, ``dtype``."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _arrays(y_true, y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight)

    def result(self):
        return _tensor(np.sqrt(self.total / self.count) if self.count else 0.0, self.dtype)


# --- confusion-matrix metrics --------------------------------------------------------
def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    if not isinstance(thresholds, (list, tuple, np.ndarray)):
        thresholds = [thresholds]
    thresholds = list(thresholds)
    bad = [t for t in thresholds if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return thresholds


def _is_evenly_distributed(thresholds):
    """True for thresholds 0, 1/(n-1), ..., 1 (n >= 3), which allow the bucketed update."""
    n = len(thresholds)
    return n >= 3 and np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1),
                                  atol=losses.EPSILON)


def _filter_top_k(x, k):
    """Keeps the k largest values along the last axis and sets the rest to NEG_INF."""
    xp = backend.get_array_module(x)
    ranks = xp.argsort(xp.argsort(-x, axis=-1), axis=-1)
    return xp.where(ranks < k, x, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     evenly=False, multi_label=False, label_weights=None, dtype="float32"):
    """Weighted true/false positive/negative counts at each threshold, as Keras counts them.

    A prediction is positive at threshold ``t`` when ``y_pred > t``; ``y_true`` is cast to bool.

    Args:
        y_true, y_pred: labels and predictions of the same shape (a trailing axis of 1 may differ).
        thresholds: sorted list of thresholds.
        sample_weight: optional weights broadcastable to the labels.
        top_k: only the k largest predictions per sample can be positive.
        class_id: only this class (last axis) is counted.
        evenly: thresholds are 0, 1/(n-1), ..., 1 (or with end points just outside [0, 1]);
            counts then come from one histogram of the predictions instead of n comparisons.
        multi_label: keep one count per label (last axis) instead of flattening.
        label_weights: optional per-label weights.

    Returns:
        ``(tp, fp, tn, fn)``: NumPy float64 arrays of shape (n,) or (n, labels).
    """
    y_pred = _array(y_pred).astype(dtype, copy=False)
    xp = backend.get_array_module(y_pred)
    y_true = _array(y_true, like=y_pred)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weights = None
    if sample_weight is not None:
        weights = _array(sample_weight, like=y_pred).astype(dtype)
        weights = weights.reshape(weights.shape + (1,))
        _, weights = squeeze_or_expand_to_same_rank(y_true, weights, expand_rank_1=False)
        weights = xp.broadcast_to(weights, y_pred.shape)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
        weights = None if weights is None else weights[..., class_id, None]
    if y_true.shape != y_pred.shape:
        raise ValueError("Expected y_true and y_pred of the same shape (0/1 labels per "
                         f"prediction), got y_true.shape={y_true.shape} and "
                         f"y_pred.shape={y_pred.shape}.")
    if label_weights is not None:
        label_weights = xp.broadcast_to(xp.asarray(label_weights, dtype=dtype), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    shape = (-1, y_pred.shape[-1]) if multi_label else (-1,)
    y_pred = y_pred.reshape(shape)
    is_true = (y_true != 0).reshape(shape)
    true_w = is_true.astype(dtype)
    false_w = 1 - true_w
    if weights is not None:
        weights = weights.reshape(shape)
        true_w, false_w = true_w * weights, false_w * weights
    n = len(thresholds)
    if evenly:
        # NOTE: with evenly spaced thresholds, y_pred > thresholds[i] exactly when the
        # prediction's bucket ceil(p * (n - 1)) - 1 is >= i: one histogram per class of label
        # and a reverse cumulative sum give every count (Keras's O(N + n) update).
        with_epsilon = thresholds[0] < 0 or thresholds[-1] > 1
        bucket = xp.ceil(xp.clip(y_pred, 0, 1) * (n - 1)) - 1
        if with_epsilon:
            bucket = xp.maximum(bucket, 0)
        bucket = bucket.astype(xp.int64) + 1  # bucket -1 (never positive) goes to bin 0
        if multi_label:
            bucket = bucket + (n + 1) * xp.arange(y_pred.shape[-1])
        size = (n + 1) * (y_pred.shape[-1] if multi_label else 1)

        def counts(w):
            hist = xp.bincount(bucket.ravel(), weights=w.ravel(), minlength=size)
            hist = hist.reshape(-1, n + 1)[:, 1:].T  # (n, labels)
            return xp.cumsum(hist[::-1], axis=0)[::-1]

        tp, fp = counts(true_w), counts(false_w)
        if not multi_label:
            tp, fp = tp[:, 0], fp[:, 0]
    else:
        thresholds = xp.asarray(thresholds, dtype=dtype).reshape((n,) + (1,) * y_pred.ndim)
        positive = y_pred > thresholds  # (n, samples) or (n, samples, labels)
        tp = (positive * true_w).sum(axis=1)
        fp = (positive * false_w).sum(axis=1)
    fn = true_w.sum(axis=0) - tp
    tn = false_w.sum(axis=0) - fp
    return tuple(backend.to_numpy(c).astype(np.float64) for c in (tp, fp, tn, fn))


class _ConfusionMetric(Metric):
    """Shared state of the metrics built on confusion counts at a list of thresholds."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _is_evenly_distributed(self.thresholds)
        self.reset_state()

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch.

        Args:
            y_true: 0/1 labels, same shape as ``y_pred``.
            y_pred: predicted probabilities in [0, 1].
            sample_weight: optional weights broadcastable to the labels.
        """
        tp, fp, tn, fn = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight, self.top_k, self.class_id,
            evenly=self._evenly, dtype=self.dtype)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _value(self, values):
        return _tensor(values[0] if len(self.thresholds) == 1 else values, self.dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class _ConditionCount(_ConfusionMetric):
    _count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(getattr(self, self._count))


class TruePositives(_ConditionCount):
    """Weighted count of true positives (``y_pred > threshold`` and label 1).

    Args:
        thresholds: a float or list of floats in [0, 1]; default 0.5. One result per threshold.
        name, dtype: see ``Metric``.
    """
    _count = "true_positives"


class FalsePositives(_ConditionCount):
    """Weighted count of false positives. Args: see ``TruePositives``."""
    _count = "false_positives"


class TrueNegatives(_ConditionCount):
    """Weighted count of true negatives. Args: see ``TruePositives``."""
    _count = "true_negatives"


class FalseNegatives(_ConditionCount):
    """Weighted count of false negatives. Args: see ``TruePositives``."""
    _count = "false_negatives"


class Precision(_ConfusionMetric):
    """Precision ``tp / (tp + fp)`` of the predictions.

    Args:
        thresholds: a float or list of floats in [0, 1] (``y_pred > t`` is positive); default
            0.5, or every top-k prediction when ``top_k`` is set. One result per threshold.
        top_k: only the k highest predictions of each sample can be positive.
        class_id: compute the precision of this class only.
        name, dtype: see ``Metric``.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self._direction = "up"

    def result(self):
        tp = self.true_positives
        return self._value(_divide_no_nan(tp, tp + self.false_positives))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """Recall ``tp / (tp + fn)`` of the predictions. Args: see ``Precision``."""

    def result(self):
        tp = self.true_positives
        return self._value(_divide_no_nan(tp, tp + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from bucketed predictions as in Keras.

    Predictions are counted at ``num_thresholds`` evenly spaced thresholds; the curve
    through those points is integrated with a Riemann sum.

    Args:
        num_thresholds: number of thresholds (> 1).
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation' (trapezoids for ROC; Davis & Goadrich's
            interpolation for PR), 'minoring' or 'majoring'.
        name, dtype: see ``Metric``.
        thresholds: optional list of thresholds in [0, 1] instead of ``num_thresholds``.
        multi_label: compute one AUC per label (last axis) and average them.
        num_labels: accepted for Keras compatibility (labels are counted on first update).
        label_weights: optional per-label weights.
        from_logits: apply a sigmoid to ``y_pred`` first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: "{curve}". '
                             'Expected values are ["PR", "ROC"]')
        if str(summation_method).lower() not in ("interpolation", "majoring", "minoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(thresholds)
            self.num_thresholds = len(thresholds) + 2
            self._evenly = _is_evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        # NOTE: end points just outside [0, 1] so predictions of exactly 0 or 1 are counted.
        self._thresholds = np.array([0.0 - losses.EPSILON] + thresholds + [1.0 + losses.EPSILON])
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label, self.num_labels = multi_label, num_labels
        self.label_weights = (None if label_weights is None
                              else np.asarray(label_weights, dtype=np.float64))
        self._from_logits = from_logits
        self._direction = "up"
        self.reset_state()

    @property
    def thresholds(self):
        """The thresholds used for the counts, end points included."""
        return list(self._thresholds)

    def reset_state(self):
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch of 0/1 labels and predicted probabilities (or logits with from_logits)."""
        y_pred = _array(y_pred)
        if self._from_logits:
            y_pred = 0.5 * (1 + backend.get_array_module(y_pred).tanh(0.5 * y_pred))
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError("`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                             f"{y_pred.ndim}. Full shape received for `y_pred`: {y_pred.shape}")
        counts = confusion_counts(
            y_true, y_pred, self._thresholds, sample_weight, evenly=self._evenly,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, dtype=self.dtype)
        if self.true_positives is None:
            self.true_positives, self.false_positives = counts[0], counts[1]
            self.true_negatives, self.false_negatives = counts[2], counts[3]
        else:
            self.true_positives += counts[0]
            self.false_positives += counts[1]
            self.true_negatives += counts[2]
            self.false_negatives += counts[3]

    def _interpolate_pr_auc(self, tp, fp, fn):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006)."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return _divide_no_nan(slope * (dtp + intercept * np.log(ratio)),
                              np.maximum(tp[1:] + fn[1:], 0))

    def result(self):
        if self.true_positives is None:
            return _tensor(0.0, self.dtype)
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            terms = self._interpolate_pr_auc(tp, fp, fn)
        else:
            recall = _divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = _divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, _divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2
            elif self.summation_method == "minoring":
                heights = np.minimum(y[:-1], y[1:])
            else:
                heights = np.maximum(y[:-1], y[1:])
            terms = (x[:-1] - x[1:]) * heights
        if not self.multi_label:
            return _tensor(terms.sum(), self.dtype)
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return _tensor(by_label.mean(), self.dtype)
        return _tensor(_divide_no_nan((by_label * self.label_weights).sum(),
                                      self.label_weights.sum()), self.dtype)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": (None if self.label_weights is None
                                    else self.label_weights.tolist()),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# --- lookup --------------------------------------------------------------------------
ALL_OBJECTS = [
    Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, AUC,
    FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Accuracy,
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
]
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({backend.snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "rmse": RootMeanSquaredError,
})


def serialize(metric):
    """Returns a JSON-friendly dict describing a Metric (or a metric function's name)."""
    return _config.serialize_callable(metric, Metric, "keras.metrics", "metric")


def deserialize(config, custom_objects=None):
    """Rebuilds a Metric (or function) from ``serialize``'s dict or a name."""
    if isinstance(config, str):
        return get(config)
    objects = {**ALL_OBJECTS_DICT, **ALL_FUNCTIONS, **(custom_objects or {})}
    return _config.deserialize_callable(config, objects, "metric", ALL_OBJECTS_DICT)


def get(identifier):
    """Returns a metric from a name, a config dict, a Metric object, a class or a function.

    Names are class names ('AUC', 'BinaryAccuracy'), their snake case ('auc',
    'binary_accuracy', 'sparse_categorical_accuracy', 'precision') and the short
    aliases 'mse', 'mae', 'mape', 'msle', 'bce'; a name gives a new instance.
    Resolving 'accuracy'/'acc' against the loss is ``resolve_accuracy``'s job.

    Raises:
        ValueError: for an unknown name, listing the valid names.
    """
    return _config.lookup(identifier, ALL_OBJECTS_DICT, "metric", Metric, deserialize,
                          hint=", and 'acc' in compile()")


def _loss_kind(loss):
    """'binary', 'sparse', 'categorical' or None, for the loss given to compile()."""
    if isinstance(loss, str):
        try:
            loss = losses.get(loss)
        except ValueError:
            return None
    fn = getattr(loss, "fn", loss)
    if fn is losses.binary_crossentropy:
        return "binary"
    if fn is losses.sparse_categorical_crossentropy:
        return "sparse"
    if fn is losses.categorical_crossentropy:
        return "categorical"
    return None


def resolve_accuracy(name, loss_identifier=None, output_last_dim=None):
    """The accuracy metric that 'accuracy' or 'acc' means for a given loss, as Keras picks it.

    Binary accuracy for a binary cross-entropy loss or an output with one unit; sparse
    categorical accuracy for a sparse categorical cross-entropy loss; categorical
    accuracy otherwise.

    Args:
        name: the name the user gave ('acc' or 'accuracy'); it names the metric in the logs.
        loss_identifier: the loss passed to compile() (name, Loss object or function).
        output_last_dim: size of the model output's last axis.

    Returns:
        A BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy named ``name``.
    """
    kind = _loss_kind(loss_identifier)
    if kind == "binary" or output_last_dim == 1:
        return BinaryAccuracy(name=name)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


register_builtins("metric_functions", ALL_FUNCTIONS)
register_builtins("metrics", {**ALL_FUNCTIONS, **ALL_OBJECTS_DICT})
