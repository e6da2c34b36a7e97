"""keras.ops nn family: activations, cross-entropies, convolution and pooling, normalization.

Activations come from ``lamina.activations`` (same formulas as the layers use); the rest
composes the engine's ops. Spatial ops take channels-last inputs by default, as Keras.
"""
import math

import numpy as np

from lamina import activations, backend, ops
from lamina.api import numpy as knp
from lamina.api._util import data, make_symbolic, pair, wrap
from lamina.api.core import convert_to_tensor
from lamina.ops.conv import conv_output_size, conv_padding

_t = convert_to_tensor
_EPSILON = 1e-7

relu6 = activations.relu6
sigmoid = activations.sigmoid
softplus = activations.softplus
softsign = activations.softsign
silu = swish = activations.silu
hard_sigmoid = activations.hard_sigmoid
hard_silu = hard_swish = activations.hard_silu
elu = activations.elu
selu = activations.selu
softmax = activations.softmax
log_softmax = activations.log_softmax


def relu(x):
    """max(x, 0)."""
    return activations.relu(x)


def leaky_relu(x, negative_slope=0.2):
    """x where positive, ``negative_slope * x`` otherwise."""
    return activations.leaky_relu(x, negative_slope)


def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation by default, as keras.ops)."""
    return activations.gelu(x, approximate)


def _float(x):
    return knp._float(x)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), computed stably."""
    return -ops.softplus(-_float(x))


def celu(x, alpha=1.0):
    """max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)."""
    x = _float(x)
    return ops.relu(x) + ops.minimum(alpha * (ops.exp(x / alpha) - 1), 0.0)


def glu(x, axis=-1):
    """Gated linear unit: a * sigmoid(b), with x split in halves a and b along ``axis``."""
    a, b = knp.split(_float(x), 2, axis)
    return a * ops.sigmoid(b)


def tanh_shrink(x):
    """x - tanh(x)."""
    x = _float(x)
    return x - ops.tanh(x)


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return ops.clip(_float(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = _float(x)
    return ops.where(backend.get_array_module(x.data).abs(x.data) > threshold, x, 0.0)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    x = _float(x)
    return ops.relu(x - threshold) - ops.relu(-x - threshold)


def threshold(x, threshold, default_value):
    """x where x > threshold, else ``default_value``."""
    x = _float(x)
    return ops.where(x.data > threshold, x, default_value)


def squareplus(x, b=4):
    """(x + sqrt(x ** 2 + b)) / 2."""
    x = _float(x)
    return (x + ops.sqrt(x * x + b)) / 2


def sparse_plus(x):
    """0 for x <= -1, (x + 1) ** 2 / 4 for -1 < x < 1, x for x >= 1."""
    x = _float(x)
    middle = (x + 1) * (x + 1) / 4
    return ops.where(x.data <= -1, 0.0, ops.where(x.data >= 1, x, middle))


def sparse_sigmoid(x):
    """0 for x <= -1, (x + 1) / 2 in between, 1 for x >= 1."""
    return ops.clip((_float(x) + 1) / 2, 0.0, 1.0)


def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the probability simplex along ``axis``."""
    x = _float(x)
    z = knp.moveaxis(x, axis, -1)
    ordered = knp.flip(knp.sort(z, -1), -1)
    k = backend.get_array_module(x.data).arange(1, z.shape[-1] + 1, dtype=x.dtype)
    running = ops.cumsum(ordered, -1)
    support = (1 + k * ordered.data) > running.data
    count = support.sum(axis=-1, keepdims=True)
    tau = (knp.take_along_axis(running, count - 1, -1) - 1) / wrap(count, x.dtype)
    return knp.moveaxis(ops.relu(z - tau), -1, axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encoding of integer ``x`` on a new axis of size ``num_classes``."""
    out = ops.one_hot(x, num_classes, dtype or backend.floatx())
    return out if axis in (-1, out.ndim - 1) else knp.moveaxis(out, -1, axis)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot encoding: 1 for every class present in each row of integer ``inputs``."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    hot = ops.one_hot(inputs, num_classes, dtype or backend.floatx())
    reduce_axis = -2 if hot.ndim > 1 else None
    out = wrap(hot.data.max(axis=reduce_axis if _t(inputs).ndim > 1 else 0))
    return out if axis in (-1, out.ndim - 1) else knp.moveaxis(out, -1, axis)


def _same_shape(target, output, name):
    """(target, output) as float Tensors of one shape."""
    output = _float(output)
    target = pair(output, target)[1]
    if target.shape != output.shape:
        raise ValueError(f"{name} expects target and output of the same shape, got "
                         f"{target.shape} and {output.shape}.")
    return target, output


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no reduction)."""
    target, output = _same_shape(target, output, "binary_crossentropy")
    if from_logits:
        return ops.sigmoid_cross_entropy(output, target)
    p = ops.clip(output, _EPSILON, 1 - _EPSILON)
    return -(target * ops.log(p) + (1 - target) * ops.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy over ``axis`` between one-hot (or soft) targets and the output."""
    target, output = _same_shape(target, output, "categorical_crossentropy")
    if from_logits:
        log_p = ops.log_softmax(output, axis)
    else:
        p = output / ops.sum(output, axis, keepdims=True)
        log_p = ops.log(ops.clip(p, _EPSILON, 1 - _EPSILON))
    return -ops.sum(target * log_p, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy over ``axis`` between integer labels and the output."""
    output = _float(output)
    labels = data(target).astype(np.int64)
    if labels.ndim == output.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != output.shape[:axis % output.ndim] + output.shape[axis % output.ndim + 1:]:
        raise ValueError("sparse_categorical_crossentropy expects target of shape "
                         f"{output.shape[:-1]} for output of shape {output.shape}, got "
                         f"{labels.shape}.")
    hot = one_hot(labels, output.shape[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(hot, output, from_logits, axis)


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``."""
    x = _float(x)
    return knp.mean(x, axes, keepdims), knp.var(x, axes, keepdims)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, statistics along ``axis``."""
    x = _float(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def fit(v):
        v = pair(x, v)[1]
        return ops.reshape(v, shape) if v.ndim == 1 else v
    y = (x - fit(mean)) / ops.sqrt(fit(variance) + epsilon)
    if scale is not None:
        y = y * fit(scale)
    return y if offset is None else y + fit(offset)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """x normalized over ``axis`` (mean 0, variance 1), then scaled and shifted."""
    x = _float(x)
    mean, var = moments(x, axis, keepdims=True)
    y = (x - mean) / ops.sqrt(var + (1e-3 if epsilon is None else epsilon))
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """x / sqrt(mean(x ** 2) + epsilon) over ``axis``, times ``scale``."""
    x = _float(x)
    eps = np.finfo(x.dtype).eps if epsilon is None else epsilon
    y = x / ops.sqrt(ops.mean(x * x, axis, keepdims=True) + eps)
    return y if scale is None else y * scale


def normalize(x, axis=-1, order=2, epsilon=None):
    """x divided by its ``order``-norm along ``axis``."""
    from lamina.api.linalg import norm
    x = _float(x)
    n = norm(x, order, axis, keepdims=True)
    return x / ops.maximum(n, _EPSILON if epsilon is None else epsilon)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio between two images, in dB."""
    x1, x2 = (_float(x) for x in pair(x1, x2))
    mse = ops.mean((x1 - x2) ** 2)
    return 20 * math.log10(max_val) - 10 * ops.log(mse) / math.log(10.0)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """softmax(Q K^T * scale + bias, masked) V for (batch, seq, heads, dim) inputs."""
    q, k, v = (_float(t) for t in (query, key, value))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    logits = knp.einsum("btnh,bsnh->bnts", q, k) * scale
    if attn_logits_soft_cap is not None:
        logits = ops.tanh(logits / attn_logits_soft_cap) * attn_logits_soft_cap
    if bias is not None:
        logits = logits + bias
    keep = None if mask is None else backend.to_numpy(data(mask)).astype(bool)
    if is_causal:
        causal = np.tril(np.ones(logits.shape[-2:], bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = ops.where(backend.to_device(np.broadcast_to(keep, logits.shape)), logits, -1e9)
    return knp.einsum("bnts,bsnh->btnh", ops.softmax(logits, -1), v)


# --- convolution and pooling ---
def _to_channels_last(x, data_format):
    if data_format == "channels_first":
        return knp.moveaxis(x, 1, -1)
    if data_format not in (None, "channels_last"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', "
                         f"got {data_format!r}.")
    return x


def _from_channels_last(y, data_format):
    return knp.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def _spatial(inputs, data_format, name):
    """Channels-last 4-D input; 1-D inputs gain a spatial axis of size 1."""
    x = _to_channels_last(_float(inputs), data_format)
    if x.ndim not in (3, 4):
        raise NotImplementedError(f"ops.{name} supports 1-D and 2-D inputs (rank 3 or 4); "
                                  f"got shape {x.shape}. lamina has no 3-D {name}.")
    return (knp.expand_dims(x, 1), True) if x.ndim == 3 else (x, False)


def _pair_arg(v, one_d):
    v = (v,) if isinstance(v, int) else tuple(v)
    v = v * 2 if len(v) == 1 else v
    return (1, v[-1]) if one_d and len(v) == 2 and v[0] == v[1] and one_d else v


def _conv_args(x, kh, kw, strides, padding, dilation_rate, one_d):
    strides = (1, strides) if one_d and isinstance(strides, int) else _pair_arg(strides, one_d)
    dilation = (1, dilation_rate) if one_d and isinstance(dilation_rate, int) else \
        _pair_arg(dilation_rate, one_d)
    if one_d and len(strides) == 1:
        strides = (1, strides[0])
    pads = tuple(conv_padding(n, k, s, d, padding)
                 for n, k, s, d in zip(x.shape[1:3], (kh, kw), strides, dilation))
    return strides, dilation, pads


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1-D and 2-D in lamina), kernel (spatial..., in, out)."""
    x, one_d = _spatial(inputs, data_format, "conv")
    w = _float(kernel)
    if one_d:
        w = knp.expand_dims(w, 0)
    if w.ndim != 4 or w.shape[2] != x.shape[-1]:
        raise ValueError(f"conv: kernel of shape {_t(kernel).shape} does not fit inputs of shape "
                         f"{_t(inputs).shape} (kernel input channels must equal the inputs').")
    strides, dilation, pads = _conv_args(x, w.shape[0], w.shape[1], strides, padding,
                                         dilation_rate, one_d)
    y = ops.conv2d(x, w, strides=strides, pads=pads, dilation=dilation)
    return _from_channels_last(y[:, 0] if one_d else y, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution, kernel (spatial..., in, multiplier)."""
    x, one_d = _spatial(inputs, data_format, "depthwise_conv")
    w = _float(kernel)
    if one_d:
        w = knp.expand_dims(w, 0)
    strides, dilation, pads = _conv_args(x, w.shape[0], w.shape[1], strides, padding,
                                         dilation_rate, one_d)
    y = ops.depthwise_conv2d(x, w, strides=strides, pads=pads, dilation=dilation)
    return _from_channels_last(y[:, 0] if one_d else y, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution, kernel (spatial..., out, in)."""
    if output_padding is not None:
        raise NotImplementedError("ops.conv_transpose in lamina does not take output_padding; "
                                  f"got {output_padding!r}.")
    x, one_d = _spatial(inputs, data_format, "conv_transpose")
    w = _float(kernel)
    if one_d:
        w = knp.expand_dims(w, 0)
    kh, kw = w.shape[:2]
    strides = (1, strides) if one_d and isinstance(strides, int) else _pair_arg(strides, one_d)
    dilation = (1, 1) if one_d else _pair_arg(dilation_rate, False)
    out_hw = tuple(n * s if padding == "same" else (n - 1) * s + (k - 1) * d + 1
                   for n, s, k, d in zip(x.shape[1:3], strides, (kh, kw), dilation))
    pads = tuple(conv_padding(n, k, s, d, padding)
                 for n, k, s, d in zip(out_hw, (kh, kw), strides, dilation))
    y = ops.conv2d_transpose(x, w, out_hw, strides=strides, pads=pads, dilation=dilation)
    return _from_channels_last(y[:, 0] if one_d else y, data_format)


def _pool(op, name, inputs, pool_size, strides, padding, data_format):
    x, one_d = _spatial(inputs, data_format, name)
    size = (1, pool_size) if one_d and isinstance(pool_size, int) else _pair_arg(pool_size, False)
    if one_d and len(size) == 1:
        size = (1, size[0])
    strides = size if strides is None else (
        (1, strides) if one_d and isinstance(strides, int) else _pair_arg(strides, False))
    if one_d and len(strides) == 1:
        strides = (1, strides[0])
    pads = tuple(conv_padding(n, k, s, 1, padding) for n, k, s in zip(x.shape[1:3], size, strides))
    y = op(x, size, strides, pads)
    return _from_channels_last(y[:, 0] if one_d else y, data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1-D and 2-D)."""
    return _pool(ops.max_pool2d, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1-D and 2-D); 'same' windows average their unpadded elements."""
    return _pool(ops.avg_pool2d, "average_pool", inputs, pool_size, strides, padding,
                 data_format)


def _adaptive(reduce, inputs, output_size, data_format, name):
    x, one_d = _spatial(inputs, data_format, name)
    out = (1, output_size) if one_d and isinstance(output_size, int) else \
        _pair_arg(output_size, False)
    rows = []
    for i in range(out[0]):
        h0, h1 = (i * x.shape[1]) // out[0], -(-((i + 1) * x.shape[1]) // out[0])
        cols = []
        for j in range(out[1]):
            w0, w1 = (j * x.shape[2]) // out[1], -(-((j + 1) * x.shape[2]) // out[1])
            cols.append(reduce(x[:, h0:h1, w0:w1, :], axis=(1, 2)))
        rows.append(ops.stack(cols, axis=1))
    y = ops.stack(rows, axis=1)
    return _from_channels_last(y[:, 0] if one_d else y, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed ``output_size`` (PyTorch's adaptive windows)."""
    return _adaptive(ops.max, inputs, output_size, data_format, "adaptive_max_pool")


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed ``output_size`` (PyTorch's adaptive windows)."""
    return _adaptive(ops.mean, inputs, output_size, data_format, "adaptive_average_pool")


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into spatial blocks: (N, H, W, C*b*b) -> (N, H*b, W*b, C).

    Channels-first inputs use PyTorch's pixel-shuffle order (C, b, b), as Keras does.
    """
    x, b = _float(x), block_size
    if data_format == "channels_first":
        n, c, h, w = x.shape
        y = ops.transpose(ops.reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
        return ops.reshape(y, (n, c // (b * b), h * b, w * b))
    n, h, w, c = _to_channels_last(x, data_format).shape
    y = ops.transpose(ops.reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
    return ops.reshape(y, (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves spatial blocks into channels: (N, H*b, W*b, C) -> (N, H, W, C*b*b)."""
    x, b = _float(x), block_size
    if data_format == "channels_first":
        n, c, h, w = x.shape
        y = ops.transpose(ops.reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
        return ops.reshape(y, (n, c * b * b, h // b, w // b))
    n, h, w, c = _to_channels_last(x, data_format).shape
    y = ops.transpose(ops.reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
    return ops.reshape(y, (n, h // b, w // b, b * b * c))


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of a (N, C, H, W) input as (N, C*kh*kw, L) columns (PyTorch's unfold)."""
    x = _float(x)
    kh, kw = _pair_arg(kernel_size, False)
    dh, dw = _pair_arg(dilation, False)
    ph, pw = _pair_arg(padding, False)
    sh, sw = _pair_arg(stride, False)
    x = ops.pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)])
    oh = conv_output_size(x.shape[2], kh, sh, dh)
    ow = conv_output_size(x.shape[3], kw, sw, dw)
    i = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(oh) * sh)[None, None, :, None]
    j = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(ow) * sw)[None, None, None, :]
    blocks = x[:, :, i, j]  # (N, C, kh, kw, oh, ow)
    return ops.reshape(blocks, (x.shape[0], x.shape[1] * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums (N, C*kh*kw, L) columns back into a (N, C, H, W) image (PyTorch's fold)."""
    x = _float(x)
    kh, kw = _pair_arg(kernel_size, False)
    dh, dw = _pair_arg(dilation, False)
    ph, pw = _pair_arg(padding, False)
    sh, sw = _pair_arg(stride, False)
    h, w = _pair_arg(output_size, False)
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = conv_output_size(hp, kh, sh, dh), conv_output_size(wp, kw, sw, dw)
    n, c = x.shape[0], x.shape[1] // (kh * kw)
    blocks = ops.reshape(x, (n, c, kh, kw, oh, ow))
    i = (np.arange(kh) * dh)[:, None, None, None] + (np.arange(oh) * sh)[None, None, :, None]
    j = (np.arange(kw) * dw)[None, :, None, None] + (np.arange(ow) * sw)[None, None, None, :]
    i, j = np.broadcast_arrays(i, j)
    index = (slice(None), slice(None), i, j)
    out = ops.scatter(blocks, index, (n, c, hp, wp))
    return out[:, :, ph:ph + h, pw:pw + w]


def polar(abs_, angle):
    """Complex numbers from magnitude and angle (lamina has no complex dtype)."""
    raise NotImplementedError("ops.polar returns complex numbers; lamina tensors are real. "
                              f"Got abs_ of shape {_t(abs_).shape}.")


_HELPERS = {"data", "pair", "wrap", "convert_to_tensor", "conv_output_size",
            "conv_padding"}
__all__ = sorted(name for name, value in list(globals().items())
                 if callable(value) and not name.startswith("_") and name not in _HELPERS
                 and not hasattr(value, "__path__") and type(value).__name__ != "module")

make_symbolic(globals(), __all__)
