"""keras.ops NumPy family: Keras 3's names, argument names and defaults, composed from the
engine's primitives (``lamina.ops``), so gradients flow through every float op.

Functions built with ``plain`` return integer, boolean or piecewise-constant values and
record no graph (their gradient is zero or undefined).
"""
import builtins
import functools
import inspect
import math

import numpy as np

from lamina import backend, ops
from lamina.api._util import data, make_symbolic, pair, plain, without_xp, wrap
from lamina.api.core import cast, convert_to_tensor, standardize_dtype, stop_gradient
from lamina.autograd import Tensor

_t = convert_to_tensor


def _axis_tuple(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axis)


def _float(x):
    """``x`` as a float Tensor (integers become floatx, as Keras's float ops do)."""
    x = _t(x)
    return x if x.dtype.kind == "f" else cast(x, backend.floatx())


# --- creation ---
def _creation(fn):
    """``fn(xp, ...)`` as an op with a trailing ``dtype=None`` (floats default to floatx)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        arguments = op.__signature__.bind(*args, **kwargs).arguments
        dtype = arguments.pop("dtype", None)
        out = fn(backend.xp(), **arguments)
        return wrap(out, dtype or (backend.floatx() if out.dtype == np.float64 else None))
    op.__signature__ = without_xp(fn, [inspect.Parameter(
        "dtype", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)])
    return op


@_creation
def zeros(xp, shape):
    """Zeros of ``shape`` (floatx unless ``dtype``)."""
    return xp.zeros(shape)


@_creation
def ones(xp, shape):
    """Ones of ``shape`` (floatx unless ``dtype``)."""
    return xp.ones(shape)


@_creation
def empty(xp, shape):
    """An array of ``shape`` (zeros in lamina)."""
    return xp.zeros(shape)


@_creation
def full(xp, shape, fill_value):
    """``fill_value`` repeated to ``shape``."""
    return xp.full(shape, data(fill_value))


@_creation
def eye(xp, N, M=None, k=0):
    """A 2-D array with ones on the k-th diagonal."""
    return xp.eye(N, M, k)


@_creation
def identity(xp, n):
    """The n x n identity matrix."""
    return xp.eye(n)


@_creation
def tri(xp, N, M=None, k=0):
    """Ones at and below the k-th diagonal."""
    return xp.tri(N, M, k)


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in [start, stop); integer arguments give int32, as in Keras."""
    args = [a for a in (start, stop, step) if a is not None]
    out = backend.xp().arange(*[float(a) if isinstance(a, Tensor) else a for a in args])
    if dtype is None:
        dtype = "int32" if out.dtype.kind in "iu" else backend.floatx()
    return wrap(out, dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from start to stop."""
    out = np.linspace(data(start), data(stop), num, endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return wrap(out[0], dtype or backend.floatx()), out[1]
    return wrap(backend.to_device(out), dtype or backend.floatx())


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop)``."""
    out = np.logspace(data(start), data(stop), num, endpoint=endpoint, base=base, axis=axis)
    return wrap(backend.to_device(out), dtype or backend.floatx())


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from start to stop."""
    out = np.geomspace(data(start), data(stop), num, endpoint=endpoint, axis=axis)
    return wrap(backend.to_device(out), dtype or backend.floatx())


def _like(fill):
    def op(x, dtype=None):
        x = _t(x)
        return wrap(backend.get_array_module(x.data).full(x.shape, fill, x.dtype), dtype)
    return op


zeros_like = _like(0)
zeros_like.__doc__ = "Zeros of the shape (and dtype unless ``dtype``) of ``x``."
ones_like = _like(1)
ones_like.__doc__ = "Ones of the shape (and dtype unless ``dtype``) of ``x``."
empty_like = zeros_like


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in the shape (and dtype unless ``dtype``) of ``x``."""
    x = _t(x)
    return wrap(backend.get_array_module(x.data).full(x.shape, data(fill_value), x.dtype), dtype)


def array(x, dtype=None):
    """``x`` as a Tensor."""
    return _t(x, dtype)


def copy(x):
    """A copy of ``x`` (gradients flow through)."""
    return _t(x)[...]


def view(x, dtype=None):
    """The same bytes read as ``dtype`` (no gradient)."""
    x = _t(x)
    return x if dtype is None else wrap(x.data.view(standardize_dtype(dtype)))


def _window(name):
    def op(x):
        return wrap(backend.to_device(getattr(np, name)(int(x))), backend.floatx())
    op.__name__ = name
    op.__doc__ = f"NumPy's ``{name}`` window of length ``x``."
    return op


bartlett, blackman, hamming, hanning = (_window(n) for n in ("bartlett", "blackman",
                                                              "hamming", "hanning"))


def kaiser(x, beta):
    """The Kaiser window of length ``x``."""
    return wrap(backend.to_device(np.kaiser(int(x), beta)), backend.floatx())


# --- arithmetic ---
def add(x1, x2):
    """x1 + x2, broadcasting."""
    return ops.add(*pair(x1, x2))


def subtract(x1, x2):
    """x1 - x2, broadcasting."""
    return ops.subtract(*pair(x1, x2))


def multiply(x1, x2):
    """x1 * x2, broadcasting."""
    return ops.multiply(*pair(x1, x2))


def divide(x1, x2):
    """x1 / x2 (true division; integers give floats)."""
    x1, x2 = pair(x1, x2)
    return ops.divide(_float(x1), _float(x2))


true_divide = divide


def divide_no_nan(x1, x2):
    """x1 / x2, with 0 where x2 is 0."""
    x1, x2 = pair(x1, x2)
    zero = x2.data == 0
    return ops.where(zero, 0.0, ops.divide(_float(x1), ops.where(zero, 1.0, _float(x2))))


def power(x1, x2):
    """x1 ** x2."""
    return ops.power(*pair(x1, x2))


def negative(x):
    """-x."""
    return ops.negative(_t(x))


def reciprocal(x):
    """1 / x."""
    return divide(1.0, _float(x))


def square(x):
    """x * x."""
    return ops.square(_t(x))


def sqrt(x):
    """Square root."""
    return ops.sqrt(_float(x))


def exp(x):
    """e ** x."""
    return ops.exp(_float(x))


def exp2(x):
    """2 ** x."""
    return ops.exp(_float(x) * math.log(2.0))


def log(x):
    """Natural logarithm."""
    return ops.log(_float(x))


def log2(x):
    """Base-2 logarithm."""
    return ops.log(_float(x)) / math.log(2.0)


def log10(x):
    """Base-10 logarithm."""
    return ops.log(_float(x)) / math.log(10.0)


def _unary(name):
    def op(x):
        return ops.unary(name, _float(x))
    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``."
    return op


(sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, arcsinh, arccosh, arctanh, log1p,
 expm1) = (_unary(n) for n in ("sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
                               "cosh", "arcsinh", "arccosh", "arctanh", "log1p", "expm1"))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(_float(x))


def abs(x):  # noqa: A001 (Keras's name)
    """Absolute value."""
    return ops.abs(_t(x))


absolute = fabs = abs


def arctan2(x1, x2):
    """The angle of the point (x2, x1), in (-pi, pi]."""
    x1, x2 = (_float(x) for x in pair(x1, x2))
    base = arctan(x1 / x2)
    # the quadrant correction is piecewise constant: it carries no gradient
    return base + wrap(backend.get_array_module(x1.data).arctan2(x1.data, x2.data) - base.data)


def hypot(x1, x2):
    """sqrt(x1 ** 2 + x2 ** 2)."""
    x1, x2 = pair(x1, x2)
    return ops.sqrt(x1 * x1 + x2 * x2)


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)), computed stably."""
    x1, x2 = (_float(x) for x in pair(x1, x2))
    m = stop_gradient(ops.maximum(x1, x2))
    return m + ops.log(ops.exp(x1 - m) + ops.exp(x2 - m))


def logaddexp2(x1, x2):
    """log2(2 ** x1 + 2 ** x2)."""
    ln2 = math.log(2.0)
    return logaddexp(_float(x1) * ln2, _float(x2) * ln2) / ln2


def cbrt(x):
    """Cube root (negative inputs give negative roots)."""
    x = _float(x)
    return wrap(backend.get_array_module(x.data).sign(x.data), x.dtype) * ops.abs(x) ** (1 / 3)


def sinc(x):
    """sin(pi x) / (pi x), with 1 at 0."""
    x = _float(x)
    zero = x.data == 0
    px = ops.where(zero, 1.0, x) * math.pi
    return ops.where(zero, 1.0, sin(px) / px)


def deg2rad(x):
    """Degrees to radians."""
    return _float(x) * (math.pi / 180)


def rad2deg(x):
    """Radians to degrees."""
    return _float(x) * (180 / math.pi)


def ldexp(x1, x2):
    """x1 * 2 ** x2."""
    return multiply(x1, exp2(x2))


def maximum(x1, x2):
    """Elementwise maximum."""
    return ops.maximum(*pair(x1, x2))


def minimum(x1, x2):
    """Elementwise minimum."""
    return ops.minimum(*pair(x1, x2))


def fmax(x1, x2):
    """Elementwise maximum that ignores NaNs."""
    return _ignoring_nan(ops.maximum, *pair(x1, x2))


def fmin(x1, x2):
    """Elementwise minimum that ignores NaNs."""
    return _ignoring_nan(ops.minimum, *pair(x1, x2))


def _ignoring_nan(op, x1, x2):
    return ops.where(_isnan(x1.data), x2, ops.where(_isnan(x2.data), x1, op(x1, x2)))


def _isnan(a):
    return backend.get_array_module(a).isnan(a) if a.dtype.kind == "f" else a != a


def mod(x1, x2):
    """Remainder with the sign of x2 (Python's %)."""
    x1, x2 = pair(x1, x2)
    return x1 - stop_gradient(floor_divide(x1, x2)) * x2


def fmod(x1, x2):
    """Remainder with the sign of x1 (C's fmod)."""
    x1, x2 = pair(x1, x2)
    quotient = backend.get_array_module(x1.data).trunc(x1.data / x2.data).astype(x1.dtype)
    return x1 - wrap(quotient) * x2


def clip(x, x_min, x_max):
    """``x`` limited to [x_min, x_max]."""
    x = _t(x)
    if isinstance(x_min, Tensor) or isinstance(x_max, Tensor) or np.ndim(x_min) or np.ndim(x_max):
        return ops.minimum(ops.maximum(x, as_like(x_min, x)), as_like(x_max, x))
    return ops.clip(x, x_min, x_max)


def as_like(value, x):
    return pair(x, value)[1]


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replaces NaN and infinities with finite numbers."""
    x = _t(x)
    if x.dtype.kind != "f":
        return x
    xp, a = backend.get_array_module(x.data), x.data
    info = np.finfo(x.dtype)
    x = ops.where(xp.isnan(a), nan, x)
    x = ops.where(xp.isposinf(a), info.max if posinf is None else posinf, x)
    return ops.where(xp.isneginf(a), info.min if neginf is None else neginf, x)


def real(x):
    """The real part (lamina tensors are real: ``x`` itself)."""
    return _t(x)


conjugate = conj = real


def imag(x):
    """The imaginary part (zeros)."""
    return zeros_like(x)


floor = plain(lambda xp, x: xp.floor(x))
floor.__name__, floor.__doc__ = "floor", "Largest integer not above x (no gradient)."
ceil = plain(lambda xp, x: xp.ceil(x))
ceil.__name__, ceil.__doc__ = "ceil", "Smallest integer not below x (no gradient)."
trunc = plain(lambda xp, x: xp.trunc(x))
trunc.__name__, trunc.__doc__ = "trunc", "x rounded toward zero (no gradient)."
sign = plain(lambda xp, x: xp.sign(x))
sign.__name__, sign.__doc__ = "sign", "-1, 0 or 1 (no gradient)."
round = plain(lambda xp, x, decimals=0: xp.round(x, decimals))  # noqa: A001
round.__name__, round.__doc__ = "round", "x rounded to ``decimals`` (no gradient)."
floor_divide = plain(lambda xp, x1, x2: xp.floor_divide(x1, x2))
floor_divide.__name__, floor_divide.__doc__ = "floor_divide", "x1 // x2 (no gradient)."
heaviside = plain(lambda xp, x1, x2: xp.heaviside(x1, x2))
heaviside.__name__, heaviside.__doc__ = "heaviside", "The Heaviside step function."
angle = plain(lambda xp, x: xp.angle(x))
angle.__name__, angle.__doc__ = "angle", "The complex angle (0 or pi for real inputs)."
signbit = plain(lambda xp, x: xp.signbit(x))
signbit.__name__, signbit.__doc__ = "signbit", "True where the sign bit is set."
nextafter = plain(lambda xp, x1, x2: xp.nextafter(x1, x2))
nextafter.__name__, nextafter.__doc__ = "nextafter", "The next float after x1 toward x2."
gcd = plain(lambda xp, x1, x2: xp.gcd(x1, x2))
gcd.__name__, gcd.__doc__ = "gcd", "Greatest common divisor."
lcm = plain(lambda xp, x1, x2: xp.lcm(x1, x2))
lcm.__name__, lcm.__doc__ = "lcm", "Least common multiple."
i0 = plain(lambda xp, x: xp.i0(x), differentiable=True)
i0.__name__, i0.__doc__ = "i0", "Modified Bessel function of order 0."


def _table(names, template):
    made = {}
    for name, np_name in names.items():
        if name.startswith(("bitwise", "left", "right")) and np_name != "invert":
            fn = plain(lambda xp, x, y, _n=np_name: getattr(xp, _n)(x, y))
        elif np_name in ("invert", "logical_not") or name.startswith("is"):
            fn = plain(lambda xp, x, _n=np_name: getattr(xp, _n)(x))
        else:
            fn = plain(lambda xp, x1, x2, _n=np_name: getattr(xp, _n)(x1, x2))
        fn.__signature__ = inspect.signature(fn).replace(parameters=[
            p for p in inspect.signature(fn).parameters.values() if p.name != "_n"])
        fn.__name__, fn.__doc__ = name, template.format(np_name)
        made[name] = fn
    return made


globals().update(_table({
    "equal": "equal", "not_equal": "not_equal", "greater": "greater",
    "greater_equal": "greater_equal", "less": "less", "less_equal": "less_equal",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
    "logical_not": "logical_not", "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite",
    "isneginf": "isneginf", "isposinf": "isposinf", "isreal": "isreal",
    "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
    "bitwise_not": "invert", "bitwise_invert": "invert", "left_shift": "left_shift",
    "right_shift": "right_shift", "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift",
}, "Elementwise NumPy ``{}`` (boolean or integer result, no gradient)."))


def isclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True where x1 and x2 are equal within tolerances."""
    return wrap(backend.get_array_module(data(x1)).isclose(
        data(x1), data(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x1, x2, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of x1 and x2 is equal within tolerances."""
    return wrap(isclose(x1, x2, rtol, atol, equal_nan).data.all())


def isin(x1, x2, assume_unique=False, invert=False):
    """True where an element of x1 is in x2."""
    return wrap(backend.get_array_module(data(x1)).isin(data(x1), data(x2),
                                                        assume_unique=assume_unique,
                                                        invert=invert))


# --- products ---
def matmul(x1, x2):
    """Matrix product; 1-D operands are vectors, batch axes broadcast."""
    x1, x2 = pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(f"matmul expects inputs of rank >= 1, got shapes {x1.shape} and "
                         f"{x2.shape}.")
    if x1.shape[-1] != x2.shape[0 if x2.ndim == 1 else -2]:
        raise ValueError(f"matmul got incompatible shapes {x1.shape} and {x2.shape}: the last "
                         "axis of x1 must match the second-to-last axis of x2.")
    return ops.matmul(x1, x2)


def dot(x1, x2):
    """NumPy's dot: a product over the last axis of x1 and the second-to-last of x2."""
    x1, x2 = pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return ops.multiply(x1, x2)
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-2]))


def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    return ops.sum(ravel(x1) * ravel(x2))


def inner(x1, x2):
    """Inner product over the last axes."""
    x1, x2 = pair(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return ops.multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


def outer(x1, x2):
    """Outer product of the flattened inputs."""
    return ops.multiply(ops.reshape(ravel(x1), (-1, 1)), ops.reshape(ravel(x2), (1, -1)))


def tensordot(x1, x2, axes=2):
    """Sums products over ``axes`` (an int: the last n of x1 and first n of x2; or two lists)."""
    x1, x2 = pair(x1, x2)
    if isinstance(axes, int):
        a1, a2 = list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    else:
        a1, a2 = ([a] if isinstance(a, int) else list(a) for a in axes)
    a1, a2 = [a % x1.ndim for a in a1], [a % x2.ndim for a in a2]
    for i, j in zip(a1, a2):
        if x1.shape[i] != x2.shape[j]:
            raise ValueError(f"tensordot got incompatible shapes {x1.shape} and {x2.shape} "
                             f"for axes {axes}.")
    free1 = [a for a in range(x1.ndim) if a not in a1]
    free2 = [a for a in range(x2.ndim) if a not in a2]
    n = int(np.prod([x1.shape[a] for a in a1]))
    left = ops.reshape(ops.transpose(x1, free1 + a1), (-1, n))
    right = ops.reshape(ops.transpose(x2, a2 + free2), (n, -1))
    return ops.reshape(ops.matmul(left, right),
                       [x1.shape[a] for a in free1] + [x2.shape[a] for a in free2])


def kron(x1, x2):
    """Kronecker product."""
    x1, x2 = pair(x1, x2)
    nd = builtins.max(x1.ndim, x2.ndim)
    x1 = ops.reshape(x1, (1,) * (nd - x1.ndim) + x1.shape)
    x2 = ops.reshape(x2, (1,) * (nd - x2.ndim) + x2.shape)
    a = ops.reshape(x1, [d for n in x1.shape for d in (n, 1)])
    b = ops.reshape(x2, [d for n in x2.shape for d in (1, n)])
    return ops.reshape(a * b, [m * n for m, n in zip(x1.shape, x2.shape)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = pair(x1, x2)
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ValueError(f"cross expects vectors of size 3, got shapes {x1.shape} and "
                         f"{x2.shape}.")
    c = [a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
         a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
         a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]]
    return moveaxis(ops.stack(c, axis=-1), -1, axisc)


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, e.g. ``einsum('ij,jk->ik', a, b)``, as products and sums.

    Operands are contracted two at a time through ``tensordot``-style matrix products;
    a repeated letter within one operand takes its diagonal.
    """
    operands = [_t(o) for o in operands]
    inputs, _, output = subscripts.replace(" ", "").partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"einsum subscripts {subscripts!r} name {len(inputs)} operands, "
                         f"got {len(operands)}.")
    if "..." in subscripts:
        raise ValueError(f"einsum with '...' is not supported in lamina; got {subscripts!r}.")
    if not _:
        letters = "".join(inputs)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = [_einsum_diagonal(o, s) for o, s in zip(operands, inputs)]
    x, xs = terms[0]
    for k, (y, ys) in enumerate(terms[1:], start=1):
        later = set(output).union(*[s for _, s in terms[k + 1:]])
        x, xs = _einsum_pair(x, xs, y, ys, later)
    keep = [c for c in xs if c in output]
    summed = [i for i, c in enumerate(xs) if c not in output]
    if summed:
        x = ops.sum(x, axis=tuple(summed))
    return ops.transpose(x, [keep.index(c) for c in output]) if keep != list(output) else x


def _einsum_diagonal(x, letters):
    while len(set(letters)) < len(letters):
        c = next(c for c in letters if letters.count(c) > 1)
        i, j = letters.index(c), letters.index(c, letters.index(c) + 1)
        x = diagonal(x, 0, i, j)
        letters = letters[:i] + letters[i + 1:j] + letters[j + 1:] + c
    return x, letters


def _einsum_pair(x, xs, y, ys, later):
    """Contracts two operands; letters in ``later`` survive, shared others are summed."""
    only_x = [c for c in xs if c not in ys and c not in later]
    if only_x:
        x = ops.sum(x, axis=tuple(xs.index(c) for c in only_x))
        xs = "".join(c for c in xs if c not in only_x)
    only_y = [c for c in ys if c not in xs and c not in later]
    if only_y:
        y = ops.sum(y, axis=tuple(ys.index(c) for c in only_y))
        ys = "".join(c for c in ys if c not in only_y)
    batch = [c for c in xs if c in ys and c in later]
    contract = [c for c in xs if c in ys and c not in later]
    free_x = [c for c in xs if c not in ys]
    free_y = [c for c in ys if c not in xs]
    size = dict(zip(xs, x.shape), **dict(zip(ys, y.shape)))

    def prod(cs):
        return int(np.prod([size[c] for c in cs]))
    a = ops.reshape(ops.transpose(x, [xs.index(c) for c in batch + free_x + contract]),
                    (prod(batch), prod(free_x), prod(contract)))
    b = ops.reshape(ops.transpose(y, [ys.index(c) for c in batch + contract + free_y]),
                    (prod(batch), prod(contract), prod(free_y)))
    out = ops.reshape(ops.matmul(a, b), [size[c] for c in batch + free_x + free_y])
    return out, "".join(batch + free_x + free_y)


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along a diagonal."""
    return ops.sum(diagonal(x, offset, axis1, axis2), axis=-1)


# --- reductions ---
def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    return ops.sum(_t(x), axis, keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``."""
    return ops.mean(_float(x), axis, keepdims)


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """Maximum over ``axis``; ``initial`` is a lower bound included in the reduction."""
    out = ops.max(_t(x), axis, keepdims)
    return out if initial is None else ops.maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """Minimum over ``axis``; ``initial`` is an upper bound included in the reduction."""
    out = ops.min(_t(x), axis, keepdims)
    return out if initial is None else ops.minimum(out, initial)


def amax(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    return max(x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    return min(x, axis, keepdims)


def ptp(x, axis=None, keepdims=False):
    """Range (max - min) over ``axis``."""
    return max(x, axis, keepdims) - min(x, axis, keepdims)


def var(x, axis=None, keepdims=False):
    """Variance over ``axis`` (population variance, ddof=0)."""
    x = _float(x)
    centered = x - ops.mean(x, axis, keepdims=True)
    return ops.mean(centered * centered, axis, keepdims)


def std(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``."""
    return ops.sqrt(var(x, axis, keepdims))


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis`` (the gradient divides by x: inputs with zeros get NaN)."""
    x = _t(x) if dtype is None else cast(x, dtype)
    if x.ndim == 0:
        return x
    axes = _axis_tuple(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = ops.reshape(ops.transpose(x, rest + list(axes)), [x.shape[a] for a in rest] + [-1])
    out = ops.cumprod(moved, -1)[..., -1]
    if keepdims:
        out = ops.reshape(out, [1 if a in axes else n for a, n in enumerate(x.shape)])
    return out


def average(x, axis=None, weights=None):
    """Weighted mean over ``axis``."""
    x = _float(x)
    if weights is None:
        return mean(x, axis)
    w = as_like(weights, x)
    if w.ndim == 1 and x.ndim > 1:
        if axis is None:
            raise ValueError("average with 1-D weights needs an axis.")
        w = ops.reshape(w, [-1 if i == axis % x.ndim else 1 for i in range(x.ndim)])
    return ops.sum(x * w, axis) / ops.sum(ops.broadcast_to(w, x.shape), axis)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """True when every element over ``axis`` is true."""
    return wrap(data(x).astype(bool).all(axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # noqa: A001
    """True when some element over ``axis`` is true."""
    return wrap(data(x).astype(bool).any(axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    """Number of non-zero elements over ``axis``."""
    return wrap((data(x) != 0).sum(axis=axis), "int32")


def _arg(name):
    def op(x, axis=None, keepdims=False):
        a = data(x)
        out = getattr(backend.get_array_module(a), name)(a, axis=axis, keepdims=keepdims)
        return wrap(out, "int32")
    op.__name__ = name
    op.__doc__ = f"Index of the {name[3:]}imum over ``axis`` (int32)."
    return op


argmax, argmin, nanargmax, nanargmin = (_arg(n) for n in ("argmax", "argmin",
                                                         "nanargmax", "nanargmin"))


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (int32)."""
    a = data(x)
    return wrap(backend.get_array_module(a).argsort(a, axis=axis, kind="stable"), "int32")


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` around its kth element (int32)."""
    a = data(x)
    return wrap(backend.get_array_module(a).argpartition(a, kth, axis=axis), "int32")


def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (gradients go back to the original positions)."""
    x = _t(x)
    return take_along_axis(x, argsort(x, axis), axis)


def cumsum(x, axis=None, dtype=None):
    """Running sum along ``axis`` (of the flattened input when None)."""
    x = _t(x) if dtype is None else cast(x, dtype)
    return ops.cumsum(ravel(x) if axis is None else x, 0 if axis is None else axis)


def cumprod(x, axis=None, dtype=None):
    """Running product along ``axis`` (the gradient divides by x: keep x non-zero)."""
    x = _t(x) if dtype is None else cast(x, dtype)
    return ops.cumprod(ravel(x) if axis is None else x, 0 if axis is None else axis)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles (q in [0, 1]) over ``axis``, interpolated as NumPy's ``method``."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ValueError(f"quantile got method={method!r}; expected one of {methods}.")
    x = _float(x)
    axes = _axis_tuple(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    flat = ops.reshape(ops.transpose(x, rest + list(axes)), [x.shape[a] for a in rest] + [-1])
    ordered = sort(flat, axis=-1)
    n = ordered.shape[-1]
    q = q.numpy() if isinstance(q, Tensor) else q
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    outs = []
    for qi in qs:
        pos = qi * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        frac = pos - lo
        if method == "lower" or (method == "nearest" and builtins.round(pos) == lo):
            frac = 0.0
        elif method == "higher" or method == "nearest":
            frac = 1.0
        elif method == "midpoint":
            frac = 0.5 if hi != lo else 0.0
        outs.append(ordered[..., lo] * (1 - frac) + ordered[..., hi] * frac)
    out = ops.stack(outs, axis=0)
    if keepdims:
        out = ops.reshape(out, (len(qs),) + tuple(1 if a in axes else n for a, n in
                                                  enumerate(x.shape)))
    return out if np.ndim(q) else out[0]


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th percentiles (q in [0, 100]) over ``axis``."""
    q = q.numpy() if isinstance(q, Tensor) else q
    return quantile(x, np.asarray(q, dtype=np.float64) / 100, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """Median over ``axis``."""
    return quantile(x, 0.5, axis, keepdims=keepdims)


# --- NaN-ignoring reductions ---
def _without_nan(x, fill):
    x = _float(x)
    return ops.where(backend.get_array_module(x.data).isnan(x.data), fill, x)


def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis``, NaNs counted as zero."""
    return ops.sum(_without_nan(x, 0.0), axis, keepdims)


def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis``, NaNs counted as one."""
    return prod(_without_nan(x, 1.0), axis, keepdims)


def nanmax(x, axis=None, keepdims=False):
    """Maximum over ``axis``, ignoring NaNs."""
    return ops.max(_without_nan(x, -np.inf), axis, keepdims)


def nanmin(x, axis=None, keepdims=False):
    """Minimum over ``axis``, ignoring NaNs."""
    return ops.min(_without_nan(x, np.inf), axis, keepdims)


def nanmean(x, axis=None, keepdims=False):
    """Mean over ``axis``, ignoring NaNs."""
    x = _float(x)
    count = wrap((~backend.get_array_module(x.data).isnan(x.data)).sum(
        axis=axis, keepdims=keepdims), x.dtype)
    return nansum(x, axis, keepdims) / count


def nanvar(x, axis=None, keepdims=False):
    """Variance over ``axis``, ignoring NaNs."""
    x = _float(x)
    centered = x - nanmean(x, axis, keepdims=True)
    return nanmean(centered * centered, axis, keepdims)


def nanstd(x, axis=None, keepdims=False):
    """Standard deviation over ``axis``, ignoring NaNs."""
    return ops.sqrt(nanvar(x, axis, keepdims))


def nancumsum(x, axis=None, dtype=None):
    """Running sum, NaNs counted as zero."""
    return cumsum(_without_nan(x, 0.0), axis, dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running product, NaNs counted as one."""
    return cumprod(_without_nan(x, 1.0), axis, dtype)


nanmedian = plain(lambda xp, x, axis=None, keepdims=False: xp.nanmedian(
    x, axis=axis, keepdims=keepdims), differentiable=True)
nanmedian.__name__, nanmedian.__doc__ = "nanmedian", "Median over ``axis``, ignoring NaNs."
nanquantile = plain(lambda xp, x, q, axis=None, method="linear", keepdims=False: xp.nanquantile(
    x, q, axis=axis, method=method, keepdims=keepdims), differentiable=True)
nanquantile.__name__, nanquantile.__doc__ = "nanquantile", "Quantiles, ignoring NaNs."
nanpercentile = plain(lambda xp, x, q, axis=None, method="linear", keepdims=False:
                      xp.nanpercentile(x, q, axis=axis, method=method, keepdims=keepdims),
                      differentiable=True)
nanpercentile.__name__, nanpercentile.__doc__ = "nanpercentile", "Percentiles, ignoring NaNs."


# --- shape ---
def reshape(x, newshape):
    """``x`` with shape ``newshape`` (one entry may be -1)."""
    x = _t(x)
    newshape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    known = int(np.prod([n for n in newshape if n != -1]))
    if (-1 not in newshape and known != x.size) or (-1 in newshape and (
            known == 0 or x.size % known)):
        raise ValueError(f"reshape cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} values) into shape {newshape}.")
    return ops.reshape(x, newshape)


def ravel(x):
    """``x`` flattened to 1-D."""
    return ops.reshape(_t(x), (-1,))


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed by default)."""
    return ops.transpose(_t(x), axes)


def expand_dims(x, axis):
    """``x`` with new axes of size 1 at ``axis`` (an int or a tuple)."""
    x = _t(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    nd = x.ndim + len(axes)
    axes = sorted(a % nd for a in axes)
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return ops.reshape(x, shape)


def squeeze(x, axis=None):
    """``x`` without its size-1 axes (only those in ``axis`` when given)."""
    x = _t(x)
    axes = [i for i, n in enumerate(x.shape) if n == 1] if axis is None else \
        list(_axis_tuple(axis, x.ndim))
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} is not of size 1.")
    return ops.reshape(x, [n for i, n in enumerate(x.shape) if i not in axes])


def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination``."""
    x = _t(x)
    src = list(_axis_tuple(source, x.ndim))
    dst = list(_axis_tuple(destination, x.ndim))
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return ops.transpose(x, order)


def swapaxes(x, axis1, axis2):
    """``x`` with two axes swapped."""
    x = _t(x)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return ops.transpose(x, order)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    x = _t(x)
    try:
        np.broadcast_shapes(x.shape, tuple(shape))
    except ValueError as e:
        raise ValueError(f"broadcast_to cannot broadcast shape {x.shape} to {tuple(shape)}.") \
            from e
    return ops.broadcast_to(x, shape)


def concatenate(xs, axis=0):
    """Joins tensors along an existing axis."""
    xs = [_t(x) for x in xs]
    for x in xs[1:]:
        if x.ndim != xs[0].ndim or builtins.any(
                a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape))
                if i != axis % x.ndim):
            raise ValueError(f"concatenate got incompatible shapes {xs[0].shape} and "
                             f"{x.shape} along axis {axis}.")
    return ops.concatenate(xs, axis)


def append(x1, x2, axis=None):
    """x2 appended to x1 (both flattened when ``axis`` is None)."""
    if axis is None:
        return ops.concatenate([ravel(x1), ravel(x2)], 0)
    return concatenate([x1, x2], axis)


def stack(x, axis=0):
    """Joins tensors of one shape along a new axis."""
    xs = [_t(t) for t in x]
    for t in xs[1:]:
        if t.shape != xs[0].shape:
            raise ValueError(f"stack expects tensors of one shape, got {xs[0].shape} and "
                             f"{t.shape}.")
    return ops.stack(xs, axis)


def hstack(xs):
    """Joins along axis 1 (axis 0 for 1-D tensors)."""
    xs = [_t(x) for x in xs]
    return concatenate(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(xs):
    """Joins along axis 0 (1-D tensors become rows)."""
    return concatenate([ops.reshape(x, (1, -1)) if x.ndim == 1 else x
                        for x in (_t(x) for x in xs)], 0)


def dstack(xs):
    """Joins along axis 2 (tensors are made at least 3-D)."""
    def at_least_3d(x):
        x = _t(x)
        return ops.reshape(x, (1, -1, 1) if x.ndim == 1 else x.shape + (1,) * (3 - x.ndim))
    return concatenate([at_least_3d(x) for x in xs], 2)


def column_stack(xs):
    """Stacks 1-D tensors as columns of a 2-D tensor."""
    return concatenate([ops.reshape(x, (-1, 1)) if x.ndim == 1 else x
                        for x in (_t(x) for x in xs)], 1)


def split(x, indices_or_sections, axis=0):
    """Splits ``x`` into equal sections or at the given indices along ``axis``."""
    x = _t(x)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"split cannot divide axis {axis} of size {n} (shape {x.shape}) "
                             f"into {indices_or_sections} equal sections.")
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    return _pieces(x, bounds, axis)


def array_split(x, indices_or_sections, axis=0):
    """Like ``split``; sections may differ in size by one."""
    x = _t(x)
    if not isinstance(indices_or_sections, int):
        return split(x, indices_or_sections, axis)
    n, k = x.shape[axis], indices_or_sections
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    return _pieces(x, list(np.concatenate([[0], np.cumsum(sizes)])), axis)


def _pieces(x, bounds, axis):
    index = [builtins.slice(None)] * x.ndim
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[axis] = builtins.slice(int(lo), int(hi))
        out.append(x[tuple(index)])
    return out


def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for 1-D)."""
    return split(x, indices_or_sections, 0 if _t(x).ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return split(x, indices_or_sections, 2)


def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    x = _t(x)
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    nd = builtins.max(x.ndim, len(repeats))
    repeats = [1] * (nd - len(repeats)) + repeats
    x = ops.reshape(x, (1,) * (nd - x.ndim) + x.shape)
    wide = ops.broadcast_to(ops.reshape(x, [d for n in x.shape for d in (1, n)]),
                            [d for r, n in zip(repeats, x.shape) for d in (r, n)])
    return ops.reshape(wide, [r * n for r, n in zip(repeats, x.shape)])


def repeat(x, repeats, axis=None):
    """Each element repeated ``repeats`` times along ``axis`` (of the flattened input if None)."""
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    index = np.repeat(np.arange(x.shape[axis]), backend.to_numpy(data(repeats)))
    return take(x, index, axis)


def take(x, indices, axis=None):
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened input if None);
    negative indices count from the end."""
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    idx = data(indices)
    if idx.dtype.kind not in "iu":
        raise ValueError(f"take expects integer indices, got dtype {idx.dtype}.")
    index = (builtins.slice(None),) * (axis % x.ndim) + (idx,)
    return x[index]


def take_along_axis(x, indices, axis=None):
    """Elements of ``x`` at ``indices``, which has ``x``'s rank, along ``axis``."""
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    idx = data(indices)
    axis %= x.ndim
    xp = backend.get_array_module(idx)
    shape = np.broadcast_shapes(tuple(n if i != axis else 1 for i, n in enumerate(x.shape)),
                                tuple(n if i != axis else 1 for i, n in enumerate(idx.shape)))
    idx = xp.broadcast_to(idx, shape[:axis] + (idx.shape[axis],) + shape[axis + 1:])
    x = ops.broadcast_to(x, shape[:axis] + (x.shape[axis],) + shape[axis + 1:]) \
        if x.shape[:axis] + x.shape[axis + 1:] != shape[:axis] + shape[axis + 1:] else x
    grids = list(xp.ogrid[tuple(builtins.slice(n) for n in idx.shape)])
    grids[axis] = idx
    return x[tuple(grids)]


def get_item(x, key):
    """``x[key]``."""
    return _t(x)[key]


def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes when None)."""
    x = _t(x)
    axes = _axis_tuple(axis, x.ndim)
    return x[tuple(builtins.slice(None, None, -1) if i in axes else builtins.slice(None)
                   for i in range(x.ndim))]


def fliplr(x):
    """``x`` reversed along axis 1."""
    return flip(x, 1)


def flipud(x):
    """``x`` reversed along axis 0."""
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees k times in the plane of ``axes``."""
    x = _t(array)
    k %= 4
    a, b = axes
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    return swapaxes(flip(x, b), a, b) if k == 1 else flip(swapaxes(x, a, b), b)


def roll(x, shift, axis=None):
    """``x`` shifted cyclically by ``shift`` along ``axis`` (flattened when None)."""
    x = _t(x)
    if axis is None:
        return ops.reshape(roll(ravel(x), shift, 0), x.shape)
    shifts = [shift] if isinstance(shift, int) else list(shift)
    axes = [axis] if isinstance(axis, int) else list(axis)
    for s, a in zip(shifts, axes):
        n = x.shape[a]
        x = take(x, (np.arange(n) - s) % n, a)
    return x


def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` ((before, after) per axis, or one pair for all).

    Modes: 'constant' (with ``constant_values``), 'edge', 'reflect', 'symmetric', 'wrap'.
    """
    x = _t(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    widths = [tuple(int(w) for w in pair_) for pair_ in widths]
    if mode == "constant":
        out = ops.pad(x, widths)
        if constant_values:
            inside = np.zeros(out.shape, bool)
            inside[tuple(builtins.slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))] = True
            out = ops.where(backend.to_device(inside), out, constant_values)
        return out
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad got mode={mode!r}; expected 'constant', 'edge', 'reflect', "
                         "'symmetric' or 'wrap'.")
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only for mode='constant', got mode={mode!r}.")
    for axis, w in enumerate(widths):
        if w != (0, 0):
            x = take(x, np.pad(np.arange(x.shape[axis]), w, mode=mode), axis)
    return x


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, on a new last axis."""
    x = moveaxis(_t(x), (axis1, axis2), (-2, -1))
    n, m = x.shape[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return x[..., rows, rows + offset]


def diag(x, k=0):
    """The k-th diagonal of a 2-D ``x``, or a 2-D tensor with the 1-D ``x`` on it."""
    x = _t(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag expects a 1-D or 2-D tensor, got shape {x.shape}.")
    n = x.shape[0] + builtins.abs(k)
    i = np.arange(x.shape[0])
    return ops.scatter(x, (i + builtins.max(0, -k), i + builtins.max(0, k)), (n, n))


def diagflat(x, k=0):
    """A 2-D tensor with the flattened ``x`` on the k-th diagonal."""
    return diag(ravel(x), k)


def tril(x, k=0):
    """``x`` with the elements above the k-th diagonal zeroed."""
    x = _t(x)
    n, m = x.shape[-2:]
    return ops.where(backend.to_device(np.tri(n, m, k, dtype=bool)), x,
                     0.0 if x.dtype.kind == "f" else 0)


def triu(x, k=0):
    """``x`` with the elements below the k-th diagonal zeroed."""
    x = _t(x)
    n, m = x.shape[-2:]
    return ops.where(backend.to_device(~np.tri(n, m, k - 1, dtype=bool)), x,
                     0.0 if x.dtype.kind == "f" else 0)


def diff(a, n=1, axis=-1):
    """The n-th discrete difference along ``axis``."""
    x = _t(a)
    for _ in range(n):
        hi = [builtins.slice(None)] * x.ndim
        lo = list(hi)
        hi[axis], lo[axis] = builtins.slice(1, None), builtins.slice(None, -1)
        x = x[tuple(hi)] - x[tuple(lo)]
    return x


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    y = _float(y)
    hi = [builtins.slice(None)] * y.ndim
    lo = list(hi)
    hi[axis], lo[axis] = builtins.slice(1, None), builtins.slice(None, -1)
    widths = dx if x is None else diff(x, axis=axis)
    return ops.sum((y[tuple(hi)] + y[tuple(lo)]) * widths, axis=axis) / 2


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``."""
    x = _t(x)
    N = x.shape[0] if N is None else N
    powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
    return ops.power(ops.reshape(x, (-1, 1)), wrap(powers, x.dtype))


def meshgrid(*x, indexing="xy"):
    """Coordinate grids from 1-D tensors ('xy': Cartesian, 'ij': matrix indexing)."""
    xs = [ravel(t) for t in x]
    shape = [t.shape[0] for t in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(xs):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(xs) > 1 else i
        view_shape = [1] * len(xs)
        view_shape[axis] = -1
        out.append(ops.broadcast_to(ops.reshape(t, view_shape), shape))
    return out


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` is true, else ``x2``; with one argument, ``nonzero``."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where needs both x1 and x2, or neither.")
    x1, x2 = pair(x1, x2)
    return ops.where(data(condition).astype(bool), x1, x2)


def select(condlist, choicelist, default=0):
    """For each element, the choice of the first true condition (else ``default``)."""
    out = as_like(default, _t(choicelist[0]))
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = where(cond, choice, out)
    return out


def nonzero(x):
    """Indices of the non-zero elements, one int32 tensor per axis."""
    return tuple(wrap(i, "int32") for i in data(x).nonzero())


def ndim(x):
    """Number of axes of ``x``."""
    return _t(x).ndim


def size(x):
    """Number of elements of ``x``."""
    return _t(x).size


def unravel_index(indices, shape):
    """Flat indices to a tuple of coordinate tensors."""
    return tuple(wrap(i) for i in np.unravel_index(backend.to_numpy(data(indices)), shape))


def searchsorted(sorted_sequence, values, side="left"):
    """Indices where ``values`` would be inserted to keep ``sorted_sequence`` sorted."""
    a = data(sorted_sequence)
    return wrap(backend.get_array_module(a).searchsorted(a, data(values), side=side), "int32")


def digitize(x, bins):
    """Indices of the bins each element of ``x`` falls into."""
    a = data(x)
    return wrap(backend.get_array_module(a).digitize(a, data(bins)), "int32")


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or sums ``weights``) of each non-negative integer in the 1-D ``x``."""
    idx = backend.to_numpy(data(x)).astype(np.int64)
    if idx.ndim != 1:
        raise ValueError(f"bincount expects a 1-D tensor of integers, got shape {idx.shape}.")
    n = builtins.max(int(idx.max()) + 1 if idx.size else 0, minlength)
    if weights is None:
        return wrap(np.bincount(idx, minlength=n), "int32")
    return ops.scatter(_t(weights), (idx,), (n,))


def histogram(x, bins=10, range=None):  # noqa: A002 (Keras's name)
    """Counts of ``x`` in ``bins`` equal bins; returns (counts, bin edges)."""
    counts, edges = np.histogram(backend.to_numpy(data(x)), bins=bins, range=range)
    return wrap(backend.to_device(counts), "int32"), wrap(backend.to_device(edges),
                                                          backend.floatx())


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """The unique elements of ``x`` (and optionally indices, inverse and counts)."""
    out = np.unique(backend.to_numpy(data(x)), return_index=return_index,
                    return_inverse=return_inverse, return_counts=return_counts, axis=axis)
    out = out if isinstance(out, tuple) else (out,)
    if size is not None:
        values = out[0]
        fill = values.min() if fill_value is None and values.size else (fill_value or 0)
        padded = np.full((size,) + values.shape[1:], fill, values.dtype)
        padded[:builtins.min(size, len(values))] = values[:size]
        out = (padded,) + out[1:]
    out = tuple(wrap(backend.to_device(o)) for o in out)
    return out if len(out) > 1 else out[0]


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors ('valid', 'same' or 'full')."""
    x1, x2 = pair(x1, x2)
    n, m = x1.shape[0], x2.shape[0]
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate got mode={mode!r}; expected 'valid', 'same' or 'full'.")
    before = {"valid": 0, "same": (m - 1) // 2, "full": m - 1}[mode]
    after = {"valid": 0, "same": m - 1 - (m - 1) // 2, "full": m - 1}[mode]
    if before or after:
        x1 = ops.pad(x1, [(before, after)])
    count = x1.shape[0] - m + 1
    if count < 1:
        raise ValueError(f"correlate in mode {mode!r} needs len(x1) >= len(x2), got {n} and {m}.")
    windows = x1[np.arange(count)[:, None] + np.arange(m)[None, :]]
    return ops.matmul(windows, x2)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x``."""
    x = _float(x)
    x = ops.reshape(x, (1, -1)) if x.ndim == 1 else x
    centered = x - ops.mean(x, axis=1, keepdims=True)
    cov = ops.matmul(centered, ops.transpose(centered))
    d = ops.sqrt(diagonal(cov))
    return cov / outer(d, d)


def slogdet(x):
    """(sign, log|det|) of square matrices; the log-determinant is differentiable."""
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"slogdet expects square matrices (..., n, n), got shape {x.shape}.")
    sign = wrap(backend.get_array_module(x.data).linalg.slogdet(x.data)[0], x.dtype)
    return sign, ops.logabsdet(x)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """Returns a function that applies ``pyfunc`` to each element (scalar signature only)."""
    if signature is not None:
        raise ValueError(f"vectorize in lamina supports signature=None only, got {signature!r}.")

    def vectorized(*args):
        ts = [_t(a) for a in args]
        shape = np.broadcast_shapes(*[t.shape for t in ts])
        flat = [ravel(ops.broadcast_to(t, shape)) if t.shape != shape else ravel(t) for t in ts]
        n = int(np.prod(shape))
        results = [_t(pyfunc(*[f[i] for f in flat])) for i in builtins.range(n)]
        return ops.reshape(ops.stack(results, 0), shape) if results else zeros(shape)
    return vectorized


_HELPERS = {"data", "pair", "plain", "wrap", "without_xp", "cast", "convert_to_tensor",
            "standardize_dtype", "stop_gradient", "Tensor", "as_like"}
__all__ = sorted(name for name, value in list(globals().items())
                 if callable(value) and not name.startswith("_") and name not in _HELPERS)

make_symbolic(globals(), __all__)
