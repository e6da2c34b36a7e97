"""Weight constraints, as in ``keras.constraints``.

A constraint is called on a weight after each optimizer update and returns the projected
weight (clipped, rescaled), which replaces it.
"""
from lamina import _config
from lamina import backend as _backend
from lamina.autograd import Tensor as _Tensor
from lamina.autograd import as_array as _as_array
from lamina.serialization import object_registration as _registry
from lamina.serialization import serialize_keras_object

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
           "max_norm", "min_max_norm", "non_neg", "unit_norm", "get", "serialize", "deserialize"]

_EPSILON = 1e-7  # Keras's backend.epsilon()


def _array(w):
    return w.data if isinstance(w, _Tensor) else _as_array(w)


def _norms(w, axis):
    xp = _backend.get_array_module(w)
    return xp.sqrt(xp.sum(xp.square(w), axis=_axis(axis), keepdims=True))


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


class Constraint:
    """Base class: subclasses implement ``__call__(w)`` returning the projected weight."""

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates the constraint from ``get_config()``'s output."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales the weights incident to each unit so their norm is at most ``max_value``.

    Args:
        max_value: the largest norm allowed.
        axis: axis (or axes) along which norms are taken: 0 for a Dense kernel
            (input_dim, units); [0, 1, 2] for a Conv2D kernel.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        desired = _backend.get_array_module(w).clip(norms, 0, self.max_value)
        return _Tensor._wrap(w * (desired / (_EPSILON + norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Rescales the weights incident to each unit so their norm lies in
    [``min_value``, ``max_value``], moving ``rate`` of the way there at each update.

    Args:
        min_value, max_value: the bounds of the norm.
        rate: 1.0 enforces the bounds at once; less moves towards them gradually.
        axis: as in ``MaxNorm``.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        clipped = _backend.get_array_module(w).clip(norms, self.min_value, self.max_value)
        desired = self.rate * clipped + (1 - self.rate) * norms
        return _Tensor._wrap(w * (desired / (_EPSILON + norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = _array(w)
        return _Tensor._wrap(_backend.get_array_module(w).maximum(w, 0))


class UnitNorm(Constraint):
    """Rescales the weights incident to each unit to norm 1.

    Args:
        axis: as in ``MaxNorm``.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _array(w)
        return _Tensor._wrap(w / (_EPSILON + _norms(w, self.axis)))

    def get_config(self):
        return {"axis": self.axis}


# snake_case aliases, as in keras.constraints
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_ALL = {"Constraint": Constraint, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm,
        "NonNeg": NonNeg, "UnitNorm": UnitNorm, "constraint": Constraint, "max_norm": MaxNorm,
        "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm}
_registry.register_builtins("constraints", _ALL)


def serialize(constraint):
    """Returns ``{'class_name': ..., 'config': ...}`` for a constraint (None for None); a
    plain function is saved as Keras saves functions."""
    if callable(constraint) and not isinstance(constraint, Constraint):
        return serialize_keras_object(constraint)
    return _config.serialize(constraint, Constraint, "constraint")


def deserialize(config, custom_objects=None):
    """Creates a constraint from ``{'class_name': ..., 'config': ...}`` or a name.

    Args:
        config: a dict as made by ``serialize`` or a name such as 'non_neg'.
        custom_objects: optional dict of extra name -> Constraint class.

    Returns:
        A Constraint.
    """
    return _config.deserialize(config, _ALL, "constraint", custom_objects)


def get(identifier):
    """Returns a constraint from a name, a class, an instance, a config dict or a callable.

    Args:
        identifier: 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm', a class name, a config
            dict, a Constraint, or any callable ``f(weight) -> weight``. None gives None.

    Returns:
        A callable constraint, or None.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    return _config.get(identifier, _ALL, "constraint")
