"""Dataset: input pipelines in the style of ``tf.data``.

A Dataset is a lazy recipe: ``from_tensor_slices(...).shuffle(1000).batch(32)``
computes nothing until it is iterated, and each iteration runs the recipe
again (so a shuffle reshuffles every epoch). Iterating yields Tensors::

    for features, label in dataset.take(2):
        print(features, label)

Elements are NumPy arrays on the host, as tf.data keeps its data on the CPU;
``fit`` moves each batch to the active backend.

How it stays fast: a dataset whose elements are rows of in-memory arrays
(``from_tensor_slices``, ``range``, and ``shuffle``/``take``/``skip``/
``repeat``/``cache`` on top of them) is "sliceable": it can hand out the
source arrays plus the row indices of its elements, in order. ``batch`` on a
sliceable dataset then gathers 32 rows with one indexing operation instead
of stacking 32 separate elements, so ``from_tensor_slices((x, y)).batch(32)``
costs about what slicing the arrays by hand costs. Every other dataset
(``map``, ``filter``, generators, ...) goes element by element. Both paths
give the same elements in the same order; ``shuffle`` draws its random
numbers the same way on both.
"""
import itertools
import math
import queue
import threading

import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.data import structure

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

_AUTOTUNE_BUFFER = 8  # elements a prefetch(AUTOTUNE) keeps ready
_CHUNK = 1024  # row indices handed on at a time by shuffle


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


def _spec(leaf):
    return TensorSpec(np.shape(leaf), str(leaf.dtype))


# --- row-index chunks: a slice(start, stop) or a 1-D int64 array ---

def _chunk_len(chunk):
    return chunk.stop - chunk.start if isinstance(chunk, slice) else len(chunk)


def _chunk_part(chunk, start, stop):
    if isinstance(chunk, slice):
        return slice(chunk.start + start, chunk.start + stop)
    return chunk[start:stop]


def _chunk_ints(chunk):
    return range(chunk.start, chunk.stop) if isinstance(chunk, slice) else chunk.tolist()


def _gather(source, pieces):
    """The rows named by ``pieces`` (chunks), from every array of ``source``."""
    if len(pieces) == 1:
        index = pieces[0]
    else:
        index = np.concatenate([np.arange(p.start, p.stop) if isinstance(p, slice) else p
                                for p in pieces])
    return tree.map_structure(lambda a: a[index], source, lists_are_leaves=True)


def _rows(source, chunks):
    """Element by element from (source, chunks)."""
    # NOTE: the common shapes (one array, a flat tuple or dict of arrays) skip the
    # generic structure code, which costs more than the indexing itself.
    if not tree.is_nested(source, lists_are_leaves=True):
        for chunk in chunks:
            yield from map(source.__getitem__, _chunk_ints(chunk))
        return
    leaves = tree.flatten(source, lists_are_leaves=True)
    flat = not any(tree.is_nested(v, lists_are_leaves=True) for v in (
        source.values() if isinstance(source, dict) else source))
    flat_tuple = flat and type(source) is tuple
    flat_dict = flat and type(source) is dict
    keys = list(source) if flat_dict else None
    for chunk in chunks:
        for i in _chunk_ints(chunk):
            if flat_tuple:
                yield tuple([a[i] for a in leaves])
            elif flat_dict:
                yield dict(zip(keys, [a[i] for a in leaves]))
            else:
                yield tree.pack_sequence_as(source, [a[i] for a in leaves], lists_are_leaves=True)


def _take_chunks(chunks, count):
    if count == 0:
        return
    for chunk in chunks:
        n = _chunk_len(chunk)
        if n >= count:
            yield _chunk_part(chunk, 0, count)
            return
        yield chunk
        count -= n


def _skip_chunks(chunks, count):
    for chunk in chunks:
        n = _chunk_len(chunk)
        if count >= n:
            count -= n
            continue
        yield _chunk_part(chunk, count, n) if count else chunk
        count = 0


def _buffer_shuffle(items, buffer_size, rng, as_rows=False):
    """tf.data's shuffle: fill a buffer, then repeatedly emit a random buffer slot and
    refill it with the next item; when the input ends, the rest of the buffer comes out
    in one random permutation.

    With ``as_rows`` the items are row numbers and come out as int64 arrays (chunks);
    the random draws, hence the order, are the same either way.
    """
    it = iter(items)
    buffer = list(itertools.islice(it, buffer_size))
    out, draws, k = [], [], 0
    for item in it:
        if k == len(draws):
            draws, k = rng.random(_CHUNK).tolist(), 0
        j = int(draws[k] * len(buffer))
        k += 1
        if as_rows:
            out.append(buffer[j])
            if len(out) == _CHUNK:
                yield np.array(out, dtype=np.int64)
                out = []
        else:
            yield buffer[j]
        buffer[j] = item
    order = rng.permutation(len(buffer))
    if as_rows:
        if out:
            yield np.array(out, dtype=np.int64)
        if buffer:
            # NOTE: a buffer as large as the data (the usual full shuffle) ends here: one
            # vectorised permutation instead of a Python step per row.
            yield np.array(buffer, dtype=np.int64)[order]
    else:
        for j in order.tolist():
            yield buffer[j]


def _stack(elements):
    """Stacks a list of elements (same structure) into one batched element."""
    first = elements[0]
    flat = [tree.flatten(e, lists_are_leaves=True) for e in elements]
    for i, e in enumerate(elements):
        if type(e) is not type(first) or len(flat[i]) != len(flat[0]):
            raise ValueError(f"Cannot batch elements with different structures: the first "
                             f"element is {_describe(first)} and element {i} is {_describe(e)}.")
    columns = []
    for c, leaf in enumerate(flat[0]):
        shape = np.shape(leaf)
        for i, leaves in enumerate(flat):
            if np.shape(leaves[c]) != shape:
                raise ValueError(
                    f"Cannot batch tensors with different shapes in component {c}. First element "
                    f"had shape {list(shape)} and element {i} had shape "
                    f"{list(np.shape(leaves[c]))}.")
        column = [leaves[c] for leaves in flat]
        xp = backend.get_array_module(*column)
        columns.append(xp.stack([xp.asarray(v) for v in column]))
    return tree.pack_sequence_as(first, columns, lists_are_leaves=True)


def _describe(element):
    return repr(tree.map_structure(lambda a: f"array{list(np.shape(a))}", element,
                                   lists_are_leaves=True))


def _check_count(value, what, allow_minus_one=True):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (
            -1 if allow_minus_one else 0):
        low = "-1 (all)" if allow_minus_one else "0"
        raise ValueError(f"`{what}` must be an integer >= {low}, received {value!r}.")
    return int(value)


def _call(fn, element):
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


class Dataset:
    """A sequence of elements with transformations, as ``tf.data.Dataset``.

    Create one with ``Dataset.from_tensor_slices``, ``from_generator``,
    ``range`` or ``zip``; transform it with ``map``, ``filter``, ``shuffle``,
    ``batch``, ``repeat``, ...; iterate it with ``for`` (Tensors) or
    ``as_numpy_iterator()`` (NumPy values); pass it to ``Model.fit``.
    """

    # --- what each kind of dataset implements ---
    def _elements(self):
        """Iterator over elements (structures of arrays). Default: from ``_slices``."""
        return _rows(*self._slices())

    def _can_slice(self):
        """True when ``_slices`` can describe this iteration (no side effects)."""
        return False

    def _source(self):
        """The arrays whose rows are the elements (no side effects)."""
        raise NotImplementedError

    def _slices(self):
        """(source arrays, iterator of row-index chunks) for one iteration."""
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN_CARDINALITY

    def _spec(self):
        """Element spec, by peeking at the first element unless a subclass knows it."""
        iterator = self._elements()
        try:
            first = next(iterator, None)
        finally:
            if hasattr(iterator, "close"):
                iterator.close()
        if first is None:
            return None
        return tree.map_structure(_spec, first, lists_are_leaves=True)

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
        return f"<{type(self).__name__} element_spec={self.element_spec}>"

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
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset with a single element, ``tensors``."""
        return _TensorSliceDataset(tree.map_structure(
            lambda a: a[None], structure.to_leaves(tensors), lists_are_leaves=True))

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """Like Python's ``range``: ``Dataset.range(5)`` gives 0, 1, 2, 3, 4."""
        return _TensorSliceDataset(np.arange(*args, dtype=dtype))

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
        return _GeneratorDataset(generator, tuple(args or ()), output_signature)

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
        return _ZipDataset(datasets)

    # --- transforming ---
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Applies ``map_func`` to each element (a tuple element is passed unpacked)."""
        return _MapDataset(self, map_func)

    def filter(self, predicate, name=None):
        """Keeps the elements for which ``predicate`` returns True."""
        return _FilterDataset(self, predicate)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Stacks ``batch_size`` consecutive elements into one; the last batch may be
        smaller unless ``drop_remainder=True``."""
        return _BatchDataset(self, batch_size, drop_remainder)

    def unbatch(self, name=None):
        """Splits each element along its first axis into separate elements."""
        return _UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """Shuffles elements through a buffer of ``buffer_size`` (a full shuffle when it is
        at least the dataset's size).

        Args:
            buffer_size: elements held in the buffer.
            seed: int seed; None draws one from lamina's seeded generator
                (``lamina.utils.set_random_seed``) when ``shuffle`` is called.
            reshuffle_each_iteration: a new order on every iteration (epoch); default True.
        """
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        """Repeats the dataset ``count`` times (None or -1: forever)."""
        return _RepeatDataset(self, count)

    def take(self, count, name=None):
        """The first ``count`` elements (-1: all)."""
        return _TakeDataset(self, count)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (-1: none)."""
        return _SkipDataset(self, count)

    def cache(self, filename="", name=None):
        """Keeps the elements in memory after the first complete iteration, so later
        iterations (epochs) skip the work before the cache. ``filename`` is accepted for
        compatibility; lamina always caches in memory."""
        return _CacheDataset(self)

    def prefetch(self, buffer_size, name=None):
        """Prepares up to ``buffer_size`` elements ahead in a background thread
        (``AUTOTUNE``: a few), so the pipeline runs while the model trains."""
        return _PrefetchDataset(self, buffer_size)

    def concatenate(self, dataset, name=None):
        """The elements of this dataset, then those of ``dataset``."""
        return _ConcatenateDataset(self, dataset)

    def enumerate(self, start=0, name=None):
        """Pairs each element with its index: (i, element), i an int64 scalar."""
        return _EnumerateDataset(self, start)

    def apply(self, transformation_func):
        """Returns ``transformation_func(self)``."""
        return transformation_func(self)


class _TensorSliceDataset(Dataset):
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
        self._arrays = source
        self._n = sizes[0]

    def _can_slice(self):
        return True

    def _source(self):
        return self._arrays

    def _slices(self):
        return self._arrays, iter([slice(0, self._n)])

    def _cardinality(self):
        return self._n

    def _spec(self):
        return tree.map_structure(lambda a: TensorSpec(a.shape[1:], str(a.dtype)), self._arrays,
                                  lists_are_leaves=True)


class _GeneratorDataset(Dataset):
    def __init__(self, generator, args, signature):
        self._generator, self._args = generator, args
        self._signature = signature

    def _elements(self):
        for value in self._generator(*self._args):
            element = structure.to_leaves(value)
            if self._signature is not None:
                element = self._conform(element)
            yield element

    def _conform(self, element):
        if not tree.same_structure(self._signature, element, lists_are_leaves=True):
            raise TypeError(f"`generator` yielded an element that did not match the expected "
                            f"structure. The expected structure was {self._signature}, but the "
                            f"yielded element was {_describe(element)}.")

        def conform(spec, leaf):
            if not spec.is_compatible_with(leaf):
                raise ValueError(f"`generator` yielded an element of shape {np.shape(leaf)} "
                                 f"where an element of shape {spec.shape} was expected.")
            return leaf.astype(spec.dtype, copy=False) if leaf.dtype != spec.dtype else leaf
        return tree.map_structure(conform, self._signature, element, lists_are_leaves=True)

    def _spec(self):
        if self._signature is not None and all(
                s.shape is not None
                for s in tree.flatten(self._signature, lists_are_leaves=True)):
            return self._signature
        return super()._spec()


class _Unary(Dataset):
    """A transformation of one input dataset; passes sizes and spec through by default."""

    def __init__(self, input_dataset):
        if not isinstance(input_dataset, Dataset):
            raise TypeError(f"Expected a Dataset, received {type(input_dataset).__name__}.")
        self._input = input_dataset

    def _cardinality(self):
        return self._input._cardinality()

    def _spec(self):
        return self._input._spec()

    def _source(self):
        return self._input._source()


class _MapDataset(_Unary):
    def __init__(self, input_dataset, fn):
        super().__init__(input_dataset)
        if not callable(fn):
            raise TypeError(f"`map_func` must be callable, received {type(fn).__name__}.")
        self._fn = fn

    def _elements(self):
        for element in self._input._elements():
            yield structure.to_leaves(_call(self._fn, element))

    def _spec(self):
        return Dataset._spec(self)


class _FilterDataset(_Unary):
    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        if not callable(predicate):
            raise TypeError(f"`predicate` must be callable, received {type(predicate).__name__}.")
        self._predicate = predicate

    def _elements(self):
        for element in self._input._elements():
            keep = _call(self._predicate, element)
            keep = keep.data if isinstance(keep, Tensor) else keep
            if np.ndim(keep) != 0:
                raise ValueError(f"`predicate` must return a scalar boolean, returned a value "
                                 f"of shape {np.shape(keep)}.")
            if bool(keep):
                yield element

    def _cardinality(self):
        n = self._input._cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY


class _BatchDataset(_Unary):
    def __init__(self, input_dataset, batch_size, drop_remainder):
        super().__init__(input_dataset)
        batch_size = _check_count(batch_size, "batch_size", allow_minus_one=False)
        if batch_size == 0:
            raise ValueError("`batch_size` must be greater than zero, received 0.")
        self._size, self._drop = batch_size, bool(drop_remainder)

    def _elements(self):
        if self._input._can_slice():
            source, chunks = self._input._slices()
            yield from self._sliced_batches(source, chunks)
            return
        batch = []
        for element in self._input._elements():
            batch.append(element)
            if len(batch) == self._size:
                yield _stack(batch)
                batch = []
        if batch and not self._drop:
            yield _stack(batch)

    def _sliced_batches(self, source, chunks):
        # NOTE: the fast path: each batch is one gather from the source arrays (a view
        # when its rows are contiguous), not a stack of separate elements.
        pieces, have = [], 0
        for chunk in chunks:
            start, n = 0, _chunk_len(chunk)
            while start < n:
                step = min(self._size - have, n - start)
                pieces.append(_chunk_part(chunk, start, start + step))
                have, start = have + step, start + step
                if have == self._size:
                    yield _gather(source, pieces)
                    pieces, have = [], 0
        if pieces and not self._drop:
            yield _gather(source, pieces)

    def _cardinality(self):
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else math.ceil(n / self._size)

    def _spec(self):
        spec = self._input._spec()
        size = self._size if self._drop else None
        return None if spec is None else tree.map_structure(
            lambda s: TensorSpec((size,) + s.shape, s.dtype), spec, lists_are_leaves=True)


class _UnbatchDataset(_Unary):
    def _elements(self):
        for element in self._input._elements():
            leaves = tree.flatten(element, lists_are_leaves=True)
            sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
            if None in sizes or len(sizes) != 1:
                raise ValueError(f"unbatch needs components with the same first axis; received "
                                 f"{_describe(element)}.")
            for i in range(sizes.pop()):
                yield tree.pack_sequence_as(element, [leaf[i] for leaf in leaves],
                                            lists_are_leaves=True)

    def _cardinality(self):
        n = self._input._cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def _spec(self):
        spec = self._input._spec()
        return None if spec is None else tree.map_structure(
            lambda s: TensorSpec(s.shape[1:], s.dtype), spec, lists_are_leaves=True)


class _ShuffleDataset(_Unary):
    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(input_dataset)
        buffer_size = _check_count(buffer_size, "buffer_size", allow_minus_one=False)
        if buffer_size == 0:
            raise ValueError("`buffer_size` must be greater than zero, received 0.")
        self._buffer_size = buffer_size
        # NOTE: the seed is fixed now, in the caller's thread, so a prefetch thread
        # iterating later cannot change the order of draws from lamina's generator.
        self._seed = int(seed) if seed is not None else int(
            backend.rng(np).integers(2 ** 63 - 1))
        self._reshuffle = True if reshuffle_each_iteration is None else bool(
            reshuffle_each_iteration)
        self._iterations = 0

    def _next_rng(self):
        key = [self._seed, self._iterations] if self._reshuffle else [self._seed]
        self._iterations += 1
        return np.random.default_rng(key)

    def _can_slice(self):
        return self._input._can_slice()

    def _slices(self):
        source, chunks = self._input._slices()
        rows = itertools.chain.from_iterable(_chunk_ints(c) for c in chunks)
        return source, _buffer_shuffle(rows, self._buffer_size, self._next_rng(), as_rows=True)

    def _elements(self):
        if self._can_slice():
            return _rows(*self._slices())
        return _buffer_shuffle(self._input._elements(), self._buffer_size, self._next_rng())


class _RepeatDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        count = -1 if count is None else _check_count(count, "count")
        self._count = count

    def _repetitions(self):
        return itertools.count() if self._count == -1 else range(self._count)

    def _can_slice(self):
        return self._input._can_slice()

    def _slices(self):
        source = self._input._source()

        def chunks():
            for _ in self._repetitions():
                again, part = self._input._slices()
                if again is not source:
                    raise RuntimeError("repeat: the input's arrays changed between repetitions.")
                empty = True
                for chunk in part:
                    empty = False
                    yield chunk
                if empty:  # an empty dataset repeated forever is still empty
                    return
        return source, chunks()

    def _elements(self):
        if self._can_slice():
            yield from _rows(*self._slices())
            return
        for _ in self._repetitions():
            empty = True
            for element in self._input._elements():
                empty = False
                yield element
            if empty:
                return

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == -1:
            return n if n in (0, UNKNOWN_CARDINALITY) else INFINITE_CARDINALITY
        if n < 0:
            return n
        return n * self._count


class _TakeDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _check_count(count, "count")

    def _can_slice(self):
        return self._input._can_slice()

    def _slices(self):
        source, chunks = self._input._slices()
        return source, chunks if self._count == -1 else _take_chunks(chunks, self._count)

    def _elements(self):
        if self._can_slice():
            return _rows(*self._slices())
        iterator = self._input._elements()
        return iterator if self._count == -1 else itertools.islice(iterator, self._count)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == -1:
            return n
        if n == INFINITE_CARDINALITY:
            return self._count
        return n if n == UNKNOWN_CARDINALITY else min(n, self._count)


class _SkipDataset(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = _check_count(count, "count")

    def _can_slice(self):
        return self._input._can_slice()

    def _slices(self):
        source, chunks = self._input._slices()
        if self._count == -1:
            return source, iter(())
        return source, _skip_chunks(chunks, self._count)

    def _elements(self):
        if self._can_slice():
            return _rows(*self._slices())
        if self._count == -1:
            return iter(())
        return itertools.islice(self._input._elements(), self._count, None)

    def _cardinality(self):
        n = self._input._cardinality()
        if self._count == -1:
            return 0
        return n if n < 0 else max(n - self._count, 0)


class _CacheDataset(_Unary):
    """Records the first complete iteration: row indices for a sliceable input, else the
    elements themselves (stacked into arrays when they all have the same shapes)."""

    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        self._rows = None  # (source, index array) of a sliceable input
        self._arrays = None  # stacked elements of another input
        self._list = None  # elements that could not be stacked
        self._lock = threading.Lock()

    def _can_slice(self):
        return self._rows is not None or self._arrays is not None or (
            self._list is None and self._input._can_slice())

    def _source(self):
        with self._lock:
            if self._rows is not None:
                return self._rows[0]
            return self._arrays if self._arrays is not None else self._input._source()

    def _slices(self):
        with self._lock:
            if self._rows is not None:
                return self._rows[0], iter([self._rows[1]])
            if self._arrays is not None:
                size = len(tree.flatten(self._arrays, lists_are_leaves=True)[0])
                return self._arrays, iter([slice(0, size)])
        source, chunks = self._input._slices()
        return source, self._record_rows(source, chunks)

    def _record_rows(self, source, chunks):
        seen = []
        for chunk in chunks:
            seen.append(chunk)
            yield chunk
        index = np.concatenate([np.arange(c.start, c.stop) if isinstance(c, slice) else c
                                for c in seen]) if seen else np.zeros(0, np.int64)
        with self._lock:
            self._rows = (source, index)

    def _elements(self):
        if self._can_slice():
            yield from _rows(*self._slices())
            return
        if self._list is not None:
            yield from self._list
            return
        seen = []
        for element in self._input._elements():
            seen.append(element)
            yield element
        with self._lock:
            try:
                self._arrays = _stack(seen) if seen else None
                self._list = None if seen else []
            except ValueError:  # ragged elements: keep them as they are
                self._list = seen


class _PrefetchDataset(_Unary):
    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        buffer_size = _check_count(buffer_size, "buffer_size")
        self._buffer_size = _AUTOTUNE_BUFFER if buffer_size == AUTOTUNE else buffer_size

    def _elements(self):
        if self._buffer_size == 0:
            yield from self._input._elements()
            return
        items = queue.Queue(self._buffer_size)
        stop = threading.Event()

        def put(item):
            while not stop.is_set():
                try:
                    items.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    pass
            return False

        def produce():
            iterator = self._input._elements()
            try:
                for element in iterator:
                    if not put((True, element)):
                        return
                put((False, None))
            except BaseException as error:  # handed to the consumer, raised there
                put((False, error))
            finally:
                if hasattr(iterator, "close"):
                    iterator.close()

        worker = threading.Thread(target=produce, name="lamina-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                ok, item = items.get()
                if ok:
                    yield item
                elif item is None:
                    return
                else:
                    raise item
        finally:
            stop.set()


class _ZipDataset(Dataset):
    def __init__(self, datasets):
        self._datasets = datasets

    def _elements(self):
        iterators = [d._elements() for d in tree.flatten(self._datasets, lists_are_leaves=True)]
        try:
            for leaves in zip(*iterators):
                yield tree.pack_sequence_as(self._datasets, leaves, lists_are_leaves=True)
        finally:
            for it in iterators:
                if hasattr(it, "close"):
                    it.close()

    def _cardinality(self):
        sizes = [d._cardinality() for d in tree.flatten(self._datasets, lists_are_leaves=True)]
        finite = [n for n in sizes if n >= 0]
        if UNKNOWN_CARDINALITY in sizes:
            return min(finite) if finite and min(finite) == 0 else UNKNOWN_CARDINALITY
        return min(finite) if finite else INFINITE_CARDINALITY

    def _spec(self):
        return tree.map_structure(lambda d: d._spec(), self._datasets, lists_are_leaves=True)


class _ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate expects a Dataset, received {type(second).__name__}.")
        self._first, self._second = first, second

    def _elements(self):
        first = None
        for element in self._first._elements():
            if first is None:
                first = element
            yield element
        for element in self._second._elements():
            if first is not None and not tree.same_structure(first, element, lists_are_leaves=True):
                raise TypeError(f"Incompatible dataset elements in concatenate: "
                                f"{_describe(first)} vs. {_describe(element)}.")
            yield element

    def _cardinality(self):
        a, b = self._first._cardinality(), self._second._cardinality()
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        if UNKNOWN_CARDINALITY in (a, b):
            return UNKNOWN_CARDINALITY
        return a + b

    def _spec(self):
        return self._first._spec()


class _EnumerateDataset(_Unary):
    def __init__(self, input_dataset, start):
        super().__init__(input_dataset)
        self._start = int(start)

    def _elements(self):
        for i, element in enumerate(self._input._elements(), self._start):
            yield np.int64(i), element

    def _spec(self):
        return TensorSpec((), "int64"), self._input._spec()
