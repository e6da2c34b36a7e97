"""Normalization: shifts and scales features to mean 0 and variance 1."""
import numpy as np

from lamina import backend, ops
from lamina.autograd import Tensor
from lamina.data.dataset import Dataset, TensorSpec
from lamina.layers.base import Layer
from lamina.layers.preprocessing._data import _batches

EPSILON = 1e-7  # keras.backend.epsilon()


def _floored_std(xp, variance, dtype):
    # NOTE: the standard deviation is floored at epsilon, so a constant feature maps to 0
    # instead of dividing by zero (as Keras does).
    return xp.maximum(xp.sqrt(xp.asarray(variance, dtype=dtype)), EPSILON)


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and standard deviation 1, per feature.

    Computes ``(inputs - mean) / sqrt(variance)`` with a mean and variance given to
    the constructor or learnt by ``adapt(data)``.

    Args:
        axis: axis (or axes) with a separate mean and variance per index; -1 (the
            default) means one per feature; None one for all values.
        mean, variance: fixed values (both or neither); otherwise call ``adapt``.
        invert: apply the inverse, turning normalised values back into original ones.

    Example:

    >>> layer = Normalization()
    >>> layer.adapt(np.array([[0., 7.], [2., 9.]]))
    >>> layer(np.array([[0., 7.]]))   # [[-1., -1.]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.supports_masking = True
        if (mean is not None) != (variance is not None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be "
                             f"set. Received: mean={mean} and variance={variance}")
        if mean is not None and np.shape(mean) != np.shape(variance):
            raise ValueError("When setting values directly, `mean` and `variance` must have the "
                             f"same shape. Received: mean shape {np.shape(mean)} and variance "
                             f"shape {np.shape(variance)}")
        self._build_input_shape = None
        self.mean = self.variance = None  # arrays in the broadcast shape, set by build/adapt

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = tuple(sorted(d % ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. "
                                 f"Received axis={self.axis}, inputs.shape={tuple(input_shape)}, "
                                 f"with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        xp = backend.xp()
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", dtype="int64", trainable=False)
            self.built = True
            self.finalize_state()
        else:
            self.mean = xp.broadcast_to(xp.asarray(self.input_mean, dtype=self.dtype),
                                        self._broadcast_shape)
            self.variance = xp.broadcast_to(xp.asarray(self.input_variance, dtype=self.dtype),
                                            self._broadcast_shape)
            self.built = True

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of ``data`` and stores them in the layer.

        Args:
            data: a NumPy array, Tensor or pandas object, or a Dataset, PyDataset or
                iterable of batches (the x of (x, y) batches is used). A Dataset of
                single samples is batched by 128 first, as Keras does.
            batch_size: accepted for Keras 2 compatibility.
            steps: number of batches to read from a Dataset or iterable.
        """
        if isinstance(data, Dataset):
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            if isinstance(spec, TensorSpec) and (len(spec.shape) == 0 or (
                    len(spec.shape) == 1 and spec.shape[0] is not None)):
                data = data.batch(128)  # single samples, not batches: batch them as Keras does
        total_mean = total_var = None
        total_count = 0
        for batch in _batches(data, steps, list_is_data=False):
            batch = batch.astype(np.float64)
            if not self.built:
                self.build(batch.shape)
            for d in self._keep_axis:
                if batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(f"The layer was built with input_shape="
                                     f"{self._build_input_shape}, but adapt() is being called "
                                     f"with data with an incompatible shape, data.shape="
                                     f"{batch.shape}")
            batch_mean = batch.mean(axis=self._reduce_axis)
            batch_var = batch.var(axis=self._reduce_axis)
            count = int(np.prod([batch.shape[d] for d in self._reduce_axis]))
            if total_mean is None:
                total_mean, total_var, total_count = batch_mean, batch_var, count
                continue
            # NOTE: merges running and batch statistics exactly (parallel variance formula),
            # so adapting on batches gives the same result as on all the data at once.
            total_count += count
            w = count / total_count
            new_mean = total_mean * (1 - w) + batch_mean * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (batch_var + (batch_mean - new_mean) ** 2) * w)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError("adapt() received no data (an empty dataset or iterable).")
        if self.input_mean is not None:
            raise ValueError("Cannot adapt a Normalization layer created with fixed `mean` and "
                             "`variance`.")
        self.adapt_mean.assign(total_mean)
        self.adapt_variance.assign(total_var)
        self.count.assign(total_count)
        self.finalize_state()

    def finalize_state(self):
        """Makes the broadcastable mean and variance from the stored weights."""
        if self.input_mean is not None or not self.built:
            return
        self.mean = self.adapt_mean.data.reshape(self._broadcast_shape)
        self.variance = self.adapt_variance.data.reshape(self._broadcast_shape)

    def call(self, inputs):
        x = inputs
        if x.dtype != self.dtype and not x.requires_grad:
            x = Tensor._wrap(x.data.astype(self.dtype))
        xp = backend.get_array_module(x.data)
        mean = xp.asarray(self.mean, dtype=x.dtype)
        # an op, so a compiled step recomputes it when adapt() writes new statistics
        std = ops.detached(_floored_std, self.variance, dtype=x.dtype)
        if self.invert:
            return ops.add(ops.multiply(x, std), mean)
        return ops.divide(ops.subtract(x, mean), std)

    def get_config(self):
        def listify(value):
            return None if value is None else np.asarray(value).tolist()
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": listify(self.input_mean), "variance": listify(self.input_variance)}
