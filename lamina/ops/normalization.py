"""Normalization: ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` in one op."""
from lamina import backend
from lamina.autograd import Function


class Normalize(Function):
    """Normalizes ``x`` with the mean and (biased) variance over ``axes``, then scales and shifts.

    Batch normalization in training takes the statistics over every axis but the channel
    axis, layer normalization over the feature axes. ``gamma`` and ``beta`` broadcast
    against ``x``. The outputs are ``y``, then the mean and the variance (keepdims shape),
    which carry no gradient.
    """
    # NOTE: fused: the backward pass is the closed form
    #   gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps),  g = gy * gamma,
    # one pass instead of the ten small ops the composition would record.

    def __init__(self, axes, epsilon=1e-3):
        self.axes, self.epsilon = tuple(axes), epsilon

    def forward(self, x, gamma, beta):
        xp = backend.get_array_module(x)
        self.mean = x.mean(axis=self.axes, keepdims=True)
        xc = x - self.mean
        self.var = (xc * xc).mean(axis=self.axes, keepdims=True)
        self.inv = 1 / xp.sqrt(self.var + x.dtype.type(self.epsilon))
        self.xhat = xc * self.inv
        self.gamma = gamma
        return self.xhat * gamma + beta, self.mean, self.var

    def backward(self, gy, *_):   # the statistics' gradients: no use has one (see normalize)
        xhat, axes = self.xhat, self.axes
        g = gy * self.gamma
        gx = None
        if self.needs_grad[0]:
            gx = g - g.mean(axis=axes, keepdims=True)
            gx -= xhat * (g * xhat).mean(axis=axes, keepdims=True)
            gx *= self.inv
        ggamma = gy * xhat if self.needs_grad[1] else None
        return gx, ggamma, gy if self.needs_grad[2] else None


def normalize(x, gamma, beta, axes, epsilon=1e-3):
    """Normalizes ``x`` over ``axes``; returns Tensors ``(y, mean, var)``.

    The statistics are for reading (a BatchNormalization's moving averages, under
    ``no_grad``): no gradient flows back through them.

    Args:
        x: Tensor.
        gamma, beta: Tensors or numbers broadcasting against ``x``.
        axes: axes to take the mean and variance over.
        epsilon: added to the variance.
    """
    return Normalize(axes, epsilon)(x, gamma, beta)
