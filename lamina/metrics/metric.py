"""The base class of metrics and the array helpers they share (Keras's ``metrics/metric.py``).

``update_state(y_true, y_pred, sample_weight=None)`` adds a batch, ``result()`` returns
the value so far as a scalar float32 Tensor (kept on the CPU), ``reset_state()`` starts
again. Metrics build no graph: they read ``y_pred.data`` and work on the arrays
(NumPy or CuPy), keeping their totals as Python floats or small NumPy arrays.
"""
import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.losses import _auto_name


def _array(x, like=None):
    """Returns ``x`` as a backend array (on ``like``'s device when given); no graph."""
    if isinstance(x, Tensor):
        x = x.data
    if like is not None:
        return backend.get_array_module(like).asarray(x)
    return x if backend.is_array(x) else backend.to_device(np.asarray(x))


def _arrays(y_true, y_pred):
    p = _array(y_pred)
    return _array(y_true, like=p), p


def _tensor(value, dtype):
    """A result: a float Tensor on the CPU, so reading it never waits on a device copy."""
    return Tensor._wrap(np.asarray(value, dtype=dtype))


def _divide_no_nan(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


class Metric:
    """Base class of metrics.

    Subclasses implement ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: name of the metric (the key in the training logs); default the class
            name in snake case ('precision', then 'precision_1', ...).
        dtype: dtype of the result; default ``floatx`` ('float32').
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or _auto_name(type(self).__name__)
        self._dtype = dtype or backend.floatx()

    @property
    def dtype(self):
        return self._dtype

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state().")

    def __call__(self, *args, **kwargs):
        """Updates the state with a batch and returns the result, as Keras does."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
