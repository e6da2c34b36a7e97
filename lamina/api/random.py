"""keras.random: random tensors, reproducible with ``keras.utils.set_random_seed``.

``seed`` works as in Keras: None draws from lamina's global generator (seeded by
``set_random_seed``); an int gives the same numbers on every call; a ``SeedGenerator``
gives new numbers on each call, in a sequence fixed by its seed.
"""
import numbers

import numpy as np

from lamina import backend, ops
from lamina.api import numpy as knp
from lamina.api._util import data, wrap
from lamina.api.core import convert_to_tensor, standardize_dtype
from lamina.autograd import Function, Variable
from lamina.naming import unique_name


class SeedGenerator:
    """A random-number stream with its own state, for layers that draw numbers each call.

    Args:
        seed: int; default one drawn from the global generator (so ``set_random_seed``
            makes it repeat).
        name: optional name.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = int(backend.rng(np).integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self.state = Variable(np.array([seed, 0], dtype="int64"), trainable=False,
                              name="seed_generator_state")

    def next(self, ordered=True):
        """Returns a generator for the next draw and advances the state."""
        # NOTE: advanced in place, not with assign(): a draw runs inside an op (``_Draw``),
        # and a compiled step replays that op, moving the state on at every step as eager does
        state = self.state.data
        seed, counter = int(state[0]), int(state[1])
        state[1] = counter + 1
        return backend.xp().random.default_rng([seed, counter])

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Draw(Function):
    """Random numbers as an op with no inputs: ``kind`` drawn with ``seed`` at each
    ``forward``, then ``z * scale + low`` (arrays) when given. A compiled step
    (``lamina.compile``) replays the op, so it draws fresh numbers at every step, as eager
    does; the numbers are those of the plain draw."""

    def __init__(self, kind, shape, dtype, seed, low=None, scale=None, bounds=None):
        self.kind, self.shape, self.dtype, self.seed = kind, shape, dtype, seed
        self.low, self.scale, self.bounds = low, scale, bounds

    def forward(self):
        rng = _rng(self.seed)
        if self.kind == "normal":
            z = rng.standard_normal(self.shape)
        elif self.kind == "uniform":
            z = rng.random(self.shape)
        elif self.kind == "truncated_normal":
            z = rng.standard_normal(self.shape)
            outside = np.abs(backend.to_numpy(z)) > 2
            while outside.any():
                z[outside] = rng.standard_normal(int(outside.sum()))
                outside = np.abs(backend.to_numpy(z)) > 2
        else:   # randint
            z = rng.integers(self.bounds[0], self.bounds[1], self.shape)
        z = backend.to_device(z).astype(self.dtype)
        if self.scale is None:
            return z
        return z * self.scale.astype(z.dtype) + self.low.astype(z.dtype)

    def backward(self):
        return ()


def _draw(kind, shape, dtype, seed, low=0.0, scale=1.0):
    """``kind`` numbers of ``shape``, times ``scale`` plus ``low``: inside the op when both
    are constants, else the standard draw then ops (so gradients reach them)."""
    _check_seed(seed)
    shape, dtype = _shape(shape), standardize_dtype(dtype)
    if _tracked(low) or _tracked(scale):   # reparameterization: gradients reach them
        return _Draw(kind, shape, dtype, seed)() * scale + low
    return _Draw(kind, shape, dtype, seed, data(low), data(scale))()


def _tracked(x):
    return isinstance(x, Variable) or getattr(x, "requires_grad", False)


def _check_seed(seed):
    if seed is None or isinstance(seed, SeedGenerator):
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError("Argument `seed` must be None, an integer or a SeedGenerator. "
                         f"Received: seed={seed!r}")


def _rng(seed):
    _check_seed(seed)
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    return backend.xp().random.default_rng(int(seed))


def _float_dtype(dtype, name):
    dtype = standardize_dtype(dtype) or backend.floatx()
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"keras.random.{name} expects a float dtype, got dtype={dtype!r}.")
    return dtype


def _shape(shape):
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(n) for n in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution.

    Args:
        shape: output shape.
        mean, stddev: the distribution's mean and standard deviation (numbers or tensors
            broadcasting to ``shape``).
        dtype: float dtype, default floatx.
        seed: None, an int, or a SeedGenerator.

    Returns:
        A Tensor of ``shape``.
    """
    return _draw("normal", shape, _float_dtype(dtype, "normal"), seed, mean, stddev)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from a uniform distribution on [minval, maxval).

    Args:
        shape: output shape.
        minval, maxval: the bounds.
        dtype: float dtype, default floatx (use ``randint`` for integers).
        seed: None, an int, or a SeedGenerator.
    """
    dtype = standardize_dtype(dtype) or backend.floatx()
    if np.dtype(dtype).kind != "f":
        raise ValueError("`keras.random.uniform` requires a floating point `dtype`. Use "
                         f"`keras.random.randint` for integers. Received: dtype={dtype}")
    return _draw("uniform", shape, dtype, seed, minval, knp.subtract(maxval, minval))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from a normal distribution, redrawing values more than two stddevs from the mean."""
    return _draw("truncated_normal", shape, _float_dtype(dtype, "truncated_normal"), seed,
                 mean, stddev)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from [minval, maxval)."""
    dtype = standardize_dtype(dtype)
    if np.dtype(dtype).kind not in "iu":
        raise ValueError(f"keras.random.randint expects an integer dtype, got dtype={dtype!r}.")
    _check_seed(seed)
    return _Draw("randint", _shape(shape), dtype, seed, bounds=(int(minval), int(maxval)))()


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes a fraction ``rate`` of ``inputs`` and scales the rest by 1 / (1 - rate)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}.")
    return ops.dropout(convert_to_tensor(inputs), rate, noise_shape, _rng(seed))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order (gradients follow them)."""
    x = convert_to_tensor(x)
    order = backend.to_numpy(backend.permutation(_rng(seed), x.shape[axis]))
    return knp.take(x, order, axis)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws ``num_samples`` class indices per row from the softmax of ``logits``.

    Args:
        logits: (batch, classes) unnormalized log-probabilities.
        num_samples: draws per row.

    Returns:
        (batch, num_samples) integer Tensor.
    """
    z = data(logits).astype(np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical expects logits of shape (batch, classes), got {z.shape}.")
    gumbel = -np.log(-np.log(_rng(seed).random((z.shape[0], num_samples, z.shape[1]))))
    return wrap((z[:, None, :] + gumbel).argmax(-1), dtype)


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from a gamma distribution with concentration ``alpha`` and scale 1."""
    dtype = _float_dtype(dtype, "gamma")
    return wrap(_rng(seed).gamma(data(alpha), size=_shape(shape)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Draws from a binomial distribution (as floats, like Keras)."""
    dtype = _float_dtype(dtype, "binomial")
    return wrap(_rng(seed).binomial(data(counts), data(probabilities), size=_shape(shape)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from a beta distribution."""
    dtype = _float_dtype(dtype, "beta")
    return wrap(_rng(seed).beta(data(alpha), data(beta), size=_shape(shape)), dtype)


__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "dropout",
           "shuffle", "categorical", "gamma", "binomial", "beta"]
