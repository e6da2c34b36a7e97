"""TensorFlow-style dtypes (``tf.float32``, ...) and ``TensorShape``.

A dtype is a NumPy dtype, so ``t.dtype == tf.float32`` and ``tf.float32.name`` work.
"""
import numpy as np

float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
half, double = float16, float64
int8, int16, int32, int64 = (np.dtype(n) for n in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (np.dtype(n) for n in ("uint8", "uint16", "uint32", "uint64"))
bool = np.dtype("bool")  # noqa: A001 (TensorFlow's name)
complex64, complex128 = np.dtype("complex64"), np.dtype("complex128")
DType = np.dtype


def as_dtype(type_value):
    """The dtype of a name, NumPy dtype or type ('float32', np.int64, float, ...).

    Raises:
        TypeError: naming the value when it is not a dtype.
    """
    try:
        return np.dtype(type_value)
    except TypeError as e:
        raise TypeError(f"Cannot convert {type_value!r} to a dtype.") from e


class TensorShape(tuple):
    """A shape whose entries are ints or None (unknown), as ``tf.TensorShape``.

    Args:
        dims: iterable of ints or None; None for an unknown rank.
    """

    def __new__(cls, dims=()):
        dims = () if dims is None else dims
        return super().__new__(cls, (None if d is None else int(d) for d in dims))

    @property
    def rank(self):
        """Number of axes."""
        return len(self)

    @property
    def ndims(self):
        return len(self)

    def as_list(self):
        """The entries as a list."""
        return list(self)

    def num_elements(self):
        """Product of the entries, or None when one is unknown."""
        return None if None in self else int(np.prod(self, dtype=np.int64))

    def is_fully_defined(self):
        """True when no entry is None."""
        return None not in self

    def __repr__(self):
        return f"TensorShape({list(self)})"
