"""Activation functions, as in ``keras.activations``.

Each one takes a lamina Tensor, a NumPy/CuPy array, a list or a scalar and returns
a Tensor, so ``activations.relu(x)`` can be trained through or plotted directly.
Most are compositions of ``lamina.ops``; the hot ones (relu, sigmoid, softmax, ...)
are single fused ops.
"""
import math as _math

from lamina import _config
from lamina import backend as _backend
from lamina import ops as _ops
from lamina.autograd import as_tensor as _as_any_tensor
from lamina.serialization import object_registration as _registry

__all__ = [
    "crelu", "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish",
    "leaky_relu", "linear", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid",
    "silu", "softmax", "softplus", "softsign", "swish", "tanh",
    "get", "serialize", "deserialize",
]

# Constants of Klambauer et al. (2017), the same digits Keras uses.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _as_tensor(x):
    """Returns ``x`` as a float Tensor (lists, scalars and integer data become floatx)."""
    x = _as_any_tensor(x)
    return x if x.dtype.kind == "f" else _as_any_tensor(x.data.astype(_backend.floatx()))


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, alpha=None):
    """Rectified linear unit: ``max(x, 0)`` with the default arguments.

    With arguments, returns ``x`` above ``threshold`` (clipped to ``max_value`` if
    given) and ``negative_slope * (x - threshold)`` below it.

    Args:
        x: input Tensor or array-like.
        negative_slope: slope below the threshold.
        max_value: largest value returned, or None for no limit.
        threshold: values up to this one are damped (zero when negative_slope is 0).
        alpha: Keras 2 name of ``negative_slope``.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    if alpha is not None:
        if negative_slope != 0.0:
            raise ValueError(f"relu() got both negative_slope={negative_slope!r} and "
                             f"alpha={alpha!r}; alpha is the Keras 2 name, pass only one.")
        negative_slope = alpha
    x = _as_tensor(x)
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return _ops.relu(x)  # the hot path: one fused op
        return _ops.leaky_relu(x, negative_slope)
    if threshold != 0:
        y = _ops.where(x.data > threshold, x, 0.0)
    else:
        y = _ops.relu(x)
    if max_value is not None:
        y = _ops.clip(y, 0, max_value)
    if negative_slope != 0:
        y = y - negative_slope * _ops.relu(threshold - x)
    return y


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.clip(_as_tensor(x), 0, 6)


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` if ``x > 0`` else ``negative_slope * x``.

    Args:
        x: input Tensor or array-like.
        negative_slope: slope for negative inputs.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.leaky_relu(_as_tensor(x), negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        x: input Tensor or array-like.
        alpha: value approached for large negative inputs (as ``-alpha``).

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.elu(_as_tensor(x), alpha)


def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with the self-normalising constants.

    Use it with the ``lecun_normal`` initializer.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _SELU_SCALE * _ops.elu(_as_tensor(x), _SELU_ALPHA)


def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * P(X <= x)`` for a standard normal X.

    Args:
        x: input Tensor or array-like.
        approximate: use the tanh approximation
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``
            instead of the exact ``0.5 * x * (1 + erf(x / sqrt(2)))``.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    x = _as_tensor(x)
    if approximate:
        inner = _math.sqrt(2 / _math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1 + _ops.tanh(inner))
    return 0.5 * x * (1 + _ops.erf(x * (1 / _math.sqrt(2))))


def sigmoid(x):
    """Logistic sigmoid: ``1 / (1 + exp(-x))``.

    The output remembers its logits so ``binary_crossentropy`` can be computed stably.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``, with values in (0, 1).
    """
    return _ops.sigmoid(_as_tensor(x))


def hard_sigmoid(x):
    """Piecewise linear sigmoid (Keras 3): ``relu6(x + 3) / 6``.

    0 for ``x <= -3``, 1 for ``x >= 3``, ``x / 6 + 0.5`` in between.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.clip(_as_tensor(x) + 3, 0, 6) / 6


def silu(x):
    """Sigmoid linear unit, also called swish: ``x * sigmoid(x)``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    x = _as_tensor(x)
    return x * _ops.sigmoid(x)


swish = silu


def hard_silu(x):
    """Hard SiLU, also called hard swish: ``x * hard_sigmoid(x)``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    x = _as_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def mish(x):
    """Mish: ``x * tanh(softplus(x))``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    x = _as_tensor(x)
    return x * _ops.tanh(_ops.softplus(x))


def softplus(x):
    """Softplus: ``log(exp(x) + 1)``, computed without overflow.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.softplus(_as_tensor(x))


def softsign(x):
    """Softsign: ``x / (abs(x) + 1)``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    x = _as_tensor(x)
    return x / (_ops.abs(x) + 1)


def tanh(x):
    """Hyperbolic tangent.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``, with values in (-1, 1).
    """
    return _ops.tanh(_as_tensor(x))


def exponential(x):
    """Exponential: ``exp(x)``.

    Args:
        x: input Tensor or array-like.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.exp(_as_tensor(x))


def linear(x):
    """Identity: returns ``x`` unchanged (as a Tensor).

    Args:
        x: input Tensor or array-like.

    Returns:
        ``x`` itself when it is a float Tensor, else a new Tensor of its values.
    """
    return _as_tensor(x)


def softmax(x, axis=-1):
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``, a probability distribution.

    The output remembers its logits so ``categorical_crossentropy`` can be computed stably.

    Args:
        x: input Tensor or array-like.
        axis: the axis that sums to 1.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.softmax(_as_tensor(x), axis)


def log_softmax(x, axis=-1):
    """Logarithm of the softmax along ``axis``, computed stably.

    Args:
        x: input Tensor or array-like.
        axis: the axis the softmax is taken along.

    Returns:
        A Tensor of the same shape as ``x``.
    """
    return _ops.log_softmax(_as_tensor(x), axis)


def crelu(x, axis=-1):
    """Concatenated ReLU: ``concatenate([relu(x), relu(-x)], axis)``.

    Args:
        x: input Tensor or array-like.
        axis: the axis the two halves are joined along.

    Returns:
        A Tensor twice as long as ``x`` along ``axis``.
    """
    x = _as_tensor(x)
    return _ops.concatenate([_ops.relu(x), _ops.relu(-x)], axis)


_ALL = {fn.__name__: fn for fn in (
    crelu, elu, exponential, gelu, hard_sigmoid, hard_silu, leaky_relu, linear,
    log_softmax, mish, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, tanh)}
_ALL["swish"] = silu
_ALL["hard_swish"] = hard_silu
_registry.register_builtins("activations", _ALL)


def serialize(activation):
    """Returns the name of an activation function, for a layer's config.

    Args:
        activation: one of this module's functions, or a custom named function.

    Returns:
        The name, e.g. 'relu' (``swish`` gives 'silu', its Keras name).
    """
    name = getattr(activation, "__name__", None)
    if name is None or name == "<lambda>" or not callable(activation):
        raise ValueError(f"Cannot serialize activation {activation!r}: expected a function "
                         f"with a name, such as one of {sorted(_ALL)}.")
    return name


def deserialize(config, custom_objects=None):
    """Returns the activation function named by ``config``.

    Args:
        config: a name such as 'relu', or a Keras 3 dict whose 'config' is the name.
        custom_objects: optional dict of extra name -> function.

    Returns:
        The function.
    """
    name = config.get("config") if isinstance(config, dict) else config
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if not isinstance(name, str) or name not in _ALL:
        raise ValueError(f"Unknown activation {config!r}; expected one of {sorted(_ALL)}.")
    return _ALL[name]


def get(identifier):
    """Returns an activation function from a name, a function or None.

    Args:
        identifier: None (gives ``linear``), a name such as 'relu', a Keras 3 config
            dict, or any callable (returned as is).

    Returns:
        A function of one Tensor.
    """
    if identifier is None:
        return linear
    return _config.lookup(identifier, _ALL, "activation", None, deserialize)
