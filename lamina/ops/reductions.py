"""Reductions: sum, mean, max, min over axes, with keepdims."""
from lamina import backend
from lamina.autograd import Function


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim for a in axis))


def _kept_shape(shape, axes):
    """The reduced shape with keepdims=True: reduced axes become 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape = x.shape
        if self.axis is None and not self.keepdims:  # NOTE: a loss's mean, the common case
            self.axes = None
            return x.sum()
        self.axes = _normalize_axis(self.axis, x.ndim)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        if self.axes is None:
            return xp.full(self.shape, gy, gy.dtype)
        gx = xp.empty(self.shape, gy.dtype)
        gx[...] = gy.reshape(_kept_shape(self.shape, self.axes))
        return gx


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // y.size if y.size else 1
        return y / self.count

    def backward(self, gy):
        return super().backward(gy / self.count)


class Max(Function):
    """Max over axes; ties share the gradient equally."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def _reduce(self, x):
        return x.max(axis=self.axes, keepdims=True)

    def forward(self, x):
        self.axes = _normalize_axis(self.axis, x.ndim)
        y = self._reduce(x)
        self.mask = x == y
        return y if self.keepdims else y.squeeze(self.axes)

    def backward(self, gy):
        gy = gy.reshape(_kept_shape(self.mask.shape, self.axes))
        return gy * self.mask / self.mask.sum(axis=self.axes, keepdims=True)


class Min(Max):
    def _reduce(self, x):
        return x.min(axis=self.axes, keepdims=True)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max(axis, keepdims)(x)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return Min(axis, keepdims)(x)


class Cumsum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return x.cumsum(axis=self.axis)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return xp.flip(xp.flip(gy, self.axis).cumsum(axis=self.axis), self.axis)


class Cumprod(Cumsum):
    """Running product; the backward divides by x, so x must have no zeros."""

    def forward(self, x):
        self.x, self.y = x, x.cumprod(axis=self.axis)
        return self.y

    def backward(self, gy):
        return super().backward(gy * self.y) / self.x


def cumsum(x, axis):
    return Cumsum(axis)(x)


def cumprod(x, axis):
    return Cumprod(axis)(x)
