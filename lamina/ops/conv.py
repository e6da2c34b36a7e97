"""Convolutions on channels-last (NHWC) images, through im2col and one GEMM.

Kernels are laid out as in Keras: ``(kh, kw, in, out)`` for conv2d, ``(kh, kw, out, in)``
for conv2d_transpose and ``(kh, kw, in, depth_multiplier)`` for depthwise_conv2d.
Padding is given explicitly as ``((top, bottom), (left, right))``; ``conv_padding`` turns
Keras's 'valid' / 'same' / 'causal' into those numbers.
"""
from lamina import backend
from lamina.autograd import Function


def conv_padding(size, kernel, stride=1, dilation=1, padding="valid"):
    """Zero padding ``(before, after)`` of one spatial axis, as Keras/TensorFlow pad it.

    'same' pads ``max((ceil(size / stride) - 1) * stride + k - size, 0)`` in total, the odd
    element after (bottom/right); 'causal' pads ``k - 1`` before; 'valid' pads nothing.
    ``k`` is the dilated kernel size ``(kernel - 1) * dilation + 1``.
    """
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (k - 1, 0)
    if padding != "same":
        raise ValueError(f"Unknown padding {padding!r}; expected 'valid', 'same' or 'causal'.")
    total = max((-(-size // stride) - 1) * stride + k - size, 0)
    return (total // 2, total - total // 2)


def conv_output_size(size, kernel, stride=1, dilation=1, pads=(0, 0)):
    """Output length of one spatial axis of a convolution."""
    return (size + pads[0] + pads[1] - (kernel - 1) * dilation - 1) // stride + 1


def pad2d(x, pads, value=0):
    """Pads axes 1 and 2 of an NHWC array by ``((top, bottom), (left, right))`` with ``value``."""
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return x
    xp = backend.get_array_module(x)
    n, h, w, c = x.shape
    out = xp.full((n, h + t + b, w + l + r, c), value, x.dtype)
    out[:, t:t + h, l:l + w] = x
    return out


def crop2d(x, pads, shape):
    """The inverse of ``pad2d``: the ``shape``-sized NHWC window of ``x`` inside ``pads``."""
    (t, _), (l, _) = pads
    return x[:, t:t + shape[1], l:l + shape[2]]


def window_slices(kh, kw, out_hw, strides=(1, 1), dilation=(1, 1)):
    """For each kernel offset (i, j), the strided index of the pixels that offset sees.

    ``x[index]`` has shape ``(N, Ho, Wo, C)``: the input under kernel tap (i, j) for every
    output pixel. Looping over the kh * kw taps (9 for 3x3) replaces loops over pixels.
    """
    (ho, wo), (sh, sw), (dh, dw) = out_hw, strides, dilation
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(None), slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                         slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))


def im2col(x, kh, kw, out_hw, strides=(1, 1), dilation=(1, 1), ones=False):
    """Patch matrix of NHWC ``x``: ``(N * Ho * Wo, kh * kw * C)``, columns in kernel order.

    With ``ones=True`` a last column of ones is appended, so that a bias row under the
    kernel matrix adds the bias inside the same GEMM.
    """
    xp = backend.get_array_module(x)
    n, c = x.shape[0], x.shape[3]
    ho, wo = out_hw
    k = kh * kw * c
    cols = xp.empty((n, ho, wo, k + ones), x.dtype)
    if ones:
        cols[..., k] = 1
    patches = cols[..., :k].reshape(n, ho, wo, kh, kw, c)  # a view: only the last axis is split
    if c > 1:
        # NOTE: a strided view (N, Ho, Wo, kh, kw, C) of x, copied in one call.
        sn, sh, sw, sc = x.strides
        patches[...] = xp.lib.stride_tricks.as_strided(
            x, (n, ho, wo, kh, kw, c),
            (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc))
    else:
        # NOTE: with one channel, copying one tap at a time is about 3x faster than the view.
        for i, j, index in window_slices(kh, kw, out_hw, strides, dilation):
            patches[:, :, :, i, j] = x[index]
    return cols.reshape(n * ho * wo, k + ones)


def col2im(gy, W, shape, out_hw, strides=(1, 1), dilation=(1, 1)):
    """Adjoint of ``im2col`` times the kernel: adds ``gy @ W[i, j].T`` for every tap (i, j)
    onto a zero NHWC array of ``shape``.

    ``gy`` is (N * Ho * Wo, K) and ``W`` is (kh, kw, shape[3], K).
    """
    # NOTE: one small GEMM per tap, added while its result is still in cache, is faster than
    # one large GEMM whose (N, Ho, Wo, kh, kw, C) result is then read back tap by tap. The
    # sums are kept as (H, W, N, C), rows of gy ordered (Ho, Wo, N), so that each tap adds
    # whole (N, C) blocks per pixel instead of C values at a time; the result is a
    # transposed view.
    xp = backend.get_array_module(gy)
    n, c, k = shape[0], shape[3], W.shape[3]
    ho, wo = out_hw
    gy = gy.reshape(n, ho * wo, k).transpose(1, 0, 2).reshape(-1, k)
    x = xp.zeros((shape[1], shape[2], n, c), gy.dtype)
    for i, j, index in window_slices(W.shape[0], W.shape[1], out_hw, strides, dilation):
        x[index[1:]] += (gy @ W[i, j].T).reshape(ho, wo, n, c)
    return x.transpose(2, 0, 1, 3)


def output_hw(padded_shape, kh, kw, strides, dilation):
    """(Ho, Wo) of a window (kh, kw) sliding over a padded NHWC shape; an error if it cannot fit."""
    ho = conv_output_size(padded_shape[1], kh, strides[0], dilation[0])
    wo = conv_output_size(padded_shape[2], kw, strides[1], dilation[1])
    if ho <= 0 or wo <= 0:
        raise ValueError(f"A kernel of size {(kh, kw)} (dilation {tuple(dilation)}) does not fit "
                         f"in an input of spatial size {tuple(padded_shape[1:3])} after padding.")
    return ho, wo


class Conv2D(Function):
    """2-D cross-correlation of NHWC ``x`` with ``W`` (kh, kw, in, out), plus ``b``, then relu
    when ``relu`` is true. Plain twin (a sum over kernel taps): ``reference.conv.conv2d``."""
    # NOTE: fused: im2col copies every patch into one matrix, so the convolution is ONE GEMM
    # (N*Ho*Wo, kh*kw*C + 1) @ (kh*kw*C + 1, F). The extra column of ones meets the bias as
    # the kernel's last row, so the GEMM adds the bias, and the weight-gradient GEMM
    # returns the bias gradient as its last row (no separate sum over N*Ho*Wo rows).
    # A relu is applied in place on the GEMM's result, saving a pass and an array.

    def __init__(self, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), relu=False):
        self.strides, self.pads, self.dilation = tuple(strides), pads, tuple(dilation)
        self.relu = relu

    def forward(self, x, W, b=None):
        xp = backend.get_array_module(x)
        kh, kw, _, f = W.shape
        xpad = pad2d(x, self.pads)
        self.out_hw = output_hw(xpad.shape, kh, kw, self.strides, self.dilation)
        self.cols = im2col(xpad, kh, kw, self.out_hw, self.strides, self.dilation, b is not None)
        self.x_shape, self.padded_shape, self.W = x.shape, xpad.shape, W
        Wb = W.reshape(-1, f)
        if b is not None:
            Wb = xp.concatenate([Wb, b.reshape(1, f).astype(W.dtype, copy=False)])
        y = self.cols @ Wb
        if self.relu:
            xp.maximum(y, 0, out=y)
            self.y = y   # relu's gradient mask is y > 0: made in backward, not when predicting
        return y.reshape(x.shape[0], *self.out_hw, f)

    def backward(self, gy):
        W = self.W
        kh, kw, _, f = W.shape
        gy = gy.reshape(-1, f)
        if self.relu:
            gy = gy * (self.y > 0)
        gx = gW = gb = None
        if self.needs_grad[0]:
            gx = col2im(gy, W, self.padded_shape, self.out_hw, self.strides, self.dilation)
            gx = crop2d(gx, self.pads, self.x_shape)
        if True in self.needs_grad[1:]:
            cols = self.cols
            # NOTE: OpenBLAS runs this product up to 3x faster when the longer of the
            # result's two sides is its last (contiguous) axis.
            gWb = (gy.T @ cols).T if cols.shape[1] > f else cols.T @ gy
            gW = gWb[:kh * kw * W.shape[2]].reshape(W.shape)
            gb = gWb[-1] if len(self.needs_grad) == 3 else None
        return (gx, gW) if len(self.needs_grad) == 2 else (gx, gW, gb)


class Conv2DTranspose(Function):
    """Transposed convolution: the input-gradient of ``Conv2D`` used as a forward op.

    ``W`` is (kh, kw, out, in). ``pads`` and ``out_hw`` describe the convolution this op is
    the transpose of: an input of spatial size ``out_hw`` padded by ``pads``.
    Plain twin: ``reference.conv.conv2d_transpose``.
    """

    def __init__(self, out_hw, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
        self.out_hw, self.strides, self.pads = tuple(out_hw), tuple(strides), pads
        self.dilation = tuple(dilation)

    def forward(self, x, W, b=None):
        kh, kw, f, c = W.shape
        n, h, w, _ = x.shape
        (t, bo), (l, r) = self.pads
        padded = (n, self.out_hw[0] + t + bo, self.out_hw[1] + l + r, f)
        if output_hw(padded, kh, kw, self.strides, self.dilation) != (h, w):
            raise ValueError(f"Conv2DTranspose cannot map spatial size {(h, w)} to "
                             f"{self.out_hw} with kernel {(kh, kw)} and strides {self.strides}.")
        self.x, self.W = x, W
        y = col2im(x.reshape(-1, c), W, padded, (h, w), self.strides, self.dilation)
        y = crop2d(y, self.pads, (n,) + self.out_hw)
        return y + b if b is not None else y.copy()

    def backward(self, gy):
        x, W = self.x, self.W
        kh, kw, _, c = W.shape
        cols = im2col(pad2d(gy, self.pads), kh, kw, x.shape[1:3], self.strides, self.dilation)
        gx = (cols @ W.reshape(-1, c)).reshape(x.shape) if self.needs_grad[0] else None
        gW = (cols.T @ x.reshape(-1, c)).reshape(W.shape) if self.needs_grad[1] else None
        if len(self.needs_grad) == 2:
            return gx, gW
        return gx, gW, gy.sum(axis=(0, 1, 2)) if self.needs_grad[2] else None


class DepthwiseConv2D(Function):
    """Each input channel convolved with its own ``M`` filters: W (kh, kw, C, M) -> C*M channels.

    Output channel ``c * M + m`` is input channel c under filter m, as in TensorFlow.
    Plain twin: ``reference.conv.depthwise_conv2d``.
    """

    def __init__(self, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
        self.strides, self.pads, self.dilation = tuple(strides), pads, tuple(dilation)

    def forward(self, x, W, b=None):
        xp = backend.get_array_module(x)
        kh, kw, c, m = W.shape
        xpad = pad2d(x, self.pads)
        self.out_hw = output_hw(xpad.shape, kh, kw, self.strides, self.dilation)
        self.xpad, self.x_shape, self.W = xpad, x.shape, W
        y = xp.zeros((x.shape[0], *self.out_hw, c, m), x.dtype)
        for i, j, index in window_slices(kh, kw, self.out_hw, self.strides, self.dilation):
            y += xpad[index][..., None] * W[i, j]
        y = y.reshape(x.shape[0], *self.out_hw, c * m)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        W, xpad = self.W, self.xpad
        kh, kw, c, m = W.shape
        gy5 = gy.reshape(gy.shape[:3] + (c, m))
        gx = xp.zeros(xpad.shape, gy.dtype) if self.needs_grad[0] else None
        gW = xp.empty_like(W) if self.needs_grad[1] else None
        for i, j, index in window_slices(kh, kw, self.out_hw, self.strides, self.dilation):
            if gx is not None:
                gx[index] += (gy5 * W[i, j]).sum(axis=-1)
            if gW is not None:
                gW[i, j] = xp.einsum("nhwc,nhwcm->cm", xpad[index], gy5)
        if gx is not None:
            gx = crop2d(gx, self.pads, self.x_shape)
        if len(self.needs_grad) == 2:
            return gx, gW
        return gx, gW, gy.sum(axis=(0, 1, 2)) if self.needs_grad[2] else None


def _args(x, W, b):
    return (x, W) if b is None else (x, W, b)


def conv2d(x, W, b=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1), relu=False):
    """2-D convolution (cross-correlation) of NHWC ``x``, plus bias, then optionally relu.

    Args:
        x: (N, H, W, C) Tensor.
        W: (kh, kw, C, F) kernel.
        b: optional (F,) bias.
        strides, dilation: pairs of ints.
        pads: ((top, bottom), (left, right)) zero padding; see ``conv_padding``.
        relu: apply relu to the result inside the op.

    Returns:
        (N, Ho, Wo, F) Tensor.
    """
    return Conv2D(strides, pads, dilation, relu)(*_args(x, W, b))


def conv2d_transpose(x, W, out_hw, b=None, strides=(1, 1), pads=((0, 0), (0, 0)),
                     dilation=(1, 1)):
    """Transposed 2-D convolution of NHWC ``x`` with ``W`` (kh, kw, F, C) to spatial ``out_hw``.

    ``pads`` is the padding of the convolution it transposes (an input of size ``out_hw``).
    """
    return Conv2DTranspose(out_hw, strides, pads, dilation)(*_args(x, W, b))


def depthwise_conv2d(x, W, b=None, strides=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """Depthwise 2-D convolution of NHWC ``x`` with ``W`` (kh, kw, C, M); returns C*M channels."""
    return DepthwiseConv2D(strides, pads, dilation)(*_args(x, W, b))
