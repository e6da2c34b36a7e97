"""``tf.nn``: TensorFlow's neural-network functions and argument names, mapped onto
lamina.activations and keras.ops (lamina.api)."""
from lamina import activations, ops
from lamina.activations import (elu, relu, relu6, selu, sigmoid, silu, softplus,  # noqa: F401
                                softsign, swish, tanh)
from lamina.api import core, nn
from lamina.api import numpy as knp
from lamina.math import in_top_k, l2_normalize, top_k  # noqa: F401


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit (exact by default, as TensorFlow)."""
    return activations.gelu(features, approximate)


def leaky_relu(features, alpha=0.2, name=None):
    """x where positive, ``alpha * x`` otherwise."""
    return activations.leaky_relu(features, alpha)


def softmax(logits, axis=None, name=None):
    """Softmax over ``axis`` (the last by default)."""
    return activations.softmax(logits, -1 if axis is None else axis)


def log_softmax(logits, axis=None, name=None):
    """Log-softmax over ``axis`` (the last by default)."""
    return activations.log_softmax(logits, -1 if axis is None else axis)


def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Per-example cross-entropy between integer ``labels`` and ``logits``."""
    _need(labels, logits, "sparse_softmax_cross_entropy_with_logits")
    return nn.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def softmax_cross_entropy_with_logits(labels=None, logits=None, axis=-1, name=None):
    """Per-example cross-entropy between probability ``labels`` and ``logits``."""
    _need(labels, logits, "softmax_cross_entropy_with_logits")
    return nn.categorical_crossentropy(labels, logits, from_logits=True, axis=axis)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise binary cross-entropy between ``labels`` and ``logits``."""
    _need(labels, logits, "sigmoid_cross_entropy_with_logits")
    return nn.binary_crossentropy(labels, logits, from_logits=True)


def _need(labels, logits, name):
    if labels is None or logits is None:
        raise ValueError(f"{name} needs both labels= and logits=; got labels={labels!r}, "
                         f"logits={logits!r}.")


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` at ``ids`` (differentiable with respect to ``params``)."""
    return knp.take(params, ids, axis=0)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis."""
    value = core.convert_to_tensor(value)
    if data_format in ("NCHW", "NCW", "NCDHW"):
        bias = knp.reshape(bias, (-1,) + (1,) * (value.ndim - 2))
    return knp.add(value, bias)


def l2_loss(t, name=None):
    """sum(t ** 2) / 2."""
    return knp.sum(knp.square(t)) / 2


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) over ``axes``."""
    return nn.moments(x, axes, keepdims)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset."""
    y = (knp.subtract(x, mean)) / knp.sqrt(knp.add(variance, variance_epsilon))
    if scale is not None:
        y = y * scale
    return y if offset is None else y + offset


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zeroes a fraction ``rate`` of ``x`` and scales the rest by 1 / (1 - rate)."""
    from lamina.api import random
    return random.dropout(x, rate, noise_shape, seed)


def _padding(padding):
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}.")
    return padding.lower()


def _format(data_format):
    return "channels_first" if data_format and data_format.startswith("NC") else "channels_last"


def _spatial(v, n):
    """TensorFlow's strides/ksize (an int, n ints, or n + 2 ints with batch and channel)."""
    v = [v] * n if isinstance(v, int) else list(v)
    return tuple(v[1:-1]) if len(v) == n + 2 else tuple(v * n if len(v) == 1 else v)


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,  # noqa: A002
           name=None):
    """2-D convolution with a (kh, kw, in, out) filter; padding 'SAME' or 'VALID'."""
    return nn.conv(input, filters, _spatial(strides, 2), _padding(padding), _format(data_format),
                   1 if dilations is None else _spatial(dilations, 2))


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,  # noqa: A002
           name=None):
    """1-D convolution with a (k, in, out) filter."""
    return nn.conv(input, filters, _spatial(stride, 1), _padding(padding), _format(data_format),
                   1 if dilations is None else _spatial(dilations, 1))


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Max pooling."""
    return nn.max_pool(input, _spatial(ksize, 2), _spatial(strides, 2), _padding(padding),
                       _format(data_format))


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Average pooling."""
    return nn.average_pool(input, _spatial(ksize, 2), _spatial(strides, 2), _padding(padding),
                           _format(data_format))


max_pool, avg_pool = max_pool2d, avg_pool2d


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """Sum of the (weighted) per-example losses divided by the batch size."""
    loss = core.convert_to_tensor(per_example_loss)
    if sample_weight is not None:
        loss = loss * sample_weight
    size = global_batch_size or (loss.shape[0] if loss.ndim else 1)
    return ops.sum(loss) / size
