"""CategoryEncoding: integer categories as one-hot, multi-hot or count vectors."""
import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.layers.base import Layer
from lamina.layers.preprocessing._data import _host


def _encode(indices, output_mode, depth, dtype, count_weights=None):
    """One-hot, multi-hot or count encoding of integer ``indices`` (-1: nothing).

    one_hot encodes every value (a last axis of size 1 is replaced); multi_hot and
    count treat the last axis as one sample's values.
    """
    xp = backend.get_array_module(indices)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == xp.arange(depth)).astype(dtype)
    if indices.ndim > 2:
        raise ValueError(f"When output_mode is '{output_mode}', the rank must be 2 or less. "
                         f"Received input shape: {tuple(indices.shape)}")
    hits = indices[..., None] == xp.arange(depth)  # (..., values, depth)
    if output_mode == "multi_hot":
        return hits.any(axis=-2).astype(dtype)
    if count_weights is not None:
        return (hits * xp.asarray(count_weights, dtype=dtype)[..., None]).sum(axis=-2).astype(dtype)
    return hits.sum(axis=-2).astype(dtype)


class CategoryEncoding(Layer):
    """Encodes integer category indices as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: number of categories; inputs must be in ``[0, num_tokens)``.
        output_mode: 'one_hot' (each value gets a vector), 'multi_hot' (each sample,
            the last axis, gets one vector with a 1 for every value present) or
            'count' (the same with how many times each value appears). Default 'multi_hot'.
        sparse: must be False (lamina has no sparse tensors).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode!r}; expected 'one_hot', "
                             "'multi_hot' or 'count'.")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens "
                             "is not known beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding(sparse=True) is not supported: lamina has no "
                             "sparse tensors. Use sparse=False.")
        self.num_tokens, self.output_mode, self.sparse = num_tokens, output_mode, sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. "
                             f"Received `count_weights={count_weights}`.")
        data = inputs.data
        xp = backend.get_array_module(data)
        if data.dtype.kind == "f":
            if not bool(xp.all(data == xp.round(data))):
                raise ValueError(f"CategoryEncoding expects integer inputs, got {data.dtype} "
                                 "values with fractions.")
        elif data.dtype.kind not in "iub":
            raise ValueError(f"CategoryEncoding expects integer inputs, got dtype {data.dtype}.")
        data = data.astype(np.int64)
        if data.size and (int(data.min()) < 0 or int(data.max()) >= self.num_tokens):
            bad = int(data.min()) if int(data.min()) < 0 else int(data.max())
            raise ValueError(f"Input values must be in the range 0 <= values < num_tokens with "
                             f"num_tokens={self.num_tokens}; received {bad}.")
        if count_weights is not None:
            count_weights = _host(count_weights)
        return Tensor._wrap(_encode(data, self.output_mode, self.num_tokens, self.dtype,
                                    count_weights))

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}
