"""IntegerLookup: integer categories to contiguous indices in a vocabulary."""
import numpy as np

from lamina.layers.preprocessing._data import _host
from lamina.layers.preprocessing.index_lookup import _IndexLookup


class IntegerLookup(_IndexLookup):
    """Maps integers (ids, codes, years...) to indices in a vocabulary, or to encoded vectors.

    Index 0 is for out-of-vocabulary values (``oov_token`` -1), then the vocabulary, most
    frequent first after ``adapt``. With several OOV indices, an unknown value goes to
    ``value mod num_oov_indices`` (``oov_method='floormod'``) or to its FarmHash bucket.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode,
            pad_to_max_tokens, sparse, salt: as ``StringLookup``.
        mask_token: an integer that marks padding (e.g. 0), mapped to index 0 in 'int' mode.
        oov_token: the value an OOV index maps back to with ``invert=True`` (default -1).
        vocabulary_dtype: only 'int64'.
        oov_method: 'floormod' (default) or 'farmhash'.

    Example:

    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]]))   # [[1, 3, 4], [4, 0, 2]]
    """
    kind = "integer"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, oov_method="floormod",
                 salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater "
                             f"than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"The value of `num_oov_indices` argument for `IntegerLookup` must "
                             f">= 0. Received: num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        if salt is not None and oov_method != "farmhash":
            raise ValueError(f"`salt` can only be used when `oov_method='farmhash'`. Received: "
                             f"oov_method={oov_method}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _tokens_of(self, data):
        array = _host(data)
        if array.dtype.kind in "iub":
            return array.astype(np.int64)
        if array.dtype.kind == "f" and bool(np.all(array == np.round(array))):
            return array.astype(np.int64)  # whole numbers stored as floats
        if array.dtype.kind == "f":
            raise TypeError(f"IntegerLookup layer '{self.name}' expects integers, but received "
                            f"{array.dtype} values with fractions.")
        if array.size == 0:
            return array.astype(np.int64)
        raise TypeError(f"IntegerLookup layer '{self.name}' expects integers, but received "
                        f"{'strings' if array.dtype.kind in 'USO' else array.dtype}. Use "
                        "StringLookup for text categories.")

    def _read_vocabulary_file(self, path):
        try:
            with open(path) as f:
                lines = [line for line in f.read().splitlines() if line != ""]
        except OSError as e:
            raise ValueError(f"Vocabulary file {path} does not exist.") from e
        return [int(line) for line in lines]

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return {**config, "vocabulary_dtype": "int64"}
