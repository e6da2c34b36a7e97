"""Accuracy functions and metrics (Keras's ``metrics/accuracy_metrics.py``)."""
from lamina import backend
from lamina.autograd import Tensor
from lamina.losses import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric, _arrays
from lamina.metrics.reduction_metrics import MeanMetricWrapper


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
