"""Confusion counts at a list of thresholds, shared by the confusion metrics.

Keras's ``metrics/metrics_utils.py``.
"""
import numpy as np

from lamina import backend, losses
from lamina.losses import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import _array

NEG_INF = -1e10  # the threshold used with top_k: every kept prediction counts as positive


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
