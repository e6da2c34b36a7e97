"""A test backend whose arrays follow CuPy's rules, so a CPU test run catches GPU bugs.

For lamina's own tests, not for users: ``LAMINA_BACKEND=strict``. Only backend.py
imports this module. A ``StrictArray`` holds a NumPy array but, like ``cupy.ndarray``:

- refuses implicit conversion to NumPy: ``np.asarray(a)`` raises TypeError;
- refuses NumPy arrays in its operators, ufuncs and functions (NumPy and Python
  scalars are fine), and as a value assigned into it;
- returns 0-d arrays, not scalars, from reductions and indexing;
- converts explicitly with ``a.get()`` or ``asnumpy(a)``; ``float(a)``, ``a.item()``
  and ``a.tolist()`` work as in CuPy.

The module-level names (``zeros``, ``asarray``, ``random.default_rng`` ...) mirror the
parts of the ``cupy`` namespace that lamina uses, computed by NumPy.
"""
import types

import numpy as np


def _refuse(x):
    raise TypeError(
        f"Unsupported type {type(x)}: a strict (CuPy-like) array does not mix with a NumPy "
        "array; move it with backend.to_device or convert with backend.to_numpy.")


def _unwrap(x):
    """The NumPy array inside ``x``; refuses NumPy arrays; walks lists, tuples and dicts."""
    if type(x) is StrictArray:
        return x._a
    if isinstance(x, np.ndarray):
        _refuse(x)
    if type(x) in (list, tuple):
        return type(x)(_unwrap(v) for v in x)
    if type(x) is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _unwrap_index(index):
    """Indices may be NumPy arrays (CuPy copies them to the device)."""
    if type(index) is tuple:
        return tuple(_unwrap_index(i) for i in index)
    return index._a if type(index) is StrictArray else index


def _wrap(x):
    """NumPy results become StrictArrays (scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return StrictArray(np.asarray(x))
    if type(x) in (list, tuple):
        return type(x)(_wrap(v) for v in x)
    if isinstance(x, np.random.Generator):
        return _Proxy(x, "Generator", allowed=_CUPY_GENERATOR)
    return x


def _wrap_function(fn):
    def strict(*args, **kwargs):
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    strict.__name__ = getattr(fn, "__name__", "function")
    return strict


# cupy.random.Generator has these methods only (no permutation, shuffle, choice, normal)
_CUPY_GENERATOR = {"random", "uniform", "integers", "beta", "chisquare", "dirichlet",
                   "exponential", "f", "geometric", "hypergeometric", "logseries",
                   "standard_exponential", "poisson", "power", "standard_normal", "gamma",
                   "standard_gamma", "binomial", "bit_generator"}


class _Proxy:
    """Mirrors a NumPy module or object: functions take and return StrictArrays.

    ``allowed``: the only attribute names it has (those of the CuPy counterpart).
    """

    def __init__(self, target, name, allowed=None):
        self._target = target
        self._allowed = allowed
        self.__name__ = name

    def __getattr__(self, name):
        if self._allowed is not None and name not in self._allowed:
            raise AttributeError(f"'{self.__name__}' object has no attribute '{name}' "
                                 "(CuPy's has none either)")
        value = getattr(self._target, name)
        if isinstance(value, type) or not callable(value) and \
                not isinstance(value, types.ModuleType):
            return value      # dtypes and constants (float32, pi, inf, newaxis)
        if isinstance(value, (types.ModuleType, np.ufunc)):
            return _Proxy(value, f"{self.__name__}.{name}")
        return _wrap_function(value)

    def __call__(self, *args, **kwargs):
        return _wrap(self._target(*_unwrap(args), **_unwrap(kwargs)))


def _binary(ufunc, reflected=False):
    def method(self, other):
        if type(other) is not StrictArray and not isinstance(other, (np.ndarray, np.generic)) \
                and not isinstance(other, (int, float, complex, bool)):
            return NotImplemented   # e.g. a Tensor, whose reflected operator then runs
        a, b = (other, self) if reflected else (self, other)
        return _wrap(ufunc(_unwrap(a), _unwrap(b)))
    return method


def _inplace(ufunc):
    def method(self, other):
        ufunc(self._a, _unwrap(other), out=self._a)
        return self
    return method


def _unary(fn):
    def method(self):
        return _wrap(fn(self._a))
    return method


class StrictArray:
    """An array that refuses implicit conversion to NumPy, as ``cupy.ndarray`` does."""
    __slots__ = ("_a",)
    __array_priority__ = 100

    def __init__(self, array):
        self._a = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def get(self):
        """Returns a NumPy copy, as ``cupy.ndarray.get`` does."""
        return self._a.copy()

    # --- attributes and methods: NumPy's, with StrictArrays in and out ---
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))
    base = property(lambda self: None if self._a.base is None else _wrap(self._a.base))

    def __getattr__(self, name):
        if name.startswith("__"):   # e.g. __array_interface__, which NumPy would read
            raise AttributeError(name)
        value = getattr(self._a, name)
        return _wrap_function(value) if callable(value) else _wrap(value)

    def __getitem__(self, index):
        return _wrap(self._a[_unwrap_index(index)])

    def __setitem__(self, index, value):
        if isinstance(value, np.ndarray):
            _refuse(value)
        self._a[_unwrap_index(index)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __repr__(self):
        return "strict_" + repr(self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __complex__(self):
        return complex(self._a)

    def __reduce__(self):
        return StrictArray, (self._a,)

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    __hash__ = None
    __neg__ = _unary(np.negative)
    __pos__ = _unary(np.positive)
    __abs__ = _unary(np.abs)
    __invert__ = _unary(np.invert)


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.true_divide), ("floordiv", np.floor_divide),
                      ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
                      ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
                      ("lshift", np.left_shift), ("rshift", np.right_shift)]:
    setattr(StrictArray, f"__{_name}__", _binary(_ufunc))
    setattr(StrictArray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    setattr(StrictArray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]:
    setattr(StrictArray, f"__{_name}__", _binary(_ufunc))
StrictArray.__divmod__ = _binary(np.divmod)


# --- the cupy-like namespace ---
ndarray = StrictArray
_numpy = _Proxy(np, "lamina.strict_backend")
random = _Proxy(np.random, "lamina.strict_backend.random")
linalg = _Proxy(np.linalg, "lamina.strict_backend.linalg")
lib = _Proxy(np.lib, "lamina.strict_backend.lib")


def asarray(a, dtype=None, order=None, **kwargs):
    """Copies NumPy data (or lists, scalars) to a strict array, as ``cupy.asarray`` does."""
    if type(a) is StrictArray:
        return a if dtype is None or a.dtype == dtype else StrictArray(a._a.astype(dtype))
    return StrictArray(np.array(_unwrap_index(a), dtype=dtype, order=order, **kwargs))


def array(a, dtype=None, copy=True, order="K", ndmin=0):
    """Like ``cupy.array``: always a new strict array."""
    return StrictArray(np.array(_unwrap_index(a), dtype=dtype, copy=copy, order=order,
                                ndmin=ndmin))


def asnumpy(a):
    """Returns a NumPy array, as ``cupy.asnumpy`` does."""
    return a.get() if type(a) is StrictArray else np.asarray(a)


def scatter_add(a, index, values):
    """Like ``cupyx.scatter_add``: ``a[index] += values`` with repeated indices adding up."""
    np.add.at(a._a, _unwrap_index(index), _unwrap(values))


def get_array_module(*arrays):
    """This module when any argument is a strict array, else numpy."""
    import sys
    if any(type(a) is StrictArray for a in arrays):
        return sys.modules[__name__]
    return np


def __getattr__(name):
    return getattr(_numpy, name)
