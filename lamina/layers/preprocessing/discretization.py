"""Discretization: numbers to the index of the bin (range) they fall in."""
import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.layers.base import Layer
from lamina.layers.preprocessing._data import _batches, _host
from lamina.layers.preprocessing.category_encoding import _encode
from lamina.layers.preprocessing.index_lookup import validate_string_arg


class Discretization(Layer):
    """Buckets numbers by ranges: with boundaries [0., 1., 2.] the bins are x < 0,
    0 <= x < 1, 1 <= x < 2 and x >= 2 (indices 0-3).

    Args:
        bin_boundaries: sorted boundaries; or None and ``num_bins`` with ``adapt``.
        num_bins: number of bins that ``adapt(data)`` makes, of about equal counts
            (approximate quantiles, Keras's algorithm).
        epsilon: error tolerance of the quantiles (about 1/epsilon summary points).
        output_mode: 'int' (the bin index), 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False.

    Example:

    >>> Discretization(bin_boundaries=[0., 1., 2.])([[-1.5, 1.0, 3.4, .5]])   # [[0, 2, 3, 1]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("Discretization(sparse=True) is not supported: lamina has no "
                             "sparse tensors. Use sparse=False.")
        validate_string_arg(output_mode, ("int", "one_hot", "multi_hot", "count"),
                            "Discretization", "output_mode")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon = num_bins, epsilon
        self.output_mode, self.sparse = output_mode, sparse
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    def adapt(self, data, steps=None):
        """Computes ``num_bins`` bins of about equal counts from ``data``.

        Args:
            data: numbers as an array, a list of batches, a Dataset or an iterable.
            steps: number of batches to read from a Dataset or iterable.
        """
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        self.reset_state()
        for batch in _batches(data, steps, list_is_data=False):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = np.asarray(_host(data)).astype("float32")
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary,
                                        self.epsilon)

    def finalize_state(self):
        if self.num_bins is not None:
            self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[
                0, :-1].tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can start "
                             "using the `Discretization` layer.")
        data = inputs.data
        if data.dtype.kind not in "iuf":
            raise TypeError(f"Discretization layer '{self.name}' expects numbers, but received "
                            f"{data.dtype} values.")
        xp = backend.get_array_module(data)
        index = xp.digitize(data, xp.asarray(self.bin_boundaries, dtype=data.dtype))
        if self.output_mode == "int":
            return Tensor._wrap(index.astype("int32"))
        depth = len(self.bin_boundaries) + 1
        return Tensor._wrap(_encode(index, self.output_mode, depth, backend.floatx()))

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")  # an adapted layer: keep its boundaries
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


# Keras's approximate quantiles: a summary is 2 rows, values and the weight (count) each
# stands for; merging sorts and compresses so a summary stays about 1/epsilon long.
def _summarize(values, epsilon):
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")
