"""StringLookup: strings to integer indices in a vocabulary (or one-hot, multi-hot, counts,
TF-IDF)."""
import numpy as np

from lamina.layers.preprocessing._data import _host, _strings
from lamina.layers.preprocessing.index_lookup import _IndexLookup


def strings_of(layer, data, encoding="utf-8"):
    """A NumPy unicode array of ``data``; raises naming ``layer`` if it holds numbers."""
    array = _host(data)
    if array.dtype.kind in "US" or array.size == 0 or (array.dtype == object and all(
            isinstance(v, (str, bytes)) for v in array.reshape(-1).tolist())):
        return _strings(array, encoding)
    raise TypeError(f"{type(layer).__name__} layer '{layer.name}' expects strings, but received "
                    f"{array.dtype} values. Pass text (a list or array of str), or use "
                    "IntegerLookup for integer categories.")


class StringLookup(_IndexLookup):
    """Maps strings to integer indices in a vocabulary (or to one-hot/multi-hot/count/TF-IDF).

    Index 0 is for out-of-vocabulary strings (``[UNK]``), then the vocabulary. With
    ``adapt(data)`` the vocabulary is every distinct string, most frequent first (ties:
    in reverse sort order, as Keras does).

    Args:
        max_tokens: largest vocabulary size, the OOV and mask tokens included.
        num_oov_indices: indices for unknown strings (0: an unknown string is an error;
            more than 1: strings are spread over them by FarmHash, the same buckets as Keras).
        mask_token: a string that marks padding, mapped to 0 in 'int' mode (then OOV is 1).
        oov_token: the string an OOV index maps back to with ``invert=True``.
        vocabulary: list, array or path of a text file with one string per line.
        idf_weights: with 'tf_idf' and a vocabulary: the inverse document frequencies.
        invert: map indices back to strings.
        output_mode: 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        pad_to_max_tokens: make encoded outputs ``max_tokens`` wide.
        sparse: must be False.
        encoding: text encoding of byte strings.
        salt: hash OOV strings with SipHash keyed by ``salt`` (an int or two ints).

    Example:

    >>> layer = StringLookup(vocabulary=["Eco", "Business"])
    >>> layer(np.array(["Business", "Eco", "Eco Plus"]))   # [2, 1, 0]
    """
    kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, **kwargs)

    def _tokens_of(self, data):
        if isinstance(data, np.ndarray) and data.dtype.kind == "U":
            return data
        return strings_of(self, data, self.encoding)

    def _read_vocabulary_file(self, path):
        try:
            with open(path, encoding=self.encoding) as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise ValueError(f"Vocabulary file {path} does not exist.") from e
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
