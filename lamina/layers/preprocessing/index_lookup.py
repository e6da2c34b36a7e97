"""IndexLookup: what StringLookup and IntegerLookup share (Keras's index_lookup.py).

A vocabulary of tokens (strings or integers) maps each token to an index: first the mask
index (when there is a ``mask_token``, in 'int' mode), then ``num_oov_indices`` indices
for out-of-vocabulary tokens, then the vocabulary, most frequent first after ``adapt``.
"""
import collections

import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.layers import base
from lamina.layers.base import KerasTensor, Layer
from lamina.layers.preprocessing._data import _batches, _host
from lamina.layers.preprocessing._hash import hash_buckets
from lamina.layers.preprocessing.category_encoding import _encode
from lamina.serialization import serialization_lib

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def validate_string_arg(value, allowable_strings, caller_name, arg_name, allow_none=False,
                        allow_callables=False):
    """Keras's check of an argument that takes one of a few strings."""
    if (allow_none and value is None) or (allow_callables and callable(value)) or (
            isinstance(value, str) and value in allowable_strings):
        return
    raise ValueError(f"Unknown value for `{arg_name}` argument of {caller_name}. Allowed values "
                     f"are: {allowable_strings}. Received: {arg_name}={value}")


class _IndexLookup(Layer):
    """Maps tokens to indices (or back, with ``invert``), or to encoded vectors.

    Args: as ``StringLookup`` and ``IntegerLookup`` document.
    """
    kind = "token"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, **kwargs):
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(**kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        validate_string_arg(oov_method, ("floormod", "farmhash"), type(self).__name__,
                            "oov_method")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(f"The `salt` argument for `{type(self).__name__}` can only be a "
                                 f"tuple of 2 integers, or a single integer. Received: "
                                 f"salt={salt}.")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        validate_string_arg(output_mode, OUTPUT_MODES, type(self).__name__, "output_mode")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{type(self).__name__}(sparse=True) is not supported: lamina has "
                             "no sparse tensors. Use sparse=False.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output mode, "
                             "the `idf_weights` argument must also be provided.")
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode, self.sparse = invert, output_mode, sparse
        self.pad_to_max_tokens, self.oov_method, self.salt = pad_to_max_tokens, oov_method, salt
        self._frozen_vocab_size = frozen_size
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = None  # the vocabulary without special tokens, a NumPy array
        self.idf_weights = None  # tf_idf: one weight per index, special indices included
        self._input_idf_weights = None
        self._called = False  # encoded modes: the vocabulary size is fixed once called
        self.reset_state()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # --- tokens: the subclasses say what a token is ---
    def _tokens_of(self, data):
        """A NumPy array of tokens from ``data``; raises if they are of the wrong kind."""
        raise NotImplementedError

    def _read_vocabulary_file(self, path):
        raise NotImplementedError

    # --- vocabulary ---
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _special_tokens(self):
        return ([self.mask_token] * self._oov_start_index()
                + [self.oov_token] * self.num_oov_indices)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for 'tf_idf', the idf weights): a list or array, or a
        text file path with one token per line. It may start with the special tokens (mask,
        then OOV), in that order."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode} and "
                             f"idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            if serialization_lib.in_safe_mode():
                raise ValueError(
                    "Requested the loading of a vocabulary file outside of the model archive. "
                    "This carries a potential risk of loading arbitrary and sensitive files "
                    "and thus it is disallowed by default. If you trust the source of the "
                    "artifact, you can override this error by passing `safe_mode=False` to the "
                    f"loading function. Vocabulary file: '{vocabulary}'")
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary "
                                 "from file.")
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = self._tokens_of(vocabulary).reshape(-1)
        if tokens.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        start = self._token_start_index()
        special = self._special_tokens()
        found_special = tokens[:start].tolist() == special
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, c in collections.Counter(tokens.tolist()).items() if c > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {repeated}")
        for name, token in (("mask_token", self.mask_token),
                            ("oov_token", self.oov_token if self.invert else None)):
            if token is not None and token in tokens.tolist():
                raise ValueError(
                    f"Found reserved {'mask' if name == 'mask_token' else 'OOV'} token at "
                    "unexpected location in `vocabulary`. Note that passed `vocabulary` does not "
                    "need to include the OOV and mask tokens. Either remove all mask and OOV "
                    "tokens, or include them only at the start of the vocabulary in precisely "
                    f"this order: {special}. Received: {name}={token}")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. "
                             f"Received vocabulary size is {start + len(tokens)}; `max_tokens` "
                             f"is {self.max_tokens}.")
        self._set_tokens(tokens)
        if idf_weights is not None:
            idf_weights = _host(idf_weights).astype(np.float64)
            if len(idf_weights) != len(tokens) + (start if found_special else 0):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) is "
                                 f"{len(tokens) + (start if found_special else 0)}")
            if idf_weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: "
                                 f"idf_weights with shape {idf_weights.shape}")
            self._input_idf_weights = idf_weights[start:] if found_special else idf_weights
            front = [] if found_special else [idf_weights.mean()] * start
            self._set_idf(np.concatenate([front, idf_weights]))

    def _set_tokens(self, tokens):
        self._tokens = np.asarray(tokens)
        self._order = np.argsort(self._tokens, kind="stable")
        self._sorted = self._tokens[self._order]
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            new_size = self.vocabulary_size()
            if self._frozen_vocab_size is not None and self._frozen_vocab_size != new_size \
                    and self._called:
                raise RuntimeError(
                    f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                    "the vocabulary size cannot be changed after the layer is called. Old vocab "
                    f"size is {self._frozen_vocab_size}, new vocab size is {new_size}")
        self._frozen_vocab_size = self.vocabulary_size()

    def _set_idf(self, weights):
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.concatenate([weights, np.zeros(self.max_tokens - len(weights))])
        self.idf_weights = weights.astype(backend.floatx())

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary as a list; with the special tokens, position i is index i."""
        tokens = [] if self._tokens is None else self._tokens.tolist()
        return self._special_tokens() + tokens if include_special_tokens else tokens

    def vocabulary_size(self):
        """Size of the vocabulary, the OOV and mask indices included."""
        return self._token_start_index() + (0 if self._tokens is None else len(self._tokens))

    # --- adapt ---
    def reset_state(self):
        """Forgets the counts gathered by ``update_state`` (not the vocabulary)."""
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    def update_state(self, documents):
        """Counts the tokens of ``documents``: an array (one document per row) or a list of
        token arrays (one per document)."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` method.")
        if isinstance(documents, np.ndarray) and documents.dtype != object:
            documents = documents.reshape(1, -1) if documents.ndim <= 1 else documents
            documents = list(documents.reshape(len(documents), -1))
        for doc in documents:
            tokens, counts = np.unique(np.asarray(doc), return_counts=True)
            self._token_counts.update(dict(zip(tokens.tolist(), counts.tolist())))
            if self.output_mode == "tf_idf":
                self._document_counts.update(tokens.tolist())
        self._num_documents += len(documents)

    def finalize_state(self):
        """Makes the vocabulary (and idf weights) from the counts: most frequent first, ties
        in reverse sort order, as Keras."""
        if self._has_input_vocabulary or not self._token_counts:
            return
        for special in (self.mask_token, self.oov_token):
            self._token_counts.pop(special, None)
        tokens = self._tokens_of(list(self._token_counts))
        counts = np.array([self._token_counts[t] for t in tokens.tolist()])
        # NOTE: Keras's order: by count, ties by the token, both descending.
        order = np.lexsort((tokens, counts))[::-1]
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens[order])
        if self.output_mode == "tf_idf":
            docs = np.array([self._document_counts[t] for t in self._tokens.tolist()], float)
            idf = np.log(1 + self._num_documents / (1 + docs))
            self._input_idf_weights = idf
            self._set_idf(np.concatenate([[idf.mean()] * self._token_start_index(), idf]))
        self.reset_state()

    def adapt(self, data, steps=None):
        """Learns the vocabulary from ``data``: every distinct token, most frequent first.

        Args:
            data: tokens as a list, NumPy array, pandas Series, Dataset (of batches),
                PyDataset or iterable of batches. A 1-D array holds one token per document
                (what 'tf_idf' counts).
            steps: number of batches to read from a Dataset or iterable.
        """
        self.reset_state()
        seen = False
        for batch in _batches(data, steps):
            batch = self._tokens_of(batch)
            self.update_state(batch.reshape(-1, 1) if batch.ndim <= 1 else batch)
            seen = True
        if not seen or not self._token_counts:
            raise ValueError(f"adapt() received no {self.kind}s.")
        self.finalize_state()

    # --- calling ---
    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (Tensor, KerasTensor)):
            inputs = self._host_inputs(inputs)  # stays a host array, even on the GPU
        return super().__call__(inputs, *args, **kwargs)

    def _host_inputs(self, inputs):
        return _host(inputs) if self.invert else self._tokens_of(inputs)

    def _lookup(self, tokens):
        """Indices of ``tokens``; -1 for the mask in encoded modes."""
        if self._tokens is None and base._probe.active:  # a symbolic call before adapt()
            return np.zeros(tokens.shape, np.int64)
        if self._tokens is None:
            raise RuntimeError(f"{type(self).__name__} layer '{self.name}' has no vocabulary: "
                               "pass `vocabulary=` or call `adapt(data)` before using it.")
        flat = tokens.reshape(-1)
        pos = np.minimum(np.searchsorted(self._sorted, flat), len(self._sorted) - 1)
        found = self._sorted[pos] == flat
        index = np.where(found, self._order[pos] + self._token_start_index(), 0).astype(np.int64)
        oov = ~found
        if self.mask_token is not None:
            masked = flat == self.mask_token
            oov &= ~masked
            index[masked] = 0 if self.output_mode == "int" else -1
        if oov.any():
            if self.num_oov_indices == 0:
                raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, "
                                 f"found OOV values {sorted(set(flat[oov].tolist()))[:10]}, "
                                 "consider setting `num_oov_indices=1`.")
            index[oov] = self._oov_start_index() + self._oov_buckets(flat[oov])
        return index.reshape(tokens.shape)

    def _oov_buckets(self, tokens):
        """Which OOV index (0 .. num_oov_indices-1) each out-of-vocabulary token gets."""
        if self.num_oov_indices == 1:
            return 0
        if tokens.dtype.kind in "iu" and self.oov_method != "farmhash":
            return np.mod(tokens, self.num_oov_indices)
        return hash_buckets(tokens.astype(str), self.num_oov_indices, self.salt)

    def call(self, inputs):
        data = backend.to_numpy(inputs.data)
        if self.invert:
            return Tensor._wrap(self._invert(data))
        index = self._lookup(self._tokens_of(data))
        if self.output_mode == "int":
            return Tensor._wrap(backend.to_device(index))
        if self._frozen_vocab_size is None and not self.pad_to_max_tokens:
            if base._probe.active:
                return Tensor._wrap(backend.xp().zeros(index.shape + (1,), backend.floatx()))
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, you must set the layer's vocabulary "
                               "before calling it. Either pass a `vocabulary` argument to the "
                               "layer, or call `adapt` with some sample data.")
        self._called = True
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = _encode(index, mode, depth, backend.floatx())
        if self.output_mode == "tf_idf":
            out = out * self.idf_weights[:depth]
        return Tensor._wrap(backend.to_device(out))

    def _invert(self, data):
        """Tokens of the indices in ``data`` (unknown indices: the OOV token)."""
        if data.dtype.kind not in "iu" and not (data.dtype.kind == "f" and np.all(
                data == np.round(data))):
            raise TypeError(f"{type(self).__name__}(invert=True) expects integer indices, got "
                            f"{data.dtype} values.")
        vocab = np.array(self.get_vocabulary())
        index = data.astype(np.int64)
        valid = (index >= 0) & (index < len(vocab))
        return np.where(valid, vocab[np.clip(index, 0, len(vocab) - 1)], self.oov_token)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot" and not (len(input_shape) > 1 and input_shape[-1] == 1):
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    def get_config(self):
        # NOTE: Keras keeps an adapted vocabulary in the file's assets; lamina writes it into
        # the config (and the idf weights next to it), which Keras reads as a given vocabulary.
        vocabulary = None if self._tokens is None else self.get_vocabulary(False)
        idf = self._input_idf_weights
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": vocabulary,
                "idf_weights": None if idf is None else np.asarray(idf).tolist(),
                "vocabulary_size": self._frozen_vocab_size if self._tokens is not None else None,
                "oov_method": self.oov_method, "salt": self.salt}
