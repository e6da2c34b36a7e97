"""Tensor: an array plus the link to the Function that produced it."""
import numpy as np

from lamina import backend
from lamina.autograd import engine


def as_array(data, dtype=None):
    """Converts ``data`` to a backend array.

    Python floats and float64 arrays become ``floatx`` (float32) as in Keras,
    unless ``dtype`` is given; integer and boolean data keep their dtype.
    """
    if isinstance(data, Tensor):
        data = data.data
    if not backend.is_array(data):
        data = np.asarray(data)
        if dtype is None and data.dtype == np.float64:
            dtype = backend.floatx()
        data = backend.to_device(data)
    else:
        if isinstance(data, np.ndarray) and backend.backend() != "numpy":
            data = backend.to_device(data)   # host data onto the device, as CuPy needs
        if dtype is None and data.dtype == np.float64 and backend.floatx() != "float64":
            dtype = backend.floatx()
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    return data


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Args:
        data: array-like (NumPy/CuPy array, list, scalar).
        requires_grad: whether ``backward`` computes ``.grad`` for this tensor.
        dtype: dtype to convert to; default keeps integers and casts float64 to float32.
        name: optional name, used by layer weights.
    """
    __array_priority__ = 200
    # NOTE: class-level defaults, so wrapping an op's output sets only ``data`` (hot path)
    requires_grad = False
    grad = None
    creator = None
    generation = 0
    name = None

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = as_array(data, dtype)
        self.requires_grad = requires_grad
        self.name = name

    @classmethod
    def _wrap(cls, array):
        """Wraps an array that is already a backend array of the right dtype."""
        t = object.__new__(cls)
        t.data = array
        return t

    # --- array-like properties ---
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d (scalar) tensor.")
        return len(self.data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("Iteration over a 0-d (scalar) tensor.")
        return (self[i] for i in range(len(self.data)))

    def numpy(self):
        """Returns the values as a NumPy array (copied from the GPU if needed)."""
        return backend.to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        """Returns the value of a one-element tensor as a Python number."""
        return self.data.item()

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return bool(self.data)

    def __hash__(self):
        return id(self)

    def __index__(self):
        return self.data.__index__()

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        values = np.array2string(self.numpy(), separator=", ", prefix="numpy=array(")
        return (f"<Tensor: shape={tuple(self.shape)}, dtype={self.dtype}, "
                f"numpy={'array(' + values + ')' if self.ndim else values}>")

    def __str__(self):
        return f"Tensor({str(self.numpy())}, shape={tuple(self.shape)}, dtype={self.dtype})"

    def detach(self):
        """Returns a tensor with the same data and no link to the graph."""
        return Tensor._wrap(self.data)

    def zero_grad(self):
        """Clears ``.grad``."""
        self.grad = None

    def backward(self, grad=None, retain_graph=False):
        """Computes the gradient of this tensor with respect to every leaf that requires it.

        Args:
            grad: upstream gradient, same shape as this tensor; default ones.
            retain_graph: keep the graph so ``backward`` can run through it again.
        """
        engine.backward(self, None if grad is None else as_array(grad, self.dtype), retain_graph)

    def _add_grad(self, gx):
        """Adds the array ``gx`` to ``.grad`` (the engine calls this on the leaves)."""
        self.grad = Tensor._wrap(gx) if self.grad is None else Tensor._wrap(self.grad.data + gx)
