"""Convolution as a sum over kernel taps: the plain twins of ``lamina.ops.conv``.

The fast ``Conv2D`` copies every patch into one im2col matrix and does one GEMM; here each
tap (p, q) of the kernel multiplies the strided slice of the input it meets, and the taps
are summed: ``y[n, i, j] = b + sum_{p,q} x_pad[n, i*s + p*d, j*s + q*d] @ W[p, q]``.
The transposed convolution runs it backwards: every input pixel spreads into the output
window it would have been computed from. Autograd derives the backward passes from the
slices and products.
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


def _spread(t, stride, axis):
    """Puts ``stride - 1`` zeros between neighbours along ``axis``."""
    if stride == 1:
        return t
    widths = [(0, 0)] * (t.ndim + 1)
    widths[axis + 1] = (0, stride - 1)
    t = ops.pad(ops.expand_dims(t, axis + 1), widths)
    shape = list(t.shape)
    shape[axis:axis + 2] = [shape[axis] * stride]
    index = [slice(None)] * len(shape)
    index[axis] = slice(0, shape[axis] - stride + 1)
    return ops.reshape(t, shape)[tuple(index)]


def conv2d_transpose(x, W, out_hw, b=None, strides=(1, 1), pads=((0, 0), (0, 0)),
                     dilation=(1, 1)):
    """The adjoint of ``conv2d``; twin of ``ops.conv2d_transpose``. ``W`` is (kh, kw, F, C).

    Input pixel (i, j) adds ``x[n, i, j] @ W[p, q].T`` to pixel ``(i*s + p*d, j*s + q*d)`` of
    the padded output, for every tap (p, q); the padding is then cut off.
    """
    (top, bottom), (left, right) = pads
    height, width = out_hw[0] + top + bottom, out_hw[1] + left + right
    spread = _spread(_spread(x, strides[0], 1), strides[1], 2)
    y = 0.0
    for p in range(W.shape[0]):
        for q in range(W.shape[1]):
            r0, c0 = p * dilation[0], q * dilation[1]
            part = spread @ ops.transpose(W[p, q])
            y = y + ops.pad(part, ((0, 0), (r0, height - r0 - part.shape[1]),
                                   (c0, width - c0 - part.shape[2]), (0, 0)))
    y = y[:, top:top + out_hw[0], left:left + out_hw[1], :]
    return y if b is None else y + b
