"""Weight initializers, as in ``keras.initializers``.

An initializer is called as ``init(shape, dtype=None)`` and returns an array of the
active backend (NumPy or CuPy), ``floatx`` by default. Random values are drawn on
the CPU with lamina's seeded generator (``lamina.backend.set_seed`` makes runs
repeat, on either backend), or with a private generator when ``seed`` is given:
then, as in Keras 3, every call returns the same values.
"""
import math as _math

import numpy as _np

from lamina import _config
from lamina import backend as _backend
from lamina.autograd import variable as _variable_module
from lamina.serialization import object_registration as _registry

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "compute_fans",
    "zeros", "ones", "constant", "identity", "random_normal", "random_uniform",
    "truncated_normal", "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform",
    "he_normal", "lecun_uniform", "lecun_normal", "orthogonal",
    "get", "serialize", "deserialize",
]

# NOTE: the standard deviation of a standard normal truncated to [-2, 2]; dividing
# by it makes a truncated normal draw have the variance asked for (as Keras does).
_TRUNCATED_STDDEV = 0.87962566103423978


def _dtype(dtype):
    return _np.dtype(_backend.floatx() if dtype is None else dtype)


def _float_dtype(dtype, who):
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"{who} makes float values; got dtype={dtype.name}. "
                         "Expected a float dtype such as 'float32'.")
    return dtype


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(int(n) for n in shape)


def compute_fans(shape, input_axes=None, output_axes=None):
    """Returns ``(fan_in, fan_out)`` of a weight shape.

    A dense kernel ``(in, out)`` has fans ``in`` and ``out``. A convolution kernel
    ``(k1, ..., kn, in, out)`` multiplies both by the receptive field ``k1 * ... * kn``.

    Args:
        shape: the weight's shape.
        input_axes, output_axes: optional lists of axes whose sizes multiply into fan_in and
            fan_out instead (Keras 3.15, for kernels of other layouts); both or neither.

    Returns:
        Two ints.
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return _math.prod(shape[a] for a in input_axes), _math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = _math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype).")

    def get_config(self):
        """Returns the constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates an initializer from the output of ``get_config``."""
        return cls(**config)

    def clone(self):
        """Returns a new initializer with the same config."""
        return self.__class__.from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return _backend.xp().zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return _backend.xp().ones(_shape(shape), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every value equal to ``value``.

    Args:
        value: a scalar (or an array that broadcasts to the shape).
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        value = _np.asarray(self.value, dtype=_dtype(dtype))
        try:
            array = _np.broadcast_to(value, shape)
        except ValueError:
            raise ValueError(f"Constant value of shape {value.shape} does not broadcast to "
                             f"the requested shape {shape}.") from None
        return _backend.to_device(array.copy())

    def get_config(self):
        value = self.value.tolist() if hasattr(self.value, "tolist") else self.value
        return {"value": value}


class Identity(Initializer):
    """The identity matrix (ones on the diagonal) times ``gain``; 2-D shapes only.

    Args:
        gain: factor applied to the matrix.
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, got shape={shape}.")
        dtype = _dtype(dtype)
        return _backend.to_device((self.gain * _np.eye(*shape)).astype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class _RandomInitializer(Initializer):
    """Holds the seed and draws from the matching generator."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, _np.integer)):
            raise ValueError(f"seed must be an integer or None, got seed={seed!r}.")
        self.seed = seed

    def _rng(self):
        # NOTE: a seeded initializer makes a fresh generator per call, so it repeats
        # its values (Keras 3); an unseeded one draws from lamina's global generator.
        if self.seed is None:
            return _backend.rng(_np)
        return _np.random.default_rng(self.seed)

    def _normal(self, shape, dtype, mean, stddev, truncated):
        rng = self._rng()
        work = _np.float64 if dtype == _np.float64 else _np.float32
        z = rng.standard_normal(shape, dtype=work)
        if truncated:
            # values beyond 2 standard deviations are drawn again
            bad = _np.abs(z) > 2
            while bad.any():
                z[bad] = rng.standard_normal(int(bad.sum()), dtype=work)
                bad = _np.abs(z) > 2
        return _backend.to_device((mean + stddev * z).astype(dtype, copy=False))

    def _uniform(self, shape, dtype, minval, maxval):
        work = _np.float64 if dtype == _np.float64 else _np.float32
        u = self._rng().random(shape, dtype=work)
        return _backend.to_device((minval + (maxval - minval) * u).astype(dtype, copy=False))

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Values from a normal distribution.

    Args:
        mean: mean of the values.
        stddev: standard deviation of the values.
        seed: optional int; a seeded initializer returns the same values every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "RandomNormal")
        return self._normal(_shape(shape), dtype, self.mean, self.stddev, truncated=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(_RandomInitializer):
    """Normal values, with any more than two stddevs from the mean drawn again.

    Args:
        mean: mean of the (untruncated) distribution.
        stddev: standard deviation of the (untruncated) distribution.
        seed: optional int; a seeded initializer returns the same values every call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev = mean, stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "TruncatedNormal")
        return self._normal(_shape(shape), dtype, self.mean, self.stddev, truncated=True)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(_RandomInitializer):
    """Values drawn uniformly from ``[minval, maxval)``.

    Args:
        minval: lower bound (inclusive).
        maxval: upper bound (exclusive).
        seed: optional int; a seeded initializer returns the same values every call.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval = minval, maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "RandomUniform")
        return self._uniform(_shape(shape), dtype, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(_RandomInitializer):
    """Random values whose variance is ``scale / n``, n set by the weight's fans.

    ``n`` is fan_in, fan_out or their average (``mode``). 'truncated_normal' draws a
    normal truncated at two stddevs, rescaled so the variance is still ``scale / n``;
    'untruncated_normal' a plain normal; 'uniform' draws from
    ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: positive scaling factor.
        mode: 'fan_in', 'fan_out' or 'fan_avg'.
        distribution: 'truncated_normal' (or 'normal'), 'untruncated_normal' or 'uniform'.
        seed: optional int; a seeded initializer returns the same values every call.
        input_axes, output_axes: optional lists of the weight's axes that count as inputs
            and outputs for the fans (see ``compute_fans``).
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if not scale > 0:
            raise ValueError(f"VarianceScaling scale must be a positive float, "
                             f"got scale={scale!r}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid mode {mode!r}; expected 'fan_in', 'fan_out' or 'fan_avg'.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"Invalid distribution {distribution!r}; expected "
                             "'truncated_normal', 'untruncated_normal' or 'uniform'.")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = _math.sqrt(3.0 * variance)
            return self._uniform(shape, dtype, -limit, limit)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, dtype, 0.0, _math.sqrt(variance), truncated=False)
        stddev = _math.sqrt(variance) / _TRUNCATED_STDDEV
        return self._normal(shape, dtype, 0.0, stddev, truncated=True)

    def _axes_config(self):
        # written only when set, so files stay readable by Keras versions before 3.15
        if self.input_axes is None and self.output_axes is None:
            return {}
        return {"input_axes": self.input_axes, "output_axes": self.output_axes}

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config(), **self._axes_config()}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only the seed (and the fan axes) are configurable."""
    _preset = {}

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(seed=seed, input_axes=input_axes, output_axes=output_axes,
                         **self._preset)

    def get_config(self):
        return {"seed": self.seed, **self._axes_config()}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``; suits ReLU layers.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, ``stddev = sqrt(2 / fan_in)``; suits ReLU layers.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, ``stddev = sqrt(1 / fan_in)``; suits SELU layers.

    Args:
        seed: optional int; a seeded initializer returns the same values every call.
    """
    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class Orthogonal(_RandomInitializer):
    """A random orthogonal matrix times ``gain`` (from the QR decomposition of a normal one).

    Shapes with more than two axes are treated as ``(prod(shape[:-1]), shape[-1])``.
    The result has orthonormal columns, or orthonormal rows when there are fewer rows.

    Args:
        gain: factor applied to the matrix.
        seed: optional int; a seeded initializer returns the same values every call.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, "Orthogonal")
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least 2 axes, got shape={shape}.")
        rows, cols = _math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = _np.linalg.qr(a)
        # NOTE: multiplying by the signs of diag(r) makes Q uniformly distributed.
        q *= _np.sign(_np.diag(r))
        if rows < cols:
            q = q.T
        return _backend.to_device((self.gain * q).reshape(shape).astype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


# snake_case aliases, as in keras.initializers
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal

_CLASSES = (Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Orthogonal)
_ALL = {cls.__name__: cls for cls in _CLASSES}
_ALL.update({
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    # Keras aliases
    "zero": Zeros, "one": Ones, "normal": RandomNormal, "uniform": RandomUniform,
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
})
_registry.register_builtins("initializers", _ALL)


def serialize(initializer):
    """Returns ``{'class_name': ..., 'config': ...}`` for an initializer (None for None)."""
    return _config.serialize(initializer, Initializer, "initializer")


def deserialize(config, custom_objects=None):
    """Creates an initializer from ``{'class_name': ..., 'config': ...}`` or a name.

    Args:
        config: a dict as made by ``serialize`` (extra keys are ignored) or a name.
        custom_objects: optional dict of extra name -> Initializer class.

    Returns:
        An Initializer.
    """
    return _config.deserialize(config, _ALL, "initializer", custom_objects)


def get(identifier):
    """Returns an initializer from a name, a class, an instance, a config dict or a callable.

    Args:
        identifier: e.g. 'glorot_uniform', 'HeNormal', ``GlorotUniform``,
            ``RandomNormal(stddev=0.1)``, ``{'class_name': 'Constant', 'config': {'value': 2}}``,
            or any callable ``f(shape, dtype=None)``. None gives None.

    Returns:
        A callable ``init(shape, dtype=None)``, or None.
    """
    return _config.get(identifier, _ALL, "initializer")


_variable_module._resolve_initializer = get  # keras.Variable(initializer="zeros", shape=...)
