"""Loss functions and Loss objects, as in ``keras.losses``.

``loss.py`` holds the base class ``Loss`` and the weighting and reduction every loss
shares; ``losses.py`` the loss functions and the classes that wrap them. This module
gathers them and looks losses up by name (``get``, ``serialize``, ``deserialize``).
"""
from lamina import _config
from lamina.serialization.object_registration import register_builtins
from lamina.losses.loss import (EPSILON, REDUCTIONS, Loss, _auto_name,  # noqa: F401
                                reduce_weighted_values, squeeze_or_expand_to_same_rank,
                                standardize_reduction)
from lamina.losses.losses import *  # noqa: F401,F403
from lamina.losses.losses import ALL_OBJECTS, ALL_OBJECTS_DICT  # noqa: F401

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "mse", "mae", "mape", "msle",
    "get", "serialize", "deserialize", "squeeze_or_expand_to_same_rank", "EPSILON",
]


def serialize(loss):
    """Returns a JSON-friendly dict describing a Loss object or a loss function."""
    return _config.serialize_callable(loss, Loss, "keras.losses", "loss")


def deserialize(config, custom_objects=None):
    """Rebuilds a Loss object or function from ``serialize``'s dict (or a name)."""
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if isinstance(config, str):
        return get(config) if config not in objects else objects[config]
    return _config.deserialize_callable(config, objects, "loss", ALL_OBJECTS_DICT)


def get(identifier):
    """Returns a loss from a name, a config dict, a Loss object or a function.

    As in Keras, a function name ('mse', 'binary_crossentropy') gives the function and a
    class name ('MeanSquaredError') gives a new instance of that class.

    Raises:
        ValueError: for an unknown name, listing the valid names.
    """
    return _config.lookup(identifier, ALL_OBJECTS_DICT, "loss", Loss, deserialize)


register_builtins("losses", ALL_OBJECTS_DICT)
