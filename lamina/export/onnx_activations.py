"""The activation functions of ``lamina.activations`` as ONNX nodes.

Each one is written the way lamina computes it (``selu`` as ``scale * elu``, ``gelu``
with ``erf``, ``hard_sigmoid`` as ``clip(x + 3, 0, 6) / 6``), so the exported graph
gives the same float32 results as ``model.predict``.
"""
import math

from lamina import activations as A
from lamina.export.onnx_graph import unsupported


def _clip(g, x, low, high, hint):
    return g.op("Clip", [x, g.scalar(low, "min"), g.scalar(high, "max")], hint)


def _hard_sigmoid(g, x, hint):
    y = _clip(g, g.add(x, g.scalar(3.0)), 0.0, 6.0, hint)
    return g.op("Div", [y, g.scalar(6.0)], hint)


def _gelu(g, x, hint):
    erf = g.op("Erf", [g.mul(x, g.scalar(1 / math.sqrt(2)))], hint)
    return g.mul(g.mul(x, g.scalar(0.5)), g.add(erf, g.scalar(1.0)), hint)


def _softplus(g, x, hint):
    return g.op("Softplus", [x], hint)


_TABLE = {
    A.linear: lambda g, x, h: g.op("Identity", [x], h),
    A.relu: lambda g, x, h: g.op("Relu", [x], h),
    A.relu6: lambda g, x, h: _clip(g, x, 0.0, 6.0, h),
    A.leaky_relu: lambda g, x, h: g.op("LeakyRelu", [x], h, alpha=0.2),
    A.elu: lambda g, x, h: g.op("Elu", [x], h, alpha=1.0),
    A.selu: lambda g, x, h: g.mul(g.op("Elu", [x], h, alpha=A._SELU_ALPHA),
                                  g.scalar(A._SELU_SCALE), h),
    A.gelu: _gelu,
    A.sigmoid: lambda g, x, h: g.op("Sigmoid", [x], h),
    A.hard_sigmoid: _hard_sigmoid,
    A.silu: lambda g, x, h: g.mul(x, g.op("Sigmoid", [x], h), h),
    A.hard_silu: lambda g, x, h: g.mul(x, _hard_sigmoid(g, x, h), h),
    A.mish: lambda g, x, h: g.mul(x, g.op("Tanh", [_softplus(g, x, h)], h), h),
    A.softplus: _softplus,
    A.softsign: lambda g, x, h: g.op("Softsign", [x], h),
    A.tanh: lambda g, x, h: g.op("Tanh", [x], h),
    A.exponential: lambda g, x, h: g.op("Exp", [x], h),
    A.softmax: lambda g, x, h: g.op("Softmax", [x], h, axis=-1),
    A.log_softmax: lambda g, x, h: g.op("LogSoftmax", [x], h, axis=-1),
    A.crelu: lambda g, x, h: g.op("Concat", [g.op("Relu", [x], h),
                                             g.op("Relu", [g.op("Neg", [x], h)], h)], h, axis=-1),
}

EXPORTED = sorted(fn.__name__ for fn in _TABLE)


def activation(g, fn, x, layer):
    """Adds the nodes of activation ``fn`` applied to ``x``; returns the output name.

    Raises:
        ValueError: naming ``layer``, if ``fn`` is not one of lamina's activations.
    """
    if fn not in _TABLE:
        raise unsupported(layer, f"its activation {getattr(fn, '__name__', fn)!r} is not one "
                                 f"of lamina's activations ({', '.join(EXPORTED)}).")
    return _TABLE[fn](g, x, f"{layer.name}/{fn.__name__}")


def relu(g, x, negative_slope, max_value, threshold, hint):
    """``activations.relu`` with its arguments, as lamina computes it."""
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return g.op("Relu", [x], hint)
        return g.op("LeakyRelu", [x], hint, alpha=float(negative_slope))
    if threshold != 0:
        keep = g.op("Greater", [x, g.scalar(threshold)], hint)
        y = g.op("Where", [keep, x, g.scalar(0.0)], hint)
    else:
        y = g.op("Relu", [x], hint)
    if max_value is not None:
        y = _clip(g, y, 0.0, max_value, hint)
    if negative_slope != 0:
        below = g.op("Relu", [g.op("Sub", [g.scalar(threshold), x], hint)], hint)
        y = g.op("Sub", [y, g.mul(g.scalar(negative_slope), below, hint)], hint)
    return y
