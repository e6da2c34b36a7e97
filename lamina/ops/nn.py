"""Neural-network ops, fused where that is faster or numerically safer."""
from lamina import backend
from lamina.autograd import Function, Tensor
from lamina.ops.elementwise import Sigmoid


class ReLU(Function):
    def forward(self, x):
        self.mask = x > 0
        return backend.get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    def __init__(self, negative_slope=0.2):
        self.slope = negative_slope

    def forward(self, x):
        self.mask = x > 0
        return backend.get_array_module(x).where(self.mask, x, x * self.slope)

    def backward(self, gy):
        return backend.get_array_module(gy).where(self.mask, gy, gy * self.slope)


class ELU(Function):
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.mask = x > 0
        self.em1 = xp.expm1(xp.minimum(x, 0))
        return xp.where(self.mask, x, self.alpha * self.em1)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return xp.where(self.mask, gy, gy * self.alpha * (self.em1 + 1))


class Softplus(Function):
    def forward(self, x):
        xp = backend.get_array_module(x)
        self.x = x
        # NOTE: log(1 + e^x) = max(x, 0) + log1p(e^-|x|) never overflows.
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x)))

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return gy * 0.5 * (1 + xp.tanh(0.5 * self.x))


class Softmax(Function):
    """Softmax along ``axis``; plain twin from primitives: ``reference.nn.softmax``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend.get_array_module(x)
        # NOTE: subtracting the max keeps exp from overflowing; the result is unchanged.
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        y = self.y
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


def _log_softmax(x, axis):
    xp = backend.get_array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    return z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    """Log-softmax along ``axis``; plain twin: ``reference.nn.log_softmax``."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.y = _log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


class SparseSoftmaxCrossEntropy(Function):
    """Per-sample -log softmax(logits)[label] over the last axis, from integer labels.
    Plain twin: ``reference.nn.sparse_softmax_cross_entropy``."""
    # NOTE: fused and stable: with z = logits - max, the loss is log(sum(exp(z))) - z[label],
    # and the gradient is softmax - onehot, from the softmax kept by the forward pass.

    def forward(self, logits, labels):
        xp = backend.get_array_module(logits)
        n = logits.shape[-1]
        self.shape = logits.shape
        labels = labels.reshape(-1).astype(xp.int64, copy=False)
        # NOTE: viewed as unsigned, a negative label is huge, so one max() checks both ends
        if labels.size and labels.view(xp.uint64).max() >= n:
            bad = labels[(labels < 0) | (labels >= n)][0]
            raise ValueError(f"Received a label value of {int(bad)} which is outside the valid "
                             f"range of [0, {n - 1}] for sparse categorical crossentropy.")
        z = logits.reshape(-1, n)
        z = z - z.max(axis=-1, keepdims=True)
        p = xp.exp(z)
        total = p.sum(axis=-1)
        p /= total[:, None]
        self.p, self.rows, self.labels = p, xp.arange(labels.size), labels
        return (xp.log(total) - z[self.rows, labels]).reshape(self.shape[:-1])

    def backward(self, gy):
        g = self.p.copy()
        g[self.rows, self.labels] -= 1
        g *= gy.reshape(-1, 1)
        return g.reshape(self.shape), None


class SoftmaxCrossEntropy(Function):
    """Per-sample -sum(targets * log softmax(logits)) over the last axis.
    Plain twin: ``reference.nn.softmax_cross_entropy``."""

    def forward(self, logits, targets):
        self.logp = _log_softmax(logits, -1)
        self.targets = targets
        return -(targets * self.logp).sum(axis=-1)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gy = gy[..., None]
        t = self.targets
        g_logits = gy * (xp.exp(self.logp) * t.sum(axis=-1, keepdims=True) - t)
        g_targets = -gy * self.logp if self.needs_grad[1] else None
        return g_logits, g_targets


class SigmoidCrossEntropy(Function):
    """Elementwise binary cross-entropy of ``targets`` and sigmoid(logits).
    Plain twin: ``reference.nn.sigmoid_cross_entropy``."""
    # NOTE: max(x, 0) - x*t + log1p(exp(-|x|)) is the stable form; gradient sigmoid(x) - t.

    def forward(self, logits, targets):
        xp = backend.get_array_module(logits)
        self.x, self.t = logits, targets
        return xp.maximum(logits, 0) - logits * targets + xp.log1p(xp.exp(-abs(logits)))

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        g_logits = gy * (0.5 * (1 + xp.tanh(0.5 * self.x)) - self.t)
        g_targets = -gy * self.x if self.needs_grad[1] else None
        return g_logits, g_targets


class Dropout(Function):
    """Inverted dropout; the keep mask is drawn in ``forward``, so a replayed step
    (lamina.compile) draws its random numbers in the same order as the eager one."""

    def __init__(self, rate, noise_shape=None, rng=None):
        self.rate, self.noise_shape, self.rng = rate, noise_shape, rng

    def forward(self, x):
        xp = backend.get_array_module(x)
        shape = self.noise_shape or x.shape
        shape = tuple(d if s is None else s for s, d in zip(shape, x.shape))
        keep = backend.random_uniform(self.rng or backend.rng(xp), shape, x.dtype) >= self.rate
        self.mask = keep * x.dtype.type(1 / (1 - self.rate))
        return x * self.mask

    def backward(self, gy):
        return gy * self.mask


def relu(x):
    return ReLU()(x)


def leaky_relu(x, negative_slope=0.2):
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    return ELU(alpha)(x)


def softplus(x):
    return Softplus()(x)


def softmax(x, axis=-1):
    """Softmax along ``axis``; the output remembers its logits for a stable cross-entropy."""
    y = Softmax(axis)(x)
    if axis in (-1, getattr(x, "ndim", 0) - 1):
        y._keras_logits, y._keras_logits_of = x, Softmax
    return y


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)


def sigmoid(x):
    """Sigmoid; the output remembers its logits for a stable binary cross-entropy."""
    y = Sigmoid()(x)
    y._keras_logits, y._keras_logits_of = x, Sigmoid
    return y


def sparse_softmax_cross_entropy(logits, labels):
    return SparseSoftmaxCrossEntropy()(logits, labels)


def softmax_cross_entropy(logits, targets):
    return SoftmaxCrossEntropy()(logits, targets)


def sigmoid_cross_entropy(logits, targets):
    return SigmoidCrossEntropy()(logits, targets)


def dropout(x, rate, noise_shape=None, rng=None):
    """Inverted dropout: zeroes a fraction ``rate`` of ``x`` and scales the rest by 1/(1-rate).

    ``rng`` is a random Generator; default lamina's seeded global one.
    """
    if rate <= 0:
        return x
    return Dropout(rate, noise_shape, rng)(x)


def one_hot(indices, depth, dtype=None):
    """One-hot encodes integer ``indices`` along a new last axis of size ``depth``.

    Indices outside [0, depth) give all-zero rows, as in TensorFlow.
    """
    data = indices.data if isinstance(indices, Tensor) else backend.to_device(indices)
    xp = backend.get_array_module(data)
    data = xp.asarray(data).astype(xp.int64)
    out = (data[..., None] == xp.arange(depth)).astype(dtype or backend.floatx())
    return Tensor._wrap(out)
