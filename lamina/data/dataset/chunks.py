"""An iteration of a pipeline step as ``(source, chunks)``, and the helpers that walk it.

``source`` is a structure of in-memory arrays and each chunk names some of their rows, in
order: a ``slice(start, stop)`` or a 1-D int64 array. A step that has no such arrays (a
generator, ``map``, ...) gives ``source=None`` and chunks that are lists of elements.
``take``, ``skip``, ``shuffle``, ``repeat``, ``cache`` and ``batch`` are written once, on
chunks; over rows they move indices and never touch the data, which is what makes
``from_tensor_slices((x, y)).shuffle(n).batch(32)`` cost about what slicing by hand costs.
"""
import itertools

import numpy as np

from lamina import backend, tree

_CHUNK = 1024  # row indices handed on at a time by shuffle


def chunk_len(chunk):
    return chunk.stop - chunk.start if isinstance(chunk, slice) else len(chunk)


def chunk_part(chunk, start, stop):
    if isinstance(chunk, slice):
        return slice(chunk.start + start, chunk.start + stop)
    return chunk[start:stop]


def chunk_ints(chunk):
    return range(chunk.start, chunk.stop) if isinstance(chunk, slice) else chunk.tolist()


def row_index(chunks):
    """One int64 array of the rows named by ``chunks``."""
    if not chunks:
        return np.zeros(0, np.int64)
    return np.concatenate([np.arange(c.start, c.stop) if isinstance(c, slice) else c
                           for c in chunks])


def gather(source, pieces):
    """The rows named by ``pieces`` (chunks), from every array of ``source``."""
    index = pieces[0] if len(pieces) == 1 else row_index(pieces)
    return tree.map_structure(lambda a: a[index], source, lists_are_leaves=True)


def elements(source, chunks):
    """Element by element from (source, chunks)."""
    if source is None:
        for chunk in chunks:
            yield from chunk
        return
    # NOTE: the common shapes (one array, a flat tuple or dict of arrays) skip the
    # generic structure code, which costs more than the indexing itself.
    if not tree.is_nested(source, lists_are_leaves=True):
        for chunk in chunks:
            yield from map(source.__getitem__, chunk_ints(chunk))
        return
    leaves = tree.flatten(source, lists_are_leaves=True)
    flat = not any(tree.is_nested(v, lists_are_leaves=True) for v in (
        source.values() if isinstance(source, dict) else source))
    flat_tuple = flat and type(source) is tuple
    flat_dict = flat and type(source) is dict
    keys = list(source) if flat_dict else None
    for chunk in chunks:
        for i in chunk_ints(chunk):
            if flat_tuple:
                yield tuple([a[i] for a in leaves])
            elif flat_dict:
                yield dict(zip(keys, [a[i] for a in leaves]))
            else:
                yield tree.pack_sequence_as(source, [a[i] for a in leaves], lists_are_leaves=True)


def take_chunks(chunks, count):
    if count == 0:
        return
    for chunk in chunks:
        n = chunk_len(chunk)
        if n >= count:
            yield chunk_part(chunk, 0, count)
            return
        yield chunk
        count -= n


def skip_chunks(chunks, count):
    for chunk in chunks:
        n = chunk_len(chunk)
        if count >= n:
            count -= n
            continue
        yield chunk_part(chunk, count, n) if count else chunk
        count = 0


def buffer_shuffle(source, chunks, buffer_size, rng):
    """tf.data's shuffle: fill a buffer, then repeatedly emit a random buffer slot and
    refill it with the next item; when the input ends, the rest of the buffer comes out
    in one random permutation.

    Over rows the items are row numbers, handed on as int64 arrays of up to 1024; over
    elements, each element is handed on at once. The random draws, hence the order, are
    the same either way.
    """
    as_rows = source is not None
    it = itertools.chain.from_iterable(map(chunk_ints, chunks) if as_rows else chunks)
    buffer = list(itertools.islice(it, buffer_size))
    out, draws, k = [], [], 0
    for item in it:
        if k == len(draws):
            draws, k = rng.random(_CHUNK).tolist(), 0
        j = int(draws[k] * len(buffer))
        k += 1
        out.append(buffer[j])
        if not as_rows or len(out) == _CHUNK:
            yield np.array(out, dtype=np.int64) if as_rows else out
            out = []
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
            yield [buffer[j]]


def batches(source, chunks, size, drop_remainder):
    """Cuts (source, chunks) into batches of ``size`` elements, each stacked into one."""
    pieces, have = [], 0
    for chunk in chunks:
        start, n = 0, chunk_len(chunk)
        while start < n:
            step = min(size - have, n - start)
            pieces.append(chunk_part(chunk, start, start + step))
            have, start = have + step, start + step
            if have == size:
                yield _batch(source, pieces)
                pieces, have = [], 0
    if pieces and not drop_remainder:
        yield _batch(source, pieces)


def _batch(source, pieces):
    # NOTE: over rows a batch is one gather from the source arrays (a view when its rows
    # are contiguous), not a stack of separate elements.
    if source is None:
        return stack([e for piece in pieces for e in piece])
    return gather(source, pieces)


def stack(elements):
    """Stacks a list of elements (same structure) into one batched element."""
    first = elements[0]
    flat = [tree.flatten(e, lists_are_leaves=True) for e in elements]
    for i, e in enumerate(elements):
        if type(e) is not type(first) or len(flat[i]) != len(flat[0]):
            raise ValueError(f"Cannot batch elements with different structures: the first "
                             f"element is {describe(first)} and element {i} is {describe(e)}.")
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


def describe(element):
    return repr(tree.map_structure(lambda a: f"array{list(np.shape(a))}", element,
                                   lists_are_leaves=True))
