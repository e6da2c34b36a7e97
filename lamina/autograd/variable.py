"""Variable: a Tensor that holds state (a weight, a metric total, a learning rate),
updated in place. Keras 3's ``keras.Variable``."""
import numpy as np

from lamina import backend
from lamina.autograd.config import Config
from lamina.autograd.tensor import Tensor, as_array

_resolve_initializer = None  # set by lamina.initializers: name -> initializer


class Variable(Tensor):
    """A tensor whose values are state, updated in place with ``assign``.

    Args:
        initializer: initial value (array, list, number, Tensor), or an initializer
            (name or callable ``(shape, dtype) -> array``) used with ``shape``.
        shape: shape of the variable; needed when ``initializer`` is callable.
        dtype: dtype; default the initial value's (Python floats become float32).
        trainable: whether training updates it (and gradients reach it).
        name: short name such as 'kernel'; ``path`` adds the layer name ('dense/kernel').
        initial_value: TensorFlow's name for ``initializer`` (``tf.Variable(initial_value=...)``).
    """

    def __init__(self, initializer=None, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, path=None,
                 initial_value=None, **kwargs):
        if initializer is None:
            initializer = initial_value
        if initializer is None:
            raise ValueError("Variable needs an initial value or an initializer; got None.")
        if isinstance(initializer, str) and _resolve_initializer is not None:
            initializer = _resolve_initializer(initializer)
        if callable(initializer):
            if shape is None:
                raise ValueError("When creating a Variable from an initializer, the `shape` "
                                 f"argument should be specified. Received: initializer="
                                 f"{initializer} and shape={shape}")
            initializer = initializer(tuple(shape), dtype=dtype or backend.floatx())
        super().__init__(initializer, requires_grad=trainable, dtype=dtype, name=name or "variable")
        self.autocast = autocast   # False: ops read it in its own dtype under mixed precision
        if shape is not None and tuple(shape) != self.shape:
            raise ValueError(f"Variable initial value has shape {self.shape}, "
                             f"but `shape` is {tuple(shape)}.")
        self.trainable = trainable
        self.path = path or self.name

    def numpy(self):
        """Returns a copy of the values as a NumPy array."""
        return backend.to_numpy(self.data).copy()

    def assign(self, value):
        """Replaces the values in place; the shape must match. Returns the variable."""
        _note_assign(self, value, "assign")
        value = self._on_own_device(value)
        if value.shape != self.shape:
            raise ValueError(f"Cannot assign a value of shape {value.shape} to variable "
                             f"'{self.path}' of shape {self.shape}.")
        self.data[...] = value
        return self

    def assign_add(self, value):
        """Adds ``value`` in place. Returns the variable."""
        _note_assign(self, value, "assign_add")
        self.data += self._on_own_device(value)
        return self

    def assign_sub(self, value):
        """Subtracts ``value`` in place. Returns the variable."""
        _note_assign(self, value, "assign_sub")
        self.data -= self._on_own_device(value)
        return self

    def _on_own_device(self, value):
        """``value`` as an array of this variable's dtype, where its data lives (a metric's
        state may stay on the host under the GPU backend)."""
        value = as_array(value, self.dtype)
        return backend.to_numpy(value) if isinstance(self.data, np.ndarray) else value

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={self.dtype}, "
                f"value={backend.to_numpy(self.data)}>")

    __str__ = __repr__


def _note_assign(variable, value, method):
    """Tells a tracing ``lamina.compile`` recorder that a step writes ``value`` to a variable
    with ``method`` ('assign', 'assign_add' or 'assign_sub')."""
    if Config.recorder is not None:
        Config.recorder.note_assign(variable, value, method)
