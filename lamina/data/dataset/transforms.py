"""The transformations of a dataset, each written once over (source, chunks) or elements."""
import itertools
import math
import queue
import threading

import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.data import structure
from lamina.data.dataset import chunks
from lamina.data.dataset.node import Node, Unary, call, check_count
from lamina.data.dataset.spec import (AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY,
                                      TensorSpec)

_AUTOTUNE_BUFFER = 8  # elements a prefetch(AUTOTUNE) keeps ready


class Map(Unary):
    def __init__(self, input_node, fn):
        super().__init__(input_node)
        if not callable(fn):
            raise TypeError(f"`map_func` must be callable, received {type(fn).__name__}.")
        self.fn = fn

    def elements(self):
        for element in self.input.elements():
            yield structure.to_leaves(call(self.fn, element))

    def spec(self):
        return Node.spec(self)


class Filter(Unary):
    def __init__(self, input_node, predicate):
        super().__init__(input_node)
        if not callable(predicate):
            raise TypeError(f"`predicate` must be callable, received {type(predicate).__name__}.")
        self.predicate = predicate

    def elements(self):
        for element in self.input.elements():
            keep = call(self.predicate, element)
            keep = keep.data if isinstance(keep, Tensor) else keep
            if np.ndim(keep) != 0:
                raise ValueError(f"`predicate` must return a scalar boolean, returned a value "
                                 f"of shape {np.shape(keep)}.")
            if bool(keep):
                yield element

    def cardinality(self):
        n = self.input.cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY


class Batch(Unary):
    def __init__(self, input_node, batch_size, drop_remainder):
        super().__init__(input_node)
        batch_size = check_count(batch_size, "batch_size", allow_minus_one=False)
        if batch_size == 0:
            raise ValueError("`batch_size` must be greater than zero, received 0.")
        self.size, self.drop = batch_size, bool(drop_remainder)

    def elements(self):
        source, parts = self.input.iteration()
        yield from chunks.batches(source, parts, self.size, self.drop)

    def cardinality(self):
        n = self.input.cardinality()
        if n < 0:
            return n
        return n // self.size if self.drop else math.ceil(n / self.size)

    def spec(self):
        spec = self.input.spec()
        size = self.size if self.drop else None
        return None if spec is None else tree.map_structure(
            lambda s: TensorSpec((size,) + s.shape, s.dtype), spec, lists_are_leaves=True)


class Unbatch(Unary):
    def elements(self):
        for element in self.input.elements():
            leaves = tree.flatten(element, lists_are_leaves=True)
            sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
            if None in sizes or len(sizes) != 1:
                raise ValueError(f"unbatch needs components with the same first axis; received "
                                 f"{chunks.describe(element)}.")
            for i in range(sizes.pop()):
                yield tree.pack_sequence_as(element, [leaf[i] for leaf in leaves],
                                            lists_are_leaves=True)

    def cardinality(self):
        n = self.input.cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY

    def spec(self):
        spec = self.input.spec()
        return None if spec is None else tree.map_structure(
            lambda s: TensorSpec(s.shape[1:], s.dtype), spec, lists_are_leaves=True)


class Shuffle(Unary):
    def __init__(self, input_node, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(input_node)
        buffer_size = check_count(buffer_size, "buffer_size", allow_minus_one=False)
        if buffer_size == 0:
            raise ValueError("`buffer_size` must be greater than zero, received 0.")
        self.buffer_size = buffer_size
        # NOTE: the seed is fixed now, in the caller's thread, so a prefetch thread
        # iterating later cannot change the order of draws from lamina's generator.
        self.seed = int(seed) if seed is not None else int(backend.rng(np).integers(2 ** 63 - 1))
        self.reshuffle = True if reshuffle_each_iteration is None else bool(
            reshuffle_each_iteration)
        self.iterations = 0

    def _next_rng(self):
        key = [self.seed, self.iterations] if self.reshuffle else [self.seed]
        self.iterations += 1
        return np.random.default_rng(key)

    def iteration(self):
        source, parts = self.input.iteration()
        return source, chunks.buffer_shuffle(source, parts, self.buffer_size, self._next_rng())


class Repeat(Unary):
    def __init__(self, input_node, count):
        super().__init__(input_node)
        self.count = -1 if count is None else check_count(count, "count")

    def iteration(self):
        if self.count == 0:
            return None, iter(())
        source, first = self.input.iteration()

        def parts():
            repetitions = itertools.count() if self.count == -1 else range(self.count)
            for k in repetitions:
                part = first
                if k:
                    again, part = self.input.iteration()
                    if again is not source:
                        if source is not None:
                            raise RuntimeError("repeat: the input's arrays changed between "
                                               "repetitions.")
                        # e.g. a cache that held elements and now holds arrays
                        part = ([e] for e in chunks.elements(again, part))
                empty = True
                for chunk in part:
                    empty = False
                    yield chunk
                if empty:  # an empty dataset repeated forever is still empty
                    return
        return source, parts()

    def cardinality(self):
        n = self.input.cardinality()
        if self.count == -1:
            return n if n in (0, UNKNOWN_CARDINALITY) else INFINITE_CARDINALITY
        if n < 0:
            return n
        return n * self.count


class Take(Unary):
    def __init__(self, input_node, count):
        super().__init__(input_node)
        self.count = check_count(count, "count")

    def iteration(self):
        source, parts = self.input.iteration()
        return source, parts if self.count == -1 else chunks.take_chunks(parts, self.count)

    def cardinality(self):
        n = self.input.cardinality()
        if self.count == -1:
            return n
        if n == INFINITE_CARDINALITY:
            return self.count
        return n if n == UNKNOWN_CARDINALITY else min(n, self.count)


class Skip(Unary):
    def __init__(self, input_node, count):
        super().__init__(input_node)
        self.count = check_count(count, "count")

    def iteration(self):
        if self.count == -1:
            return None, iter(())
        source, parts = self.input.iteration()
        return source, chunks.skip_chunks(parts, self.count)

    def cardinality(self):
        n = self.input.cardinality()
        if self.count == -1:
            return 0
        return n if n < 0 else max(n - self.count, 0)


class Cache(Unary):
    """Records the first complete iteration: the row indices of rows of arrays, else the
    elements themselves (stacked into arrays when they all have the same shapes)."""

    def __init__(self, input_node):
        super().__init__(input_node)
        self.recorded = None  # (source, one chunk) once an iteration has completed
        self.lock = threading.Lock()

    def iteration(self):
        with self.lock:
            if self.recorded is not None:
                source, chunk = self.recorded
                return source, iter([chunk])
        source, parts = self.input.iteration()
        return source, self._record(source, parts)

    def _record(self, source, parts):
        seen = []
        for chunk in parts:
            seen.append(chunk)
            yield chunk
        if source is not None:
            recorded = source, chunks.row_index(seen)
        else:
            elements = [e for chunk in seen for e in chunk]
            try:
                arrays = chunks.stack(elements) if elements else None
                recorded = (arrays, slice(0, len(elements))) if elements else (None, [])
            except ValueError:  # ragged elements: keep them as they are
                recorded = None, elements
        with self.lock:
            self.recorded = recorded


class Prefetch(Unary):
    def __init__(self, input_node, buffer_size):
        super().__init__(input_node)
        buffer_size = check_count(buffer_size, "buffer_size")
        self.buffer_size = _AUTOTUNE_BUFFER if buffer_size == AUTOTUNE else buffer_size

    def elements(self):
        if self.buffer_size == 0:
            yield from self.input.elements()
            return
        items = queue.Queue(self.buffer_size)
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
            iterator = self.input.elements()
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


class Enumerate(Unary):
    def __init__(self, input_node, start):
        super().__init__(input_node)
        self.start = int(start)

    def elements(self):
        for i, element in enumerate(self.input.elements(), self.start):
            yield np.int64(i), element

    def spec(self):
        return TensorSpec((), "int64"), self.input.spec()
