"""Convolution as a sum over kernel taps: the plain twins of ``lamina.ops.conv``.

The fast ``Conv2D`` copies every patch into one im2col matrix and does one GEMM; here each
tap (p, q) of the kernel multiplies the strided slice of the input it meets, and the taps
are summed: ``y[n, i, j] = b + sum_{p,q} x_pad[n, i*s + p*d, j*s + q*d] @ W[p, q]``.
Autograd derives the backward pass from the slices and products.
"""
from lamina import ops


def _taps(x, kh, kw, strides, pads, dilation):
    """Pads NHWC ``x``, then yields (p, q, slice of x_pad met by tap (p, q)) for every tap."""
    x = ops.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    (sh, sw), (dh, dw) = strides, dilation
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + (oh - 1) * sh + 1, sh)
            cols = slice(q * dw, q * dw + (ow - 1) * sw + 1, sw)
            yield p, q, x[:, rows, cols, :]


def conv2d(x, W, b=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), relu=False):
    """2-D cross-correlation of NHWC ``x`` with ``W`` (kh, kw, C, F); twin of ``ops.conv2d``."""
    y = 0.0
    for p, q, patch in _taps(x, W.shape[0], W.shape[1], strides, pads, dilation):
        y = y + patch @ W[p, q]
    if b is not None:
        y = y + b
    return ops.relu(y) if relu else y


def depthwise_conv2d(x, W, b=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """Each channel convolved with its own M filters; twin of ``ops.depthwise_conv2d``.

    Output channel ``c * M + m`` is
    ``y[n, i, j, c, m] = sum_{p,q} x_pad[n, i*s + p*d, j*s + q*d, c] * W[p, q, c, m]``.
    """
    kh, kw, c, m = W.shape
    y = 0.0
    for p, q, patch in _taps(x, kh, kw, strides, pads, dilation):
        y = y + ops.expand_dims(patch, -1) * W[p, q]
    y = ops.reshape(y, y.shape[:3] + (c * m,))
    return y if b is None else y + b
