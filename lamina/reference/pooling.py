"""Pooling one output pixel at a time: the plain twins of ``lamina.ops.pooling``.

Output pixel (i, j) is the max (or mean) of the input window that starts at
``(i * stride - pad_top, j * stride - pad_left)``, cut to the real pixels: padding never
wins a max and is not counted in a mean.
"""
from lamina import ops


def _pool(x, reduce, pool_size, strides, pads):
    (ph, pw), (sh, sw), ((top, bottom), (left, right)) = pool_size, strides, pads
    height, width = x.shape[1], x.shape[2]
    out_h = (height + top + bottom - ph) // sh + 1
    out_w = (width + left + right - pw) // sw + 1
    rows = []
    for i in range(out_h):
        row = []
        for j in range(out_w):
            r0, c0 = i * sh - top, j * sw - left
            window = x[:, max(r0, 0):min(r0 + ph, height), max(c0, 0):min(c0 + pw, width), :]
            row.append(reduce(window, axis=(1, 2)))
        rows.append(ops.stack(row, axis=1))
    return ops.stack(rows, axis=1)


def max_pool2d(x, pool_size, strides, pads=((0, 0), (0, 0))):
    """The maximum of each window of NHWC ``x``; twin of ``ops.max_pool2d``."""
    return _pool(x, ops.max, pool_size, strides, pads)


def avg_pool2d(x, pool_size, strides, pads=((0, 0), (0, 0))):
    """The mean of each window's real pixels; twin of ``ops.avg_pool2d``."""
    return _pool(x, ops.mean, pool_size, strides, pads)
