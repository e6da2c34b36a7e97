"""Metrics, as in ``keras.metrics``: objects that accumulate a value over batches.

One family per module, as in Keras: ``metric`` (the base class), ``reduction_metrics``
(Sum, Mean, MeanMetricWrapper), ``accuracy_metrics``, ``regression_metrics``,
``probabilistic_metrics``, ``confusion_metrics`` (with ``metrics_utils``). This module
gathers them and looks metrics up by name (``get``, ``serialize``, ``deserialize``).
"""
from lamina import _config, losses
from lamina.metrics.accuracy_metrics import *  # noqa: F401,F403
from lamina.metrics.accuracy_metrics import ALL_FUNCTIONS
from lamina.metrics.confusion_metrics import *  # noqa: F401,F403
from lamina.metrics.metric import Metric
from lamina.metrics.metrics_utils import confusion_counts  # noqa: F401
from lamina.metrics.probabilistic_metrics import *  # noqa: F401,F403
from lamina.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from lamina.metrics.regression_metrics import *  # noqa: F401,F403
from lamina.naming import snake_case
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
ALL_OBJECTS_DICT.update({snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
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
