"""TensorSpec, and the constants of ``tf.data`` (AUTOTUNE, the special cardinalities)."""
import numpy as np

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class TensorSpec:
    """The shape and dtype of one component of an element.

    Args:
        shape: tuple of ints, None for an unknown size (the batch axis of a
            batch that may be smaller at the end); None for any shape.
        dtype: NumPy dtype name, e.g. 'float32'.
        name: optional name.
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.name = name

    def is_compatible_with(self, array):
        """True when ``array`` has this spec's rank and known sizes."""
        shape = np.shape(array)
        return self.shape is None or len(shape) == len(self.shape) and all(
            d is None or d == s for d, s in zip(self.shape, shape))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype}, name={self.name!r})"


def spec_of(leaf):
    """The TensorSpec of one array."""
    return TensorSpec(np.shape(leaf), str(leaf.dtype))
