"""keras.ops core family: conversion, dtypes, shapes, and eager control flow.

Control flow (``cond``, ``fori_loop``, ``while_loop``, ``scan``, ...) is plain Python over
the engine: lamina runs eagerly, so a loop is a loop and gradients flow through it.
"""
import builtins

import numpy as np

from lamina import backend, ops, tree
from lamina.autograd import Function, Tensor, as_array


def standardize_dtype(dtype):
    """Returns the dtype name ('float32', ...) of a name, NumPy dtype or type; None stays None.

    Raises:
        ValueError: naming the value when it is not a dtype.
    """
    if dtype is None:
        return None
    try:
        return np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, type)
                        else dtype).name
    except TypeError as e:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected a dtype name such as 'float32', "
                         "'int32' or 'bool', or a NumPy dtype.") from e


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """Returns ``x`` as a Tensor (a Tensor is returned as is, cast if ``dtype`` differs).

    Args:
        x: array-like, number, Tensor or Variable.
        dtype: optional dtype; Python floats and float64 NumPy arrays become floatx,
            Python integers int32.

    Returns:
        A Tensor.
    """
    dtype = standardize_dtype(dtype)
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else cast(x, dtype)
    if isinstance(x, (list, tuple)) and any(isinstance(e, Tensor) for e in tree.flatten(x)):
        x = tree.map_structure(lambda e: e.numpy() if isinstance(e, Tensor) else e, x)
    if dtype is None and not hasattr(x, "dtype") and np.asarray(x).dtype == np.int64:
        dtype = "int32"  # Python integers become int32, as in Keras
    return Tensor(x, dtype=dtype)


def convert_to_numpy(x):
    """Returns ``x`` as a NumPy array."""
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


def is_tensor(x):
    """True for a lamina Tensor (Variables included)."""
    return isinstance(x, Tensor)


def cast(x, dtype):
    """Casts ``x`` to ``dtype``; differentiable between float dtypes.

    Raises:
        ValueError: naming ``dtype`` when it is not a dtype.
    """
    dtype = standardize_dtype(dtype)
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    if x.dtype.kind == "f" and np.dtype(dtype).kind == "f":
        return ops.cast(x, dtype)
    return Tensor._wrap(x.data.astype(dtype))


def saturate_cast(x, dtype):
    """Casts ``x`` to ``dtype``, clipping values to the range of ``dtype`` first."""
    dtype = standardize_dtype(dtype)
    x = convert_to_tensor(x)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    low, high = max(info.min, _lowest(x.dtype)), min(info.max, _highest(x.dtype))
    return cast(ops.clip(x, low, high), dtype)


def _lowest(dtype):
    return (np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)).min


def _highest(dtype):
    return (np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)).max


def dtype(x):
    """The dtype name of ``x`` ('float32', ...)."""
    return standardize_dtype(convert_to_tensor(x).dtype)


def shape(x):
    """The shape of ``x`` as a tuple of ints."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def stop_gradient(variable):
    """The same values, with no gradient flowing back."""
    return Tensor._wrap(convert_to_tensor(variable).data)


def cond(pred, true_fn, false_fn):
    """Calls ``true_fn()`` if ``pred`` is true, else ``false_fn()``."""
    return true_fn() if bool(pred) else false_fn()


def switch(index, branches, *operands):
    """Calls ``branches[index](*operands)``; ``index`` is clipped to the valid range."""
    i = min(max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i in range(lower, upper); returns the final ``val``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` is true.

    A single (non-tuple) ``loop_vars`` is passed and returned as is, as in Keras.
    """
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while bool(cond(*state)) and (maximum_iterations is None or n < maximum_iterations):
        state = body(*state)
        state = (state,) if single else tuple(state)
        n += 1
    return state[0] if single else type(loop_vars)(state)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns (carry, stacked ys)."""
    n = length if xs is None else len(tree.flatten(xs)[0])
    steps = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in steps:
        x = None if xs is None else tree.map_structure(lambda a: a[i], xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    leaves = [tree.flatten(y) for y in ys]
    stacked = [ops.stack([convert_to_tensor(leaf[k]) for leaf in leaves], axis=0)
               for k in range(len(leaves[0]))]
    return carry, tree.pack_sequence_as(ys[0], stacked)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with the associative ``f`` along ``axis`` (sequentially, eagerly)."""
    x = convert_to_tensor(elems)
    n = x.shape[axis]
    index = [builtins.slice(None)] * x.ndim
    order = range(n - 1, -1, -1) if reverse else range(n)
    out, acc = [None] * n, None
    for i in order:
        index[axis] = i
        xi = x[tuple(index)]
        acc = xi if acc is None else f(acc, xi)
        out[i] = acc
    return ops.stack(out, axis=axis)


def map(f, xs):  # noqa: A001 (Keras's name)
    """Applies ``f`` to each slice of ``xs`` along the leading axis and stacks the results."""
    return scan(lambda carry, x: (carry, f(x)), None, xs)[1]


def vectorized_map(function, elements):
    """``map`` under Keras's other name (lamina runs it as a loop)."""
    return map(function, elements)


def unstack(x, num=None, axis=0):
    """Splits ``x`` along ``axis`` into a list of tensors."""
    x = convert_to_tensor(x)
    index = [builtins.slice(None)] * x.ndim
    out = []
    for i in range(x.shape[axis]):
        index[axis] = i
        out.append(x[tuple(index)])
    return out


def slice(inputs, start_indices, shape):  # noqa: A001 (Keras's name)
    """The block of ``inputs`` that starts at ``start_indices`` with size ``shape``."""
    index = tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape))
    return convert_to_tensor(inputs)[index]


def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (an (N, rank) int array)."""
    idx = backend.to_numpy(as_array(indices)).astype(np.int64)
    return ops.scatter(convert_to_tensor(values), tuple(idx.T), tuple(shape))


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with the entries at ``indices`` (an (N, rank) int array) replaced
    (``reduction=None``) or incremented by ``updates`` (``reduction='add'``)."""
    inputs = convert_to_tensor(inputs)
    idx = tuple(backend.to_numpy(as_array(indices)).astype(np.int64).T)
    if reduction == "add":
        return inputs + ops.scatter(convert_to_tensor(updates, inputs.dtype), idx, inputs.shape)
    if reduction is not None:
        raise ValueError(f"scatter_update supports reduction=None or 'add' in lamina, "
                         f"got {reduction!r}.")
    mask = np.zeros(inputs.shape, bool)
    mask[idx] = True
    placed = ops.scatter(convert_to_tensor(updates, inputs.dtype), idx, inputs.shape)
    return ops.where(backend.to_device(mask), placed, inputs)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    inputs, updates = convert_to_tensor(inputs), convert_to_tensor(updates, inputs.dtype)
    index = tuple(builtins.slice(int(s), int(s) + n) for s, n in zip(start_indices, updates.shape))
    mask = np.zeros(inputs.shape, bool)
    mask[index] = True
    return ops.where(backend.to_device(mask), ops.scatter(updates, index, inputs.shape),
                     inputs)


class _CustomGradient(Function):
    """Runs a user's forward and its gradient function (Keras ``custom_gradient``)."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def forward(self, *arrays):
        y, self.grad_fn = self.fn(*[Tensor._wrap(a) for a in arrays])
        return y.data if isinstance(y, Tensor) else as_array(y)

    def backward(self, gy):
        grads = self.grad_fn(Tensor._wrap(gy))
        grads = grads if isinstance(grads, (list, tuple)) else (grads,)
        return tuple(None if g is None else as_array(g, gy.dtype) for g in grads)


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(y, grad_fn)``; ``grad_fn(upstream)`` gives the
    gradients of the args. The forward runs without recording a graph."""
    def wrapper(*args):
        return _CustomGradient(f, args)(*[convert_to_tensor(a) for a in args])
    return wrapper


__all__ = ["associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
           "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast",
           "scan", "scatter", "scatter_update", "shape", "slice", "slice_update",
           "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop",
           ]
