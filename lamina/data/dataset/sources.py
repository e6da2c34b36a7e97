"""Where elements come from: rows of arrays, a generator, or other datasets (zip, concatenate)."""
import numpy as np

from lamina import tree
from lamina.data import structure
from lamina.data.dataset.chunks import describe
from lamina.data.dataset.node import Node
from lamina.data.dataset.spec import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, TensorSpec


class TensorSlices(Node):
    """The rows (first-axis slices) of a structure of arrays."""

    def __init__(self, tensors):
        source = structure.to_leaves(tensors)
        leaves = tree.flatten(source, lists_are_leaves=True)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one array, received an empty "
                             "structure.")
        for leaf in leaves:
            if np.ndim(leaf) == 0:
                raise ValueError(f"from_tensor_slices needs arrays with a first axis to slice; "
                                 f"received a scalar {leaf!r}.")
        sizes = [len(leaf) for leaf in leaves]
        if len(set(sizes)) > 1:
            raise ValueError(f"from_tensor_slices needs components with the same number of rows; "
                             f"received sizes {sizes}.")
        self.arrays = source
        self.n = sizes[0]

    def iteration(self):
        return self.arrays, iter([slice(0, self.n)])

    def cardinality(self):
        return self.n

    def spec(self):
        return tree.map_structure(lambda a: TensorSpec(a.shape[1:], str(a.dtype)), self.arrays,
                                  lists_are_leaves=True)


class Generator(Node):
    """The values of ``generator(*args)``, checked against ``signature`` when one is given."""

    def __init__(self, generator, args, signature):
        self.generator, self.args = generator, args
        self.signature = signature

    def elements(self):
        for value in self.generator(*self.args):
            element = structure.to_leaves(value)
            if self.signature is not None:
                element = self._conform(element)
            yield element

    def _conform(self, element):
        if not tree.same_structure(self.signature, element, lists_are_leaves=True):
            raise TypeError(f"`generator` yielded an element that did not match the expected "
                            f"structure. The expected structure was {self.signature}, but the "
                            f"yielded element was {describe(element)}.")

        def conform(spec, leaf):
            if not spec.is_compatible_with(leaf):
                raise ValueError(f"`generator` yielded an element of shape {np.shape(leaf)} "
                                 f"where an element of shape {spec.shape} was expected.")
            return leaf.astype(spec.dtype, copy=False) if leaf.dtype != spec.dtype else leaf
        return tree.map_structure(conform, self.signature, element, lists_are_leaves=True)

    def spec(self):
        if self.signature is not None and all(
                s.shape is not None
                for s in tree.flatten(self.signature, lists_are_leaves=True)):
            return self.signature
        return super().spec()


class Zip(Node):
    """Elements of several steps side by side (a structure of steps); stops at the shortest."""

    def __init__(self, nodes):
        self.nodes = nodes

    def elements(self):
        iterators = [n.elements() for n in tree.flatten(self.nodes, lists_are_leaves=True)]
        try:
            for leaves in zip(*iterators):
                yield tree.pack_sequence_as(self.nodes, leaves, lists_are_leaves=True)
        finally:
            for it in iterators:
                if hasattr(it, "close"):
                    it.close()

    def cardinality(self):
        sizes = [n.cardinality() for n in tree.flatten(self.nodes, lists_are_leaves=True)]
        finite = [n for n in sizes if n >= 0]
        if UNKNOWN_CARDINALITY in sizes:
            return min(finite) if finite and min(finite) == 0 else UNKNOWN_CARDINALITY
        return min(finite) if finite else INFINITE_CARDINALITY

    def spec(self):
        return tree.map_structure(lambda n: n.spec(), self.nodes, lists_are_leaves=True)


class Concatenate(Node):
    """The elements of ``first``, then those of ``second``."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def elements(self):
        first = None
        for element in self.first.elements():
            if first is None:
                first = element
            yield element
        for element in self.second.elements():
            if first is not None and not tree.same_structure(first, element, lists_are_leaves=True):
                raise TypeError(f"Incompatible dataset elements in concatenate: "
                                f"{describe(first)} vs. {describe(element)}.")
            yield element

    def cardinality(self):
        a, b = self.first.cardinality(), self.second.cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (a, b):
            return UNKNOWN_CARDINALITY
        return a + b

    def spec(self):
        return self.first.spec()
