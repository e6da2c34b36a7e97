"""Dataset: input pipelines in the style of ``tf.data``.

A Dataset is a lazy recipe: ``from_tensor_slices(...).shuffle(1000).batch(32)``
computes nothing until it is iterated, and each iteration runs the recipe
again (so a shuffle reshuffles every epoch). Iterating yields Tensors::

    for features, label in dataset.take(2):
        print(features, label)

Elements are NumPy arrays on the host, as tf.data keeps its data on the CPU;
``fit`` moves each batch to the active backend.

A Dataset holds the last step of its pipeline: ``sources`` make elements (rows of arrays,
a generator, zip, concatenate), ``transforms`` change them (map, batch, shuffle, ...).
How it stays fast: a step over rows of in-memory arrays hands on the arrays and the row
indices of its elements (see ``chunks``), so ``shuffle``, ``take``, ``skip``, ``repeat``
and ``cache`` move indices only and ``batch`` gathers 32 rows with one indexing operation;
``map``, ``filter`` and generators go element by element. Each step is written once and
gives the same elements in the same order on either kind of input.
"""
import numpy as np

from lamina import tree
from lamina.autograd import Tensor
from lamina.data import structure
from lamina.data.dataset import sources, transforms
from lamina.data.dataset.spec import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, TensorSpec


class Dataset:
    """A sequence of elements with transformations, as ``tf.data.Dataset``.

    Create one with ``Dataset.from_tensor_slices``, ``from_generator``,
    ``range`` or ``zip``; transform it with ``map``, ``filter``, ``shuffle``,
    ``batch``, ``repeat``, ...; iterate it with ``for`` (Tensors) or
    ``as_numpy_iterator()`` (NumPy values); pass it to ``Model.fit``.
    """

    def __init__(self, node):
        self._node = node   # the last step of the pipeline (a sources or transforms step)

    def _elements(self):
        """Iterator over the elements, as structures of NumPy arrays."""
        return self._node.elements()

    def _cardinality(self):
        return self._node.cardinality()

    def _spec(self):
        return self._node.spec()

    def _then(self, step, *args):
        """A new Dataset: this pipeline followed by ``step(self's last step, *args)``."""
        return Dataset(step(self._node, *args))

    # --- inspecting ---
    def __iter__(self):
        for element in self._elements():
            yield structure.to_tensors(element)

    def as_numpy_iterator(self):
        """Iterates the elements as NumPy arrays (NumPy scalars for 0-d components)."""
        for element in self._elements():
            yield structure.to_numpy(element)

    @property
    def element_spec(self):
        """The structure of TensorSpec of one element (a batch axis is None)."""
        return self._spec()

    def cardinality(self):
        """Number of elements as an int64 scalar Tensor; ``INFINITE_CARDINALITY`` (-1) or
        ``UNKNOWN_CARDINALITY`` (-2) when it is infinite or not known without iterating."""
        return Tensor._wrap(np.array(self._cardinality(), dtype=np.int64))

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<{type(self._node).__name__}Dataset element_spec={self.element_spec}>"

    # --- creating ---
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """A dataset whose elements are the rows (first-axis slices) of ``tensors``.

        Args:
            tensors: an array, or a tuple/dict of arrays (nested), all with the same
                length; lists, pandas Series/DataFrames and Tensors are accepted.

        Returns:
            A Dataset with one element per row.
        """
        return Dataset(sources.TensorSlices(tensors))

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset with a single element, ``tensors``."""
        return Dataset(sources.TensorSlices(
            tree.map_structure(lambda a: a[None], structure.to_leaves(tensors),
                               lists_are_leaves=True)))

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """Like Python's ``range``: ``Dataset.range(5)`` gives 0, 1, 2, 3, 4."""
        return Dataset(sources.TensorSlices(np.arange(*args, dtype=dtype)))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """A dataset whose elements come from a Python generator.

        Args:
            generator: a callable returning an iterable (called again for each
                iteration of the dataset, with ``*args``).
            output_signature: optional structure of ``TensorSpec``: each element is
                checked against it and cast to its dtypes.
            output_types, output_shapes: the older form of ``output_signature``.
            args: tuple of arguments for ``generator``.

        Returns:
            A Dataset of unknown cardinality.
        """
        if not callable(generator):
            raise TypeError(f"`generator` must be a callable that returns an iterable, received "
                            f"{type(generator).__name__}. Pass the generator function, not the "
                            "generator it returns.")
        if output_signature is None and output_types is not None:
            shapes = output_shapes
            if shapes is None:
                shapes = tree.map_structure(lambda _: None, output_types, lists_are_leaves=True)
            output_signature = tree.map_structure(
                lambda t, s: TensorSpec(s, np.dtype(t)), output_types, shapes,
                lists_are_leaves=True)
        return Dataset(sources.Generator(generator, tuple(args or ()), output_signature))

    @staticmethod
    def zip(*datasets, name=None):
        """Zips datasets: ``Dataset.zip(a, b)`` or ``Dataset.zip((a, b))`` yields (ea, eb);
        a dict of datasets yields dicts. Stops at the shortest."""
        if len(datasets) == 1 and tree.is_nested(datasets[0], lists_are_leaves=True):
            datasets = datasets[0]
        for d in tree.flatten(datasets, lists_are_leaves=True):
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip expects datasets (or a tuple/dict of them), "
                                f"received {type(d).__name__}.")
        nodes = tree.map_structure(lambda d: d._node, datasets, lists_are_leaves=True)
        return Dataset(sources.Zip(nodes))

    # --- transforming ---
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element (a tuple element is passed unpacked)."""
        return self._then(transforms.Map, map_func)

    def filter(self, predicate, name=None):
        """Keeps the elements for which ``predicate`` returns True."""
        return self._then(transforms.Filter, predicate)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks ``batch_size`` consecutive elements into one; the last batch may be
        smaller unless ``drop_remainder=True``."""
        return self._then(transforms.Batch, batch_size, drop_remainder)

    def unbatch(self, name=None):
        """Splits each element along its first axis into separate elements."""
        return self._then(transforms.Unbatch)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Shuffles elements through a buffer of ``buffer_size`` (a full shuffle when it is
        at least the dataset's size).

        Args:
            buffer_size: elements held in the buffer.
            seed: int seed; None draws one from lamina's seeded generator
                (``lamina.utils.set_random_seed``) when ``shuffle`` is called.
            reshuffle_each_iteration: a new order on every iteration (epoch); default True.
        """
        return self._then(transforms.Shuffle, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times (None or -1: forever)."""
        return self._then(transforms.Repeat, count)

    def take(self, count, name=None):
        """The first ``count`` elements (-1: all)."""
        return self._then(transforms.Take, count)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (-1: none)."""
        return self._then(transforms.Skip, count)

    def cache(self, filename="", name=None):
        """Keeps the elements in memory after the first complete iteration, so later
        iterations (epochs) skip the work before the cache. ``filename`` is accepted for
        compatibility; lamina always caches in memory."""
        return self._then(transforms.Cache)

    def prefetch(self, buffer_size, name=None):
        """Prepares up to ``buffer_size`` elements ahead in a background thread
        (``AUTOTUNE``: a few), so the pipeline runs while the model trains."""
        return self._then(transforms.Prefetch, buffer_size)

    def concatenate(self, dataset, name=None):
        """The elements of this dataset, then those of ``dataset``."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"concatenate expects a Dataset, received {type(dataset).__name__}.")
        return self._then(sources.Concatenate, dataset._node)

    def enumerate(self, start=0, name=None):
        """Pairs each element with its index: (i, element), i an int64 scalar."""
        return self._then(transforms.Enumerate, start)

    def apply(self, transformation_func):
        """Returns ``transformation_func(self)``."""
        return transformation_func(self)
