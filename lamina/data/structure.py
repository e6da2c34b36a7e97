"""The leaves of one dataset element, as arrays, Tensors or NumPy values.

An element is a leaf (an array) or a tuple or dict of elements, as in
``tf.data``: ``(features, label)``, ``{'image': ..., 'label': ...}``. A list is a
leaf (it becomes one array), as TensorFlow treats it: ``lamina.tree``'s functions
with ``lists_are_leaves=True`` walk such elements.
"""
import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor


def to_leaf(value):
    """Converts one component to an array (NumPy or, if already there, CuPy).

    Tensors give their array, pandas objects their values; Python floats and
    lists of floats become ``floatx`` (as ``tf.constant`` makes float32);
    text becomes a NumPy string array.
    """
    if isinstance(value, Tensor):
        return value.data
    if backend.is_array(value) or isinstance(value, np.generic):
        return value
    if hasattr(value, "to_numpy"):  # pandas Series / DataFrame
        value = value.to_numpy()
        return value.astype(str) if value.dtype == object else value
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(backend.floatx())
    elif array.dtype == object:
        raise TypeError(f"Cannot make a dataset component from {type(value).__name__} "
                        f"{str(value)[:80]!r}: expected numbers, text or arrays of them.")
    return array


def to_leaves(structure):
    """``to_leaf`` on every leaf; pandas DataFrames and dicts of columns keep their names."""
    return tree.map_structure(to_leaf, structure, lists_are_leaves=True)


def to_tensors(element):
    """Wraps every leaf of an element in a Tensor (no copy on the CPU; on the device backend,
    numbers are copied there and text stays on the host)."""
    return tree.map_structure(_wrap, element, lists_are_leaves=True)


def _wrap(leaf):
    if isinstance(leaf, Tensor):
        return leaf
    return Tensor._wrap(backend.to_device(leaf if backend.is_array(leaf) else np.asarray(leaf)))


def to_numpy(element):
    """Every leaf as a NumPy value: arrays, or NumPy scalars for 0-d leaves (as TF does)."""
    def convert(leaf):
        array = backend.to_numpy(leaf.data if isinstance(leaf, Tensor) else leaf)
        return array[()] if array.ndim == 0 else array
    return tree.map_structure(convert, element, lists_are_leaves=True)
