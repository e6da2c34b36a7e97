"""The base class of metrics and the array helpers they share (Keras's ``metrics/metric.py``).

``update_state(y_true, y_pred, sample_weight=None)`` adds a batch, ``result()`` returns
the value so far as a scalar float32 Tensor (kept on the CPU), ``reset_state()`` starts
again. Metrics build no graph: they read ``y_pred.data`` and work on the arrays
(NumPy or CuPy), keeping their totals in small CPU variables or NumPy arrays.
"""
import numpy as np

from lamina import backend, initializers
from lamina.autograd import Tensor, Variable
from lamina.losses import _auto_name
from lamina.losses.loss import _array


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

    Subclasses create their state with ``add_weight`` (or ``add_variable``) in ``__init__``
    and implement ``update_state`` and ``result``; the default ``reset_state`` sets every
    variable back to zero, as Keras's does.

    Args:
        name: name of the metric (the key in the training logs); default the class
            name in snake case ('precision', then 'precision_1', ...).
        dtype: dtype of the result; default ``floatx`` ('float32').

    Example:
        >>> class Total(keras.metrics.Metric):
        ...     def __init__(self, name="total", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.total = self.add_weight(name="total", initializer="zeros")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.total.assign_add(np.sum(values))
        ...     def result(self):
        ...         return self.total
    """

    def __init__(self, name=None, dtype=None):
        if isinstance(dtype, dict):  # a Keras 3 DTypePolicy config
            dtype = dtype.get("config", {}).get("name")
        self._variables = []
        self._metrics = []
        self.name = name or _auto_name(type(self).__name__)
        self._dtype = dtype or backend.floatx()

    def __setattr__(self, name, value):
        # as Keras's tracker: Variables and Metrics set as attributes are the metric's state
        tracked = self.__dict__.get("_variables"), self.__dict__.get("_metrics")
        if tracked[0] is not None:
            for store, kind in zip(tracked, (Variable, Metric)):
                if isinstance(value, kind) and value is not self and not any(
                        value is v for v in store):
                    store.append(value)
        object.__setattr__(self, name, value)

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        """The metric's state: its own variables, then those of metrics it holds."""
        self._check_super_called()
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a (non-trainable) state variable of the metric and tracks it.

        Args:
            shape: shape of the variable (``()`` for a scalar).
            initializer: name, Initializer or callable ``(shape, dtype) -> array``.
            dtype: default the metric's dtype.
            aggregation: accepted for Keras compatibility (how replicas would combine).
            name: short name ('total', 'count', ...).

        Returns:
            the Variable.
        """
        self._check_super_called()
        dtype = dtype or self.dtype
        value = initializers.get(initializer or "zeros")(tuple(shape), dtype=dtype)
        variable = Variable(value, trainable=False, name=name, dtype=dtype,
                            path=f"{self.name}/{name}")
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's older name of ``add_variable`` (shape defaults to a scalar)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Sets every state variable back to zeros."""
        for v in self.variables:
            v.assign(np.zeros(v.shape, dtype=v.dtype))

    # --- the stateless forms: state in, state out, the metric itself unchanged ---
    def _swap_in(self, metric_variables):
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(variables)} variables.")
        saved = [v.numpy() for v in variables]
        for v, value in zip(variables, metric_variables):
            v.assign(value)
        return variables, saved

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """``update_state`` on the state ``metric_variables``; returns the new state (a list
        of Tensors, in the order of ``variables``) and leaves the metric unchanged."""
        variables, saved = self._swap_in(metric_variables)
        try:
            self.update_state(*args, **kwargs)
            return [Tensor(v.numpy()) for v in variables]
        finally:
            for v, value in zip(variables, saved):
                v.assign(value)

    def stateless_result(self, metric_variables):
        """``result()`` computed from the state ``metric_variables``."""
        variables, saved = self._swap_in(metric_variables)
        try:
            result = self.result()
            return Tensor(np.array(result)) if isinstance(result, Variable) else result
        finally:
            for v, value in zip(variables, saved):
                v.assign(value)

    def stateless_reset_state(self):
        """The state ``reset_state`` would set, as a list of Tensors (the metric unchanged)."""
        variables, saved = self._swap_in([v.numpy() for v in self.variables])
        try:
            self.reset_state()
            return [Tensor(v.numpy()) for v in variables]
        finally:
            for v, value in zip(variables, saved):
                v.assign(value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` "
                               "method. Go add it!")

    def __call__(self, *args, **kwargs):
        """Updates the state with a batch and returns the result, as Keras does."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _host_variable(metric, name, shape=()):
    """A state variable of ``metric`` (zeros) kept on the CPU (read back at every batch)."""
    variable = metric.add_variable(shape, "zeros", name=name)
    variable.data = np.zeros(shape, dtype=variable.dtype)
    return variable
