"""Reuters newswires: 11,228 newswires labelled over 46 topics."""
import numpy as np

from lamina.datasets import _files, _word_sequences
from lamina.datasets._files import DataFile
from lamina.datasets._safe_pickle import load_npz

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NPZ_SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX = DataFile("4d44cc38712099c9e383dc6e5f11a921", ORIGIN + "reuters_word_index.json")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, cache_dir=None):
    """Loads the Reuters newswires as lists of word indices (Keras's ``reuters.npz``).

    As ``imdb.load_data``; the newswires are shuffled, then the last ``test_split`` of
    them are the test set.

    Args:
        path, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from,
            cache_dir: as ``imdb.load_data``.
        test_split: fraction of the newswires in the test set.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: x are 1-D object arrays of lists of
        ints, y the topic indices 0-45.
    """
    npz = _files.fetch("reuters", {path: DataFile(NPZ_SHA256, ORIGIN + "reuters.npz")},
                       cache_dir=cache_dir)[path]
    f = load_npz(npz)
    xs, labels = _word_sequences.shuffle(f["x"], f["y"], np.random.RandomState(seed))
    xs, labels = _word_sequences.shift(xs, labels, maxlen, start_char, index_from)
    xs = _word_sequences.cut(xs, num_words, skip_top, oov_char)
    at = int(len(xs) * (1 - test_split))
    return ((_word_sequences.object_array(xs[:at]), np.array(labels[:at])),
            (_word_sequences.object_array(xs[at:]), np.array(labels[at:])))


def get_word_index(path="reuters_word_index.json", cache_dir=None):
    """The ``{word: rank}`` dict of Reuters; in the data a word is ``rank + index_from``."""
    return _word_sequences.word_index("reuters", path, WORD_INDEX, cache_dir)


def get_label_names():
    """The 46 topic names, by label index."""
    return ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
            "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
            "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
            "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
            "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
            "dlr", "gas", "silver", "wpi", "hog", "lead")
