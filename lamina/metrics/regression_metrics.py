"""Regression metrics: running means of the regression losses.

Keras's ``metrics/regression_metrics.py``.
"""
import numpy as np

from lamina import losses
from lamina.losses import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import _arrays, _tensor
from lamina.metrics.reduction_metrics import Mean, _LossMean


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
        return _tensor(np.sqrt(self._mean()), self.dtype)
