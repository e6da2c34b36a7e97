"""Pooling, zero padding and upsampling of channels-last (NHWC) images.

Every op loops over the few offsets of a window (4 for 2x2 pooling) and works on whole
strided slices, never over pixels.
"""
from lamina import backend
from lamina.autograd import Function
from lamina.ops.conv import output_hw, crop2d, pad2d, window_slices


class MaxPool2D(Function):
    """Maximum over each ``pool`` window; padding counts as -inf. Twin: ``reference.pooling``."""

    def __init__(self, pool, strides, pads=((0, 0), (0, 0))):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), pads

    def forward(self, x):
        xp = backend.get_array_module(x)
        (ph, pw), s = self.pool, self.strides
        self.xpad = xpad = pad2d(x, self.pads, -xp.inf)
        self.out_hw = output_hw(xpad.shape, ph, pw, s, (1, 1))
        self.x_shape = x.shape
        y = None
        for _, _, index in window_slices(ph, pw, self.out_hw, s):
            y = xpad[index].copy() if y is None else xp.maximum(y, xpad[index], out=y)
        self.y = y
        return y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        (ph, pw), s = self.pool, self.strides
        overlap = s[0] < ph or s[1] < pw
        shape = self.xpad.shape
        tiled = (ph, pw) == s and shape[1:3] == (self.out_hw[0] * ph, self.out_hw[1] * pw)
        gx = (xp.empty if tiled else xp.zeros)(shape, gy.dtype)  # NOTE: tiled: all written
        # NOTE: on ties only the first maximum of a window (row-major) gets the gradient, as
        # in TensorFlow and PyTorch: a tap takes the windows where it holds the maximum and
        # no earlier tap did (``taken``), in boolean passes, cheaper than float ones.
        hit, taken = xp.empty(gy.shape, bool), xp.zeros(gy.shape, bool)
        for _, _, index in window_slices(ph, pw, self.out_hw, s):
            xp.equal(self.xpad[index], self.y, out=hit)
            xp.greater(hit, taken, out=hit)   # hit and not taken
            taken |= hit
            if overlap:
                gx[index] += gy * hit
            else:
                xp.multiply(gy, hit, out=gx[index])
        return crop2d(gx, self.pads, self.x_shape)


def _window_counts(xp, size, pool, stride, pads, out):
    """How many real (unpadded) elements each output window covers along one axis."""
    start = xp.arange(out) * stride - pads[0]
    return xp.minimum(start + pool, size) - xp.maximum(start, 0)


class AvgPool2D(Function):
    """Mean over each ``pool`` window; padded elements are not counted (as in TensorFlow).
    Plain twin, one output pixel at a time: ``reference.pooling.avg_pool2d``."""

    def __init__(self, pool, strides, pads=((0, 0), (0, 0))):
        self.pool, self.strides, self.pads = tuple(pool), tuple(strides), pads

    def forward(self, x):
        xp = backend.get_array_module(x)
        (ph, pw), s = self.pool, self.strides
        xpad = pad2d(x, self.pads)
        self.out_hw = (ho, wo) = output_hw(xpad.shape, ph, pw, s, (1, 1))
        self.x_shape, self.padded_shape = x.shape, xpad.shape
        if any(self.pads[0] + self.pads[1]):
            ch = _window_counts(xp, x.shape[1], ph, s[0], self.pads[0], ho)
            cw = _window_counts(xp, x.shape[2], pw, s[1], self.pads[1], wo)
            self.scale = (1.0 / (ch[:, None] * cw[None, :]))[:, :, None].astype(x.dtype)
        else:
            self.scale = x.dtype.type(1.0 / (ph * pw))
        y = None
        for _, _, index in window_slices(ph, pw, self.out_hw, s):
            y = xpad[index].copy() if y is None else xp.add(y, xpad[index], out=y)
        y *= self.scale
        return y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        (ph, pw), s = self.pool, self.strides
        g = gy * self.scale
        gx = xp.zeros(self.padded_shape, gy.dtype)
        for _, _, index in window_slices(ph, pw, self.out_hw, s):
            gx[index] += g
        return crop2d(gx, self.pads, self.x_shape)


class Pad(Function):
    """Zero padding; ``widths`` holds one ``(before, after)`` pair per axis."""

    def __init__(self, widths):
        self.widths = [tuple(w) for w in widths]

    def forward(self, x):
        xp = backend.get_array_module(x)
        shape = tuple(n + a + b for n, (a, b) in zip(x.shape, self.widths))
        self.index = tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, self.widths))
        y = xp.zeros(shape, x.dtype)
        y[self.index] = x
        return y

    def backward(self, gy):
        return gy[self.index]


class Crop(Function):
    """Keeps ``x[index]`` for a tuple of slices; the gradient is zero outside it."""

    def __init__(self, index):
        self.index = tuple(index)

    def forward(self, x):
        self.x_shape = x.shape
        return x[self.index]

    def backward(self, gy):
        gx = backend.get_array_module(gy).zeros(self.x_shape, gy.dtype)
        gx[self.index] = gy
        return gx


class UpSampleNearest2D(Function):
    """Repeats every pixel of NHWC ``x`` ``size[0]`` times down and ``size[1]`` times across."""

    def __init__(self, size):
        self.size = tuple(size)

    def forward(self, x):
        xp = backend.get_array_module(x)
        n, h, w, c = x.shape
        sh, sw = self.size
        y = xp.broadcast_to(x[:, :, None, :, None, :], (n, h, sh, w, sw, c))
        return y.reshape(n, h * sh, w * sw, c)

    def backward(self, gy):
        n, h2, w2, c = gy.shape
        sh, sw = self.size
        return gy.reshape(n, h2 // sh, sh, w2 // sw, sw, c).sum(axis=(2, 4))


def _bilinear_matrix(xp, size, out, dtype):
    """(out, size) matrix of half-pixel bilinear weights, as TensorFlow's resize and PyTorch's
    ``interpolate(align_corners=False)`` use."""
    src = xp.maximum((xp.arange(out) + 0.5) * (size / out) - 0.5, 0)
    lo = xp.floor(src).astype(int)
    hi = xp.minimum(lo + 1, size - 1)
    frac = src - lo
    A = xp.zeros((out, size), dtype)
    rows = xp.arange(out)
    A[rows, lo] += 1 - frac
    A[rows, hi] += frac
    return A


class ResizeBilinear2D(Function):
    """Bilinear resize of NHWC ``x`` to ``out_hw``: ``y = Ah @ x @ Aw.T`` for each channel."""

    def __init__(self, out_hw):
        self.out_hw = tuple(out_hw)

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.Ah = _bilinear_matrix(xp, x.shape[1], self.out_hw[0], x.dtype)
        self.Aw = _bilinear_matrix(xp, x.shape[2], self.out_hw[1], x.dtype)
        return xp.einsum("ph,nhwc,qw->npqc", self.Ah, x, self.Aw, optimize=True)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return xp.einsum("ph,npqc,qw->nhwc", self.Ah, gy, self.Aw, optimize=True)


def max_pool2d(x, pool_size, strides, pads=((0, 0), (0, 0))):
    """Max pooling of NHWC ``x``.

    Args:
        x: (N, H, W, C) Tensor.
        pool_size, strides: pairs of ints.
        pads: ((top, bottom), (left, right)); see ``lamina.ops.conv.conv_padding``.

    Returns:
        (N, Ho, Wo, C) Tensor.
    """
    return MaxPool2D(pool_size, strides, pads)(x)


def avg_pool2d(x, pool_size, strides, pads=((0, 0), (0, 0))):
    """Average pooling of NHWC ``x``; a window's mean counts only its unpadded elements."""
    return AvgPool2D(pool_size, strides, pads)(x)


def pad(x, widths):
    """Zero-pads ``x`` by ``widths``, one ``(before, after)`` pair per axis."""
    return Pad(widths)(x)


def crop(x, widths):
    """Removes ``widths`` (one ``(before, after)`` pair per axis) from the ends of ``x``'s axes."""
    return Crop(slice(a, n - b) for n, (a, b) in zip(x.shape, widths))(x)


def upsample2d(x, size, interpolation="nearest"):
    """Upsamples NHWC ``x`` by integer factors ``size``, 'nearest' or 'bilinear'."""
    if interpolation == "nearest":
        return UpSampleNearest2D(size)(x)
    if interpolation == "bilinear":
        return ResizeBilinear2D((x.shape[1] * size[0], x.shape[2] * size[1]))(x)
    raise ValueError(f"Unknown interpolation {interpolation!r}; expected 'nearest' or 'bilinear'.")
