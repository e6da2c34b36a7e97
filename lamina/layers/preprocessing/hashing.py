"""Hashing: categories (strings or integers) to one of ``num_bins`` bins by a hash."""
import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.layers.base import KerasTensor, Layer
from lamina.layers.preprocessing._data import _host, _strings
from lamina.layers.preprocessing._hash import hash_buckets
from lamina.layers.preprocessing.category_encoding import _encode


class Hashing(Layer):
    """Hashes each value into one of ``num_bins`` bins, as Keras does (FarmHash
    Fingerprint64, or SipHash-2-4 keyed by ``salt``), so the bins are Keras's bins.

    Integers are hashed as their decimal text, floats are first cast to integers.

    Args:
        num_bins: number of bins (with ``mask_value``, bin 0 is the mask's).
        mask_value: a value that goes to bin 0; the others are hashed into the rest.
        salt: None, an int or two ints: a key for the stronger SipHash.
        output_mode: 'int' (the bin), 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False.

    Example:

    >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]])   # [[1], [0], [1], [1], [2]]
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive "
                             f"values. Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError('When `output_mode="int"`, `dtype` should be an integer type, '
                             f"'int32' or 'in64'. Received: dtype={kwargs['dtype']}")
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of "
                             f"{accepted}. Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("Hashing(sparse=True) is not supported: lamina has no sparse "
                             "tensors. Use sparse=False.")
        self.num_bins, self.mask_value = num_bins, mask_value
        self.output_mode, self.sparse = output_mode, sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 "
                                 f"integers, or a single integer. Received: salt={salt}.")
        self.strong_hash = self.salt is not None

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (Tensor, KerasTensor)):
            inputs = _host(inputs)  # strings stay a host array, even on the GPU
        return super().__call__(inputs, *args, **kwargs)

    def _bins(self, values):
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        if values.dtype.kind in "iub":
            text = values.astype(np.int64).astype(str)
        elif values.dtype.kind in "USO":
            text = _strings(values)
        else:
            raise TypeError(f"Hashing layer '{self.name}' expects strings or numbers, but "
                            f"received {values.dtype} values.")
        out = hash_buckets(text, bins, self.salt)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def call(self, inputs):
        values = backend.to_numpy(inputs.data)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        bins = self._bins(values)
        if self.output_mode == "int":
            return Tensor._wrap(backend.to_device(bins.astype(self.dtype)))
        return Tensor._wrap(backend.to_device(_encode(bins, self.output_mode, self.num_bins,
                                                      self.dtype)))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return tuple(input_shape[:-1]) + (self.num_bins,) if len(input_shape) else (
            self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
