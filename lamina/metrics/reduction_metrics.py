"""Sum, Mean and MeanMetricWrapper: metrics that average values.

Keras's ``metrics/reduction_metrics.py``.
"""
from lamina import backend, losses
from lamina.autograd import no_grad
from lamina.losses import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric, _array, _host_variable, _tensor
from lamina.serialization.object_registration import builtin_table


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
        self.total = _host_variable(self, "total")

    def update_state(self, values, sample_weight=None):
        values = _as_float(values, self.dtype)
        xp = backend.get_array_module(values)
        values, _ = _reduce_to_samplewise(values, sample_weight, xp.sum)
        self.total.data += float(values.sum())

    def result(self):
        return _tensor(self.total.data, self.dtype)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``.

    Each sample (first axis) counts once, with its weight; values inside a sample are averaged.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = _host_variable(self, "total")
        self.count = _host_variable(self, "count")

    def update_state(self, values, sample_weight=None):
        # NOTE: the 0-d state arrays are added to in place (no Tensor, no graph) per batch
        if isinstance(values, (int, float)) and isinstance(sample_weight, (int, float, type(None))):
            # NOTE: fast path for a Python number (the loss of a batch): no array at all.
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total.data += float(values) * weight
            self.count.data += weight
            return
        values = _as_float(values, self.dtype)
        xp = backend.get_array_module(values)
        values, weights = _reduce_to_samplewise(values, sample_weight, xp.mean)
        self.total.data += float(values.sum())
        if weights is not None:
            self.count.data += float(weights.sum())
        else:
            self.count.data += values.shape[0] if values.ndim else 1

    def _mean(self):
        total, count = float(self.total.data), float(self.count.data)
        return total / count if count else 0.0

    def result(self):
        return _tensor(self._mean(), self.dtype)


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
            # the metric functions (accuracy_metrics, which builds on this module) and the
            # losses, as registered
            fn = builtin_table("metric_functions").get(fn) or builtin_table("losses").get(fn, fn)
            return cls(fn, **config)
        return cls(**config)


class _LossMean(MeanMetricWrapper):
    """The running mean of a loss function; config holds name, dtype and the loss's kwargs."""
    _loss = None

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(type(self)._loss, name=name, dtype=dtype, **kwargs)

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}
