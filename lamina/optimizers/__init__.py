"""Optimizers, as in ``keras.optimizers``: update weights in place from their gradients.

``base_optimizer`` holds what every optimizer shares; each optimizer has its own module.
This module gathers them and looks optimizers up by name (``get``, ``serialize``,
``deserialize``).

Example:
    >>> opt = lamina.optimizers.Adam(learning_rate=1e-3)
    >>> opt.apply_gradients(zip(grads, model.trainable_weights))
"""
from lamina import _config, schedules  # noqa: F401
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.adamw import AdamW
from lamina.optimizers.base_optimizer import Optimizer, clip_by_global_norm  # noqa: F401
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD
from lamina.serialization.object_registration import register_base, register_builtins

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "LossScaleOptimizer", "get", "serialize", "deserialize", "schedules"]


ALL_OPTIMIZERS = {cls.__name__.lower(): cls for cls in
                  (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam,
                   LossScaleOptimizer)}


def serialize(optimizer):
    """Returns an optimizer's config in Keras's format.

    Args:
        optimizer: an ``Optimizer``.

    Returns:
        ``{'module': ..., 'class_name': ..., 'config': ..., 'registered_name': ...}``.
    """
    builtin = ALL_OPTIMIZERS.get(type(optimizer).__name__.lower()) is type(optimizer)
    return _config.serialize_instance(optimizer, Optimizer, "keras.optimizers", builtin)


def deserialize(config, custom_objects=None):
    """Builds an optimizer from ``serialize``'s output (class names are case-insensitive).

    Args:
        config: ``{'class_name': ..., 'config': {...}}``.
        custom_objects: optional dict of extra optimizer classes by name.

    Returns:
        An ``Optimizer``.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize expects a dict with 'class_name' and 'config', "
                         f"got {config!r}.")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or ALL_OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}. Valid names: {sorted(ALL_OPTIMIZERS)}.")
    return cls.from_config(config.get("config") or {}, custom_objects)


def get(identifier):
    """Returns an optimizer from a name, a config dict or an instance.

    Args:
        identifier: a name such as 'adam' or 'SGD' (case-insensitive, default
            arguments), a dict from ``serialize``, an ``Optimizer`` (returned as is), or None.

    Returns:
        An ``Optimizer``, or None for None.
    """
    return _config.get_instance(identifier, Optimizer, deserialize, "optimizer", ALL_OPTIMIZERS,
                                by_name=True)


register_builtins("optimizers", {**{cls.__name__: cls for cls in ALL_OPTIMIZERS.values()},
                                **ALL_OPTIMIZERS})
register_base(Optimizer)
