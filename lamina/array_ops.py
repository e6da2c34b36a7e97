"""TensorFlow's top-level tensor functions (``tf.constant``, ``tf.reshape``, ``tf.gather``, ...)
with TensorFlow's argument names, each mapped onto keras.ops (``lamina.api``).

``import lamina as tf`` exposes them at the top level.
"""
import builtins

import numpy as np

from lamina import backend
from lamina.api import core, nn
from lamina.api import numpy as knp
from lamina.api._util import data, wrap
from lamina.dtypes import TensorShape


def _dtype(dtype):
    return None if dtype is None else core.standardize_dtype(dtype)


def constant(value, dtype=None, shape=None, name=None):
    """A Tensor holding ``value`` (broadcast to ``shape`` when given)."""
    t = core.convert_to_tensor(value, _dtype(dtype))
    if shape is not None and tuple(t.shape) != tuple(shape):
        t = knp.broadcast_to(t, shape) if t.size == 1 else knp.reshape(t, shape)
    return t


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """``value`` as a Tensor."""
    return core.convert_to_tensor(value, _dtype(dtype or dtype_hint))


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype``."""
    return core.cast(x, dtype)


def zeros(shape, dtype=np.float32, name=None, layout=None):
    """Zeros of ``shape`` (float32 by default)."""
    return knp.zeros(shape, _dtype(dtype))


def ones(shape, dtype=np.float32, name=None, layout=None):
    """Ones of ``shape`` (float32 by default)."""
    return knp.ones(shape, _dtype(dtype))


def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 (TensorFlow's name)
    """Zeros of the shape of ``input``."""
    return knp.zeros_like(input, _dtype(dtype))


def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    """Ones of the shape of ``input``."""
    return knp.ones_like(input, _dtype(dtype))


def fill(dims, value, name=None, layout=None):
    """``value`` repeated to shape ``dims`` (dtype of ``value``)."""
    v = core.convert_to_tensor(value)
    return wrap(backend.get_array_module(v.data).full(tuple(dims), v.data))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=np.float32, name=None):
    """Identity matrix (or a batch of them)."""
    out = knp.eye(num_rows, num_columns, dtype=_dtype(dtype))
    return out if batch_shape is None else knp.broadcast_to(out, tuple(batch_shape) + out.shape)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """Numbers from ``start`` to ``limit`` by ``delta`` (``tf.range(5)`` is 0..4)."""
    if limit is None:
        start, limit = 0, start
    return knp.arange(start, limit, delta, dtype=_dtype(dtype))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from start to stop."""
    return knp.linspace(start, stop, num, axis=axis)


def shape(input, out_type=np.int32, name=None):  # noqa: A002
    """The shape of ``input`` as an int32 tensor (index it: ``tf.shape(x)[0]``)."""
    return wrap(np.array(core.convert_to_tensor(input).shape, dtype=_dtype(out_type)))


def rank(input, name=None):  # noqa: A002
    """Number of axes of ``input``."""
    return wrap(np.array(core.convert_to_tensor(input).ndim, dtype=np.int32))


def size(input, out_type=np.int32, name=None):  # noqa: A002
    """Number of elements of ``input``."""
    return wrap(np.array(core.convert_to_tensor(input).size, dtype=_dtype(out_type)))


def reshape(tensor, shape, name=None):
    """``tensor`` with a new shape (one entry may be -1)."""
    return knp.reshape(tensor, [int(n) for n in (data(shape).tolist() if hasattr(shape, "data")
                                                 else shape)])


def transpose(a, perm=None, conjugate=False, name="transpose"):
    """``a`` with its axes permuted (reversed by default)."""
    return knp.transpose(a, perm)


def concat(values, axis, name="concat"):
    """Joins tensors along ``axis``."""
    return knp.concatenate(values, axis)


def stack(values, axis=0, name="stack"):
    """Joins tensors along a new axis."""
    return knp.stack(values, axis)


def unstack(value, num=None, axis=0, name="unstack"):
    """Splits ``value`` along ``axis`` into a list."""
    return core.unstack(value, num, axis)


def expand_dims(input, axis, name=None):  # noqa: A002
    """``input`` with a new axis of size 1."""
    return knp.expand_dims(input, axis)


def squeeze(input, axis=None, name=None):  # noqa: A002
    """``input`` without its size-1 axes."""
    return knp.squeeze(input, axis)


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` at ``indices`` along ``axis`` (default 0)."""
    if batch_dims:
        raise NotImplementedError(f"gather with batch_dims={batch_dims} is not supported in "
                                  "lamina; use keras.ops.take_along_axis.")
    return knp.take(params, indices, 0 if axis is None else axis)


def gather_nd(params, indices, batch_dims=0, name=None):
    """Elements (or slices) of ``params`` at the index tuples in the last axis of ``indices``."""
    idx = backend.to_numpy(data(indices)).astype(np.int64)
    return core.convert_to_tensor(params)[tuple(np.moveaxis(idx, -1, 0))]


def where(condition, x=None, y=None, name=None):
    """``x`` where ``condition`` is true, else ``y``; alone, the indices of true elements."""
    if x is None and y is None:
        return wrap(np.argwhere(backend.to_numpy(data(condition))).astype(np.int64))
    return knp.where(condition, x, y)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot encoding of integer ``indices``."""
    out = nn.one_hot(indices, depth, -1 if axis is None else axis, _dtype(dtype))
    if on_value is not None or off_value is not None:
        on = 1.0 if on_value is None else on_value
        off = 0.0 if off_value is None else off_value
        out = out * (on - off) + off
    return out


def identity(input, name=None):  # noqa: A002
    """``input`` itself, as a new tensor (gradients flow through)."""
    return knp.copy(input)


def tile(input, multiples, name=None):  # noqa: A002
    """``input`` repeated ``multiples`` times along each axis."""
    return knp.tile(input, list(data(multiples).tolist() if hasattr(multiples, "data")
                                else multiples))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Splits into equal parts (an int) or parts of the given sizes (a list)."""
    if isinstance(num_or_size_splits, int):
        return knp.split(value, num_or_size_splits, axis)
    return knp.split(value, list(np.cumsum(num_or_size_splits)[:-1]), axis)


def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """The elements of ``tensor`` where ``mask`` is true."""
    return core.convert_to_tensor(tensor)[backend.to_numpy(data(mask)).astype(bool)]


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` limited to [clip_value_min, clip_value_max]."""
    return knp.clip(t, clip_value_min, clip_value_max)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled so that its L2 norm over ``axes`` is at most ``clip_norm``."""
    t = core.convert_to_tensor(t)
    norm = knp.sqrt(knp.sum(t * t, axes, keepdims=True))
    return t * (clip_norm / knp.maximum(norm, clip_norm))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``tensor`` padded by ``paddings`` ((before, after) per axis)."""
    mode = {"CONSTANT": "constant", "REFLECT": "reflect", "SYMMETRIC": "symmetric"}.get(
        str(mode).upper())
    if mode is None:
        raise ValueError("pad mode must be 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.")
    return knp.pad(tensor, data(paddings).tolist() if hasattr(paddings, "data") else paddings,
                   mode, constant_values if mode == "constant" else None)


def reverse(tensor, axis, name=None):
    """``tensor`` reversed along ``axis`` (a list of axes)."""
    return knp.flip(tensor, tuple(axis) if not isinstance(axis, int) else axis)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           name=None, **kwargs):
    """Matrix product, optionally of the transposes."""
    a, b = core.convert_to_tensor(a), core.convert_to_tensor(b)
    if transpose_a or adjoint_a:
        a = knp.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = knp.swapaxes(b, -1, -2)
    return knp.matmul(a, b)


def tensordot(a, b, axes, name=None):
    """Sums products over ``axes``."""
    return knp.tensordot(a, b, axes)


def einsum(equation, *inputs, **kwargs):
    """Einstein summation."""
    return knp.einsum(equation, *inputs)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``."""
    out = knp.sort(values, axis)
    return knp.flip(out, axis) if direction == "DESCENDING" else out


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices that sort ``values`` along ``axis``."""
    v = core.convert_to_tensor(values)
    return knp.argsort(-v if direction == "DESCENDING" else v, axis)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """Vector norm (or the Frobenius norm)."""
    from lamina.api import linalg
    return linalg.norm(tensor, None if ord in ("euclidean", "fro") else ord, axis,
                       builtins.bool(keepdims))


def broadcast_to(input, shape, name=None):  # noqa: A002
    """``input`` broadcast to ``shape``."""
    return knp.broadcast_to(input, tuple(shape))


def meshgrid(*args, **kwargs):
    """Coordinate grids ('xy' indexing by default)."""
    return knp.meshgrid(*args, indexing=kwargs.get("indexing", "xy"))


def stop_gradient(input, name=None):  # noqa: A002
    """The values of ``input`` with no gradient."""
    return core.stop_gradient(input)


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return core.cond(pred, true_fn, false_fn)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Runs ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``."""
    return core.while_loop(cond, body, loop_vars, maximum_iterations)


def is_tensor(x):
    """True for a lamina Tensor."""
    return core.is_tensor(x)


def print(*inputs, **kwargs):  # noqa: A001 (TensorFlow's name)
    """Prints tensors' values (``tf.print``)."""
    builtins.print(*[i.numpy() if core.is_tensor(i) else i for i in inputs],
                   **{k: v for k, v in kwargs.items() if k in ("sep", "end")})


def get_static_value(tensor, partial=False):
    """The values of ``tensor`` as a NumPy array."""
    return core.convert_to_numpy(tensor)


__all__ = ["TensorShape", "argsort", "boolean_mask", "broadcast_to", "cast",
           "clip_by_norm", "clip_by_value", "concat", "cond", "constant", "convert_to_tensor",
           "einsum", "expand_dims", "eye", "fill", "gather", "gather_nd", "get_static_value",
           "identity", "is_tensor", "linspace", "matmul", "meshgrid", "norm", "one_hot", "ones",
           "ones_like", "pad", "print", "range", "rank", "reshape", "reverse", "shape", "size",
           "sort", "split", "squeeze", "stack", "stop_gradient", "tensordot", "tile",
           "transpose", "unstack", "where", "while_loop", "zeros", "zeros_like"]
