"""IMDB movie reviews: 25,000 training and 25,000 test reviews labelled by sentiment."""
import numpy as np

from lamina.datasets import _files, _word_sequences
from lamina.datasets._files import DataFile
from lamina.datasets._safe_pickle import load_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NPZ_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX = DataFile("bfafd718b763782e994055a2d397834f", ORIGIN + "imdb_word_index.json")  # md5


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, cache_dir=None, **kwargs):
    """Loads the IMDB reviews as lists of word indices (Keras's ``imdb.npz``).

    Words are ranked by frequency; index ``rank + index_from`` stands for a word, 0 is
    padding, ``start_char`` starts every review and ``oov_char`` replaces the words cut by
    ``num_words`` or ``skip_top``. The file comes from ``$LAMINA_DATA_DIR/imdb/``, the
    cache folder or Keras's URL, checked against Keras's sha256; its ragged arrays are
    read with a restricted unpickler that only rebuilds NumPy arrays.

    Args:
        path: file name of the npz.
        num_words: keep the ``num_words`` most frequent words (None: all).
        skip_top: also replace the ``skip_top`` most frequent words by ``oov_char``.
        maxlen: drop the sequences that have ``maxlen`` words or more (None: keep all).
        seed: seed of the shuffle.
        start_char: index put at the start of every sequence (None: nothing).
        oov_char: index of cut words (None: cut words are removed).
        index_from: offset added to every word's rank.
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: x are 1-D object arrays of lists of
        ints, y int arrays of 0 (negative) and 1 (positive).
    """
    if "nb_words" in kwargs:
        num_words = kwargs.pop("nb_words")  # Keras 1's name
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}.")
    npz = _files.fetch("imdb", {path: DataFile(NPZ_SHA256, ORIGIN + "imdb.npz")},
                       cache_dir=cache_dir)[path]
    f = load_npz(npz)
    rng = np.random.RandomState(seed)
    x_train, y_train = _word_sequences.shuffle(f["x_train"], f["y_train"], rng)
    x_test, y_test = _word_sequences.shuffle(f["x_test"], f["y_test"], rng)
    x_train, y_train = _word_sequences.shift(x_train, y_train, maxlen, start_char, index_from)
    x_test, y_test = _word_sequences.shift(x_test, y_test, maxlen, start_char, index_from)
    if maxlen and (not x_train or not x_test):
        raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no "
                         "sequence was kept. Increase maxlen.")
    # num_words and skip_top apply to train and test together, as in Keras
    xs = _word_sequences.cut(x_train + x_test, num_words, skip_top, oov_char)
    n = len(x_train)
    return ((_word_sequences.object_array(xs[:n]), y_train),
            (_word_sequences.object_array(xs[n:]), y_test))


def get_word_index(path="imdb_word_index.json", cache_dir=None):
    """The ``{word: rank}`` dict of IMDB (rank 1 = the most frequent word); in the data
    a word is ``rank + index_from``.

    Args:
        path: file name of the json word index.
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.
    """
    return _word_sequences.word_index("imdb", path, WORD_INDEX, cache_dir)
