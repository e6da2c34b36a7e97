"""Cross-entropy metrics: running means of the cross-entropy losses.

Keras's ``metrics/probabilistic_metrics.py``.
"""
from lamina import losses
from lamina.metrics.reduction_metrics import _LossMean


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
