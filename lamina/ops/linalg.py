"""Matrix products."""
from lamina import backend
from lamina.autograd import Function
from lamina.ops.shape import reshape


class MatMul(Function):
    """a @ b for arrays of 2 or more axes, batch axes broadcast as in NumPy."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        ga = gy @ xp.swapaxes(self.b, -1, -2) if self.needs_grad[0] else None
        gb = xp.swapaxes(self.a, -1, -2) @ gy if self.needs_grad[1] else None
        return ga, gb


class Linear(Function):
    """x @ W + b in one op, optionally followed by relu: the Dense layer's forward.
    Plain twin, from primitives: ``reference.nn.linear``."""
    # NOTE: fused for speed: one op instead of two or three, the bias gradient is a column
    # sum, and the input gradient is skipped when the input needs none (the data).

    def __init__(self, relu=False):
        self.relu = relu

    def forward(self, x, W, b=None):
        self.x, self.W = x, W
        y = x @ W
        if b is not None:
            y += b
        if self.relu:
            backend.get_array_module(y).maximum(y, 0, out=y)
            self.y = y   # relu's gradient mask is y > 0: made in backward, not when predicting
        return y

    def backward(self, gy):
        if self.relu:
            gy = gy * (self.y > 0)
        x = self.x
        gx = gy @ self.W.T if self.needs_grad[0] else None
        if x.ndim > 2:
            x = x.reshape(-1, x.shape[-1])
            gy = gy.reshape(-1, gy.shape[-1])
        gW = x.T @ gy if self.needs_grad[1] else None
        if len(self.needs_grad) == 2:
            return gx, gW
        return gx, gW, gy.sum(axis=0)


def matmul(a, b):
    """Matrix product; a 1-D operand is treated as a row (a) or a column (b)."""
    if a.ndim == 1 and b.ndim == 1:
        return reshape(MatMul()(reshape(a, (1, -1)), reshape(b, (-1, 1))), ())
    if a.ndim == 1:
        y = MatMul()(reshape(a, (1, -1)), b)
        return reshape(y, y.shape[:-2] + y.shape[-1:])
    if b.ndim == 1:
        return reshape(MatMul()(a, reshape(b, (-1, 1))), a.shape[:-1])
    return MatMul()(a, b)


def linear(x, W, b=None, relu=False):
    """x @ W + b (b optional), then relu when ``relu`` is true."""
    return Linear(relu)(x, W) if b is None else Linear(relu)(x, W, b)


class Inv(Function):
    """Inverse of square matrices (batched): gx = -Y^T gy Y^T with Y = inv(x)."""

    def forward(self, x):
        self.y = backend.get_array_module(x).linalg.inv(x)
        return self.y

    def backward(self, gy):
        yt = backend.get_array_module(gy).swapaxes(self.y, -1, -2)
        return -(yt @ gy @ yt)


class LogAbsDet(Function):
    """log|det(x)| of square matrices (batched): gx = gy * inv(x)^T."""

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.x = x
        return xp.linalg.slogdet(x)[1].astype(x.dtype)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return gy[..., None, None] * xp.swapaxes(xp.linalg.inv(self.x), -1, -2)


def inv(x):
    return Inv()(x)


def logabsdet(x):
    return LogAbsDet()(x)
