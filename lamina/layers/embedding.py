"""Embedding: turns integer indices into dense vectors."""
import numpy as np

from lamina import backend, constraints, initializers, regularizers
from lamina.layers.base import Layer
from lamina.ops import recurrent as recurrent_ops


class Embedding(Layer):
    """Looks up a trainable vector for every integer index: ``embeddings[inputs]``.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        embeddings_initializer: initializer of the table, default 'uniform' (+-0.05).
        embeddings_regularizer: penalty on the table.
        embeddings_constraint: function applied to the table after each update.
        mask_zero: treat index 0 as padding: the output carries a mask (inputs != 0) that
            recurrent layers use to skip those steps. Index 0 then means padding only.
        weights: optional initial table, (input_dim, output_dim).
        input_length: Keras 2 argument: the sequence length, used as the input shape.
        activity_regularizer: penalty on the output.

    Input: integers (batch, ...) (floats are cast). Output: (batch, ..., output_dim).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, input_length=None, activity_regularizer=None, **kwargs):
        if kwargs.get("quantization_config") is None:
            kwargs.pop("quantization_config", None)  # Keras 3 writes None; lamina has none
        if input_length is not None and not {"input_shape", "batch_input_shape"} & set(kwargs):
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                                 f"positive integer. Received: {name}={value!r}")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        if weights is not None:
            self.build(None)
            self.set_weights(weights if isinstance(weights, (list, tuple)) else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint)
        self.built = True

    def _indices(self, inputs):
        idx = inputs.data
        if idx.dtype.kind not in "iu":
            idx = idx.astype(backend.get_array_module(idx).int64)
        return idx

    def call(self, inputs):
        y = recurrent_ops.embedding(self.embeddings, self._indices(inputs), self.name)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(y))
        return y

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return self._indices(inputs) != 0

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "mask_zero": self.mask_zero}
