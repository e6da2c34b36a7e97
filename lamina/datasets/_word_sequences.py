"""What IMDB and Reuters share: reviews or newswires as lists of word indices, ranked by
frequency (1 = the most frequent word), shifted and cut as Keras's loaders do."""
import json

import numpy as np

from lamina.datasets import _files


def shuffle(x, y, rng):
    """x and y in the order of one ``rng.shuffle`` of their indices."""
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], y[indices]


def shift(xs, labels, maxlen, start_char, index_from):
    """Adds ``start_char`` and ``index_from`` to every sequence, then drops the sequences
    of ``maxlen`` words or more (as Keras's ``remove_long_seq``).

    Returns:
        the sequences (a list of lists of ints) and their labels (an array).
    """
    start = [] if start_char is None else [start_char]
    xs = [start + [int(w) + index_from for w in x] for x in xs]
    labels = np.asarray(labels)
    if maxlen:
        keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in keep], labels[keep]
    return xs, labels


def cut(xs, num_words, skip_top, oov_char):
    """Replaces the words outside ``[skip_top, num_words)`` by ``oov_char`` (removes them
    when it is None). Without ``num_words`` the bound is the largest index, as in Keras."""
    if xs and not num_words:
        num_words = max(max(x) for x in xs if x)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(xs):
    """A 1-D object array of lists (as Keras returns), even when all have one length."""
    out = np.empty(len(xs), dtype=object)
    out[:] = xs
    return out


def word_index(name, fname, spec, cache_dir=None):
    """The ``{word: rank}`` dict of a dataset's json word index."""
    path = _files.fetch(name, {fname: spec}, cache_dir=cache_dir)[fname]
    with open(path, encoding="utf-8") as f:
        return json.load(f)
