"""Metrics built on confusion counts: TP/FP/TN/FN, Precision, Recall and AUC.

Keras's ``metrics/confusion_metrics.py``.
"""
import numpy as np

from lamina import backend, losses
from lamina.metrics.metric import Metric, _array, _divide_no_nan, _host_variable, _tensor
from lamina.metrics.metrics_utils import (NEG_INF, _is_evenly_distributed, _parse_thresholds,
                                          confusion_counts)


class _ConfusionMetric(Metric):
    """Shared state of the metrics built on confusion counts at a list of thresholds."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _is_evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = _host_variable(self, "true_positives", (n,))
        self.false_positives = _host_variable(self, "false_positives", (n,))
        self.true_negatives = _host_variable(self, "true_negatives", (n,))
        self.false_negatives = _host_variable(self, "false_negatives", (n,))

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
        self.true_positives.data += tp
        self.false_positives.data += fp
        self.true_negatives.data += tn
        self.false_negatives.data += fn

    def _value(self, values):
        return _tensor(values[0] if len(self.thresholds) == 1 else values, self.dtype)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class _ConditionCount(_ConfusionMetric):
    _count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(getattr(self, self._count).data)


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
        tp = self.true_positives.data
        return self._value(_divide_no_nan(tp, tp + self.false_positives.data))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


class Recall(Precision):
    """Recall ``tp / (tp + fn)`` of the predictions. Args: see ``Precision``."""

    def result(self):
        tp = self.true_positives.data
        return self._value(_divide_no_nan(tp, tp + self.false_negatives.data))


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
        num_labels: labels of a multi-label AUC (else counted at the first update).
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
        self.true_positives = self.false_positives = None
        self.true_negatives = self.false_negatives = None
        if not multi_label:
            self._build_counts((self.num_thresholds,))
        elif num_labels is not None:
            self._build_counts((self.num_thresholds, num_labels))

    def _build_counts(self, shape):
        """The four count variables (as Keras: at init, or at the first update when the
        number of labels of a multi-label AUC is not given)."""
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, _host_variable(self, name, shape))

    @property
    def thresholds(self):
        """The thresholds used for the counts, end points included."""
        return list(self._thresholds)

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
            self._build_counts(counts[0].shape)
        self.true_positives.data += counts[0]
        self.false_positives.data += counts[1]
        self.true_negatives.data += counts[2]
        self.false_negatives.data += counts[3]

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
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
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
