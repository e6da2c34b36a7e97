"""Weight regularizers, as in ``keras.regularizers``.

A regularizer is called on a weight Tensor and returns a scalar Tensor (built from
lamina ops, so it is differentiable) that the model adds to its loss.
"""
import math as _math
import numbers as _numbers

from lamina import _config
from lamina import backend as _backend
from lamina import ops as _ops
from lamina.autograd import Tensor as _Tensor
from lamina.autograd import as_tensor as _as_tensor
from lamina.serialization import object_registration as _registry

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer",
           "l1", "l2", "l1_l2", "orthogonal_regularizer", "get", "serialize", "deserialize"]


def _check_factor(value, name):
    """Returns ``value`` as a float, or raises if it is not a finite number >= 0."""
    if (isinstance(value, bool) or not isinstance(value, _numbers.Real)
            or not _math.isfinite(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float, "
                         f"got {name}={value!r}.")
    return float(value)


class Regularizer:
    """Base class: subclasses implement ``__call__(x)`` returning a scalar Tensor."""

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x).")

    def get_config(self):
        """Returns the constructor arguments as a dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        """Creates a regularizer from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty: ``l1 * sum(abs(x))``.

    Args:
        l1: non-negative factor.
    """

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return self.l1 * _ops.sum(_ops.abs(_as_tensor(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """L2 penalty: ``l2 * sum(square(x))`` (no factor 1/2, as in Keras).

    Args:
        l2: non-negative factor.
    """

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * _ops.sum(_ops.square(_as_tensor(x)))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """Both penalties: ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: non-negative L1 factor (default 0: no L1 penalty).
        l2: non-negative L2 factor (default 0: no L2 penalty).
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _check_factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _as_tensor(x)
        if not (self.l1 or self.l2):
            return _Tensor(0.0, dtype=x.dtype)
        if not self.l2:
            return self.l1 * _ops.sum(_ops.abs(x))
        if not self.l1:
            return self.l2 * _ops.sum(_ops.square(x))
        return self.l1 * _ops.sum(_ops.abs(x)) + self.l2 * _ops.sum(_ops.square(x))

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being orthogonal.

    The penalty is ``factor * 0.5 * sum(|<u_i, u_j>|) / (n * (n - 1) / 2)`` over the
    pairs i != j of L2-normalised rows (``mode='rows'``) or columns (``mode='columns'``).

    Args:
        factor: non-negative factor.
        mode: 'rows' or 'columns'.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid mode {mode!r}; expected 'rows' or 'columns'.")
        self.mode = mode

    def __call__(self, x):
        x = _as_tensor(x)
        if x.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D weight, "
                             f"got shape {tuple(x.shape)}.")
        if self.mode == "columns":
            x = _ops.transpose(x)
        n = x.shape[0]
        if n < 2:
            return _Tensor(0.0, dtype=x.dtype)  # no pairs, no penalty
        # NOTE: the floor on the squared norm avoids dividing by zero for an all-zero row.
        norm = _ops.sqrt(_ops.maximum(_ops.sum(x * x, axis=1, keepdims=True), 1e-12))
        u = x / norm
        product = _ops.matmul(u, _ops.transpose(u))
        xp = _backend.get_array_module(x.data)
        off_diagonal = 1 - xp.eye(n, dtype=x.dtype)
        return self.factor * 0.5 * _ops.sum(_ops.abs(product * off_diagonal)) / (n * (n - 1) / 2)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1=0.01, l2=0.01):
    """Returns ``L1L2(l1, l2)`` with the Keras 2 defaults of 0.01 for both.

    Args:
        l1: non-negative L1 factor.
        l2: non-negative L2 factor.

    Returns:
        An L1L2 regularizer.
    """
    return L1L2(l1=l1, l2=l2)


# snake_case aliases, as in keras.regularizers
l1, l2, orthogonal_regularizer = L1, L2, OrthogonalRegularizer

_ALL = {"L1": L1, "L2": L2, "L1L2": L1L2,
        "OrthogonalRegularizer": OrthogonalRegularizer,
        "l1": L1, "l2": L2, "l1_l2": l1_l2, "orthogonal_regularizer": OrthogonalRegularizer}
_registry.register_builtins("regularizers", _ALL)


def serialize(regularizer):
    """Returns ``{'class_name': ..., 'config': ...}`` for a regularizer (None for None)."""
    return _config.serialize(regularizer, Regularizer, "regularizer")


def deserialize(config, custom_objects=None):
    """Creates a regularizer from ``{'class_name': ..., 'config': ...}`` or a name.

    Args:
        config: a dict as made by ``serialize`` (extra keys are ignored) or a name.
        custom_objects: optional dict of extra name -> Regularizer class.

    Returns:
        A Regularizer.
    """
    return _config.deserialize(config, _ALL, "regularizer", custom_objects)


def get(identifier):
    """Returns a regularizer from a name, a class, an instance, a config dict or a callable.

    Args:
        identifier: 'l1' (0.01), 'l2' (0.01), 'l1_l2' (0.01 and 0.01), a class name,
            a config dict, a Regularizer, or any callable ``f(weight) -> scalar``.
            None gives None.

    Returns:
        A callable regularizer, or None.
    """
    return _config.get(identifier, _ALL, "regularizer")
