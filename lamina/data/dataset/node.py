"""The base of every pipeline step: one iteration as ``(source, chunks)`` or as elements."""
import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.data import structure
from lamina.data.dataset import chunks
from lamina.data.dataset.spec import UNKNOWN_CARDINALITY, spec_of


class Node:
    """One step of a pipeline (a source or a transformation).

    A step implements ``iteration`` (rows of arrays, see ``chunks``) or ``elements``;
    each defaults to the other.
    """

    def iteration(self):
        """(source, chunks) for one iteration; by default the elements one at a time."""
        return None, ([element] for element in self.elements())

    def elements(self):
        """Iterator over elements (structures of arrays)."""
        yield from chunks.elements(*self.iteration())

    def cardinality(self):
        return UNKNOWN_CARDINALITY

    def spec(self):
        """Element spec, by peeking at the first element unless a step knows it."""
        iterator = self.elements()
        try:
            first = next(iterator, None)
        finally:
            if hasattr(iterator, "close"):
                iterator.close()
        return None if first is None else tree.map_structure(spec_of, first, lists_are_leaves=True)


class Unary(Node):
    """A transformation of one input step; passes sizes and spec through by default."""

    def __init__(self, input_node):
        self.input = input_node

    def cardinality(self):
        return self.input.cardinality()

    def spec(self):
        return self.input.spec()


def check_count(value, what, allow_minus_one=True):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (
            -1 if allow_minus_one else 0):
        low = "-1 (all)" if allow_minus_one else "0"
        raise ValueError(f"`{what}` must be an integer >= {low}, received {value!r}.")
    return int(value)


def call(fn, element):
    """Calls a user function on an element given as Tensors (a tuple is unpacked).

    Numbers go to the active backend's device first, so that ops inside the function
    (which put Python constants there) work on the GPU backend too.
    """
    if backend.backend() != "numpy":
        element = tree.map_structure(
            lambda a: backend.to_device(a) if a.dtype.kind in "biufc" else a, element,
            lists_are_leaves=True)
    tensors = structure.to_tensors(element)
    return fn(*tensors) if isinstance(tensors, tuple) else fn(tensors)
