"""TextVectorization: raw text to token indices (or multi-hot, counts, TF-IDF vectors)."""
import re

import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.layers.base import KerasTensor, Layer
from lamina.layers.preprocessing._data import _batches
from lamina.layers.preprocessing.category_encoding import _encode
from lamina.layers.preprocessing.index_lookup import validate_string_arg
from lamina.layers.preprocessing.string_lookup import StringLookup, strings_of
from lamina.serialization import deserialize_keras_object, serialize_keras_object

# Keras's punctuation (TensorFlow's regex, the same in Python's re)
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class TextVectorization(Layer):
    """Turns strings into sequences of token indices, or into one vector per string.

    Each string is standardized (lowercased, punctuation removed), split into tokens
    (words), optionally turned into n-grams, then looked up in a vocabulary learnt by
    ``adapt(texts)`` (most frequent first) or given. Index 0 is padding (''), 1 is
    out-of-vocabulary ('[UNK]').

    Args:
        max_tokens: largest vocabulary size, padding and OOV included.
        standardize: 'lower_and_strip_punctuation' (default), 'lower', 'strip_punctuation',
            None, or a function of a NumPy array of strings. Lowercasing is ASCII only, as
            TensorFlow's ``strings.lower`` that Keras uses.
        split: 'whitespace' (default), 'character', None (each string is one token), or a
            function of a NumPy array of strings returning one list of tokens per string.
        ngrams: None, an int n (all 1..n-grams) or a tuple of sizes, e.g. (2,).
        output_mode: 'int' (index sequences), 'multi_hot', 'count', 'tf_idf' or 'one_hot'.
        output_sequence_length: 'int' mode: pad or cut every sequence to this length
            (default: the longest in the batch).
        pad_to_max_tokens: encoded modes: make the vectors ``max_tokens`` wide.
        vocabulary: list or text file of tokens (instead of ``adapt``).
        idf_weights: 'tf_idf' with a given vocabulary: the inverse document frequencies.
        sparse, ragged: must be False (lamina has no sparse or ragged tensors).
        encoding: text encoding of byte strings.

    Example:

    >>> layer = TextVectorization(max_tokens=10, output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog sat on the cat!"])
    >>> layer(["the cat", "a dog"])   # [[2, 3, 0, 0], [1, 5, 0, 0]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if sparse:
            raise ValueError("`sparse=True` is not supported: lamina has no sparse tensors.")
        if ragged:
            raise ValueError("`ragged=True` is not supported: lamina has no ragged tensors; "
                             "sequences are padded with 0.")
        validate_string_arg(standardize, ("lower_and_strip_punctuation", "lower",
                                          "strip_punctuation"), "TextVectorization",
                            "standardize", allow_none=True, allow_callables=True)
        validate_string_arg(split, ("whitespace", "character"), "TextVectorization", "split",
                            allow_none=True, allow_callables=True)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        validate_string_arg(output_mode, ("int", "one_hot", "multi_hot", "count", "tf_idf"),
                            "TextVectorization", "output_mode")
        if not (ngrams is None or isinstance(ngrams, int) or isinstance(ngrams, tuple) and all(
                isinstance(item, int) for item in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (isinstance(output_sequence_length, int)
                                         or output_sequence_length is None):
            raise ValueError("`output_sequence_length` must be either None or an integer when "
                             f"`output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not "
                             f"'int'. Received output_sequence_length={output_sequence_length}.")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize, self._split = standardize, split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, has_input_vocabulary=has_input_vocabulary,
            vocabulary_size=vocabulary_size, name=f"{self.name}_lookup")
        self.built = True

    # --- text to tokens ---
    def _standardized(self, strings):
        if callable(self._standardize):
            return strings_of(self, np.asarray(self._standardize(strings)), self._encoding)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: s.translate(_ASCII_LOWER), otypes=[str])(strings) \
                if strings.size else strings
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: PUNCTUATION.sub("", s), otypes=[str])(strings) \
                if strings.size else strings
        return strings

    def _documents(self, inputs):
        """One list of tokens per string (per row when ``split`` is None)."""
        strings = self._standardized(strings_of(self, inputs, self._encoding))
        if self._split is None:
            docs = [list(row) for row in strings.reshape(len(strings) if strings.ndim else 1, -1)]
        else:
            if strings.ndim > 1:
                if strings.shape[-1] != 1:
                    raise ValueError("When using `TextVectorization` to tokenize strings, the "
                                     "input rank must be 1 or the last shape dimension must be "
                                     f"1. Received: inputs.shape={strings.shape} with "
                                     f"rank={strings.ndim}")
                strings = strings[..., 0]
            strings = strings.reshape(-1)
            if self._split == "whitespace":
                docs = [s.split() for s in strings.tolist()]
            elif self._split == "character":
                docs = [list(s) for s in strings.tolist()]
            else:
                docs = [[str(t) for t in doc] for doc in self._split(strings)]
        if self._ngrams is not None:
            docs = [[" ".join(doc[i:i + n]) for n in self._ngrams
                     for i in range(len(doc) - n + 1)] for doc in docs]
        return docs

    # --- vocabulary ---
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary (and, for 'tf_idf', the document frequencies) from texts.

        Args:
            data: strings as a list, NumPy array, pandas Series, Dataset (of batches),
                PyDataset or iterable of batches.
            batch_size: accepted for Keras compatibility.
            steps: number of batches to read from a Dataset or iterable.
        """
        self.reset_state()
        for batch in _batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        docs = self._documents(data)
        self._lookup_layer.update_state([np.array(doc, dtype=str) for doc in docs])

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with the special tokens ('' and '[UNK]'), position i is index i."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """Size of the vocabulary, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list, array or text file) and, for 'tf_idf', idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --- calling ---
    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (Tensor, KerasTensor)):
            inputs = strings_of(self, inputs, self._encoding)  # stays on the host
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        docs = self._documents(inputs.data)
        lookup = self._lookup_layer
        width = max((len(d) for d in docs), default=0)
        if self._output_mode == "int" and self._output_sequence_length is not None:
            width = self._output_sequence_length
        tokens = np.full((len(docs), width), "", dtype=object)
        for i, doc in enumerate(docs):
            tokens[i, :min(len(doc), width)] = doc[:width]
        index = lookup._lookup(tokens.astype(str)) if tokens.size else np.zeros(
            tokens.shape, np.int64)
        scalar = np.ndim(inputs.data) == 0  # one string (e.g. in Dataset.map): no batch axis
        if self._output_mode == "int":
            if self._split is None and np.ndim(inputs.data) == 1 and \
                    self._output_sequence_length is None:
                index = index[:, 0]
            return Tensor._wrap(backend.to_device(index[0] if scalar else index))
        if lookup._frozen_vocab_size is None and not lookup.pad_to_max_tokens:
            return lookup.call(Tensor._wrap(tokens.astype(str)))  # raises Keras's error
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        index = np.where(tokens == "", -1, index)  # padding is no token
        if self._output_mode == "one_hot":
            out = _encode(index, "one_hot", depth, backend.floatx())
            out = out[:, 0] if out.shape[1] == 1 else out
        else:
            mode = "count" if self._output_mode == "tf_idf" else self._output_mode
            out = _encode(index, mode, depth, backend.floatx())
            if self._output_mode == "tf_idf":
                out = out * lookup.idf_weights[:depth]
        return Tensor._wrap(backend.to_device(out[0] if scalar else out))

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        return (input_shape[0], depth)

    def get_config(self):
        lookup = self._lookup_layer
        vocabulary = None if lookup._tokens is None else self.get_vocabulary(False)
        idf = lookup._input_idf_weights

        def maybe_serialize(value):
            return serialize_keras_object(value) if callable(value) else value
        return {**super().get_config(), "max_tokens": lookup.max_tokens,
                "standardize": maybe_serialize(self._standardize),
                "split": maybe_serialize(self._split), "ngrams": self._ngrams_arg,
                "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": False,
                "ragged": False, "vocabulary": vocabulary,
                "idf_weights": None if idf is None else np.asarray(idf).tolist(),
                "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size() if vocabulary else None}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
