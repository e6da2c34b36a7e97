"""ONNX converters of the convolution and pooling layers.

ONNX's Conv, ConvTranspose and pooling ops read channels-first data (N, C, H, W) or
(N, C, steps); a channels-last input is transposed there and back around the op. Keras's
'same' padding (the odd element after) is ONNX's ``auto_pad='SAME_UPPER'``, which also
works when the image size is only known at run time; with stride 1 the pads are fixed.
"""
import numpy as np

from lamina import layers as L
from lamina.export import onnx_activations
from lamina.export.onnx_layers import weight_array
from lamina.layers.convolutional import transpose_output_size
from lamina.ops.conv import conv_padding


def _channels_first(g, layer, x, rank):
    if layer.data_format == "channels_first":
        return x
    return g.transpose(x, [0, rank - 1] + list(range(1, rank - 1)), layer.name)


def _channels_last(g, layer, y, rank):
    if layer.data_format == "channels_first":
        return y
    return g.transpose(y, [0] + list(range(2, rank)) + [1], layer.name)


def _padding(layer, window):
    """The Conv/pool padding attributes of Keras's 'valid', 'same' or 'causal'.

    With stride 1 every padding is a fixed number of elements (and ONNX Runtime refuses
    SAME_UPPER with dilation, which Keras allows only with stride 1)."""
    strides = layer.strides
    dilation = getattr(layer, "dilation_rate", (1,) * len(window))
    if layer.padding == "same" and max(strides) > 1:
        return {"auto_pad": "SAME_UPPER"}
    pads = [conv_padding(8, k, 1, d, layer.padding) for k, d in zip(window, dilation)]
    return {"pads": [p[0] for p in pads] + [p[1] for p in pads]}


def _conv_kernel(kernel):
    """Keras's (*window, in, out) kernel as ONNX's (out, in, *window)."""
    r = kernel.ndim - 2
    return np.transpose(kernel, (r + 1, r) + tuple(range(r)))


def _finish(g, layer, y, rank):
    y = _channels_last(g, layer, y, rank)
    return onnx_activations.activation(g, layer.activation, y, layer)


def _bias(g, layer):
    return None if layer.bias is None else g.const(weight_array(layer.bias), f"{layer.name}/bias")


def conv(g, layer, call):
    rank, h = len(call.in_shapes[0]), layer.name
    x = _channels_first(g, layer, call.inputs[0], rank)
    W = g.const(_conv_kernel(weight_array(layer.kernel)), f"{h}/kernel")
    y = g.op("Conv", [x, W, _bias(g, layer)], h, kernel_shape=list(layer.kernel_size),
             strides=list(layer.strides), dilations=list(layer.dilation_rate),
             group=layer.groups, **_padding(layer, layer.kernel_size))
    return _finish(g, layer, y, rank)


def conv_transpose(g, layer, call):
    """ConvTranspose with Keras's output size: the pads are cropped from the full result
    and ``output_padding`` adds the rest at the end (both independent of the input size)."""
    rank, h = len(call.in_shapes[0]), layer.name
    x = _channels_first(g, layer, call.inputs[0], rank)
    kernel = np.transpose(weight_array(layer.kernel), (rank - 1, rank - 2) + tuple(range(rank - 2)))
    n = 8  # any input size gives the same pads and output padding
    before, after, extra = [], [], []
    for k, s, d, p in zip(layer.kernel_size, layer.strides, layer.dilation_rate,
                          layer.output_padding or (None,) * len(layer.kernel_size)):
        out = transpose_output_size(n, k, s, d, layer.padding, p)
        pad = conv_padding(out, k, s, d, layer.padding)
        before.append(pad[0])
        after.append(pad[1])
        extra.append(out - ((n - 1) * s + (k - 1) * d + 1 - pad[0] - pad[1]))
    y = g.op("ConvTranspose", [x, g.const(kernel, f"{h}/kernel"), _bias(g, layer)], h,
             kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
             dilations=list(layer.dilation_rate), pads=before + after, output_padding=extra)
    return _finish(g, layer, y, rank)


def _depthwise(g, layer, x, kernel, bias):
    """A grouped Conv with one group per input channel; output channel c*m + j."""
    *window, channels, multiplier = kernel.shape
    W = np.moveaxis(kernel.reshape(*window, channels * multiplier), -1, 0)
    W = W.reshape(channels * multiplier, 1, *window)
    return g.op("Conv", [x, g.const(W, f"{layer.name}/depthwise_kernel"), bias], layer.name,
                kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                dilations=list(layer.dilation_rate), group=channels,
                **_padding(layer, layer.kernel_size))


def depthwise_conv(g, layer, call):
    rank = len(call.in_shapes[0])
    x = _channels_first(g, layer, call.inputs[0], rank)
    y = _depthwise(g, layer, x, weight_array(layer.kernel), _bias(g, layer))
    return _finish(g, layer, y, rank)


def separable_conv(g, layer, call):
    rank, h = len(call.in_shapes[0]), layer.name
    x = _channels_first(g, layer, call.inputs[0], rank)
    y = _depthwise(g, layer, x, weight_array(layer.depthwise_kernel), None)
    W = g.const(_conv_kernel(weight_array(layer.pointwise_kernel)), f"{h}/pointwise_kernel")
    y = g.op("Conv", [y, W, _bias(g, layer)], h, kernel_shape=[1] * (rank - 2))
    return _finish(g, layer, y, rank)


def _pooling(op_type, **attrs):
    def convert(g, layer, call):
        rank = len(call.in_shapes[0])
        x = _channels_first(g, layer, call.inputs[0], rank)
        y = g.op(op_type, [x], layer.name, kernel_shape=list(layer.pool_size),
                 strides=list(layer.strides), **_padding(layer, layer.pool_size), **attrs)
        return _channels_last(g, layer, y, rank)
    return convert


def _global(op_type):
    def convert(g, layer, call):
        return g.reduce(op_type, call.inputs[0], list(layer._axes()), layer.keepdims,
                        layer.name)
    return convert


CONVERTERS = {
    L.Conv1D: conv, L.Conv2D: conv, L.Conv2DTranspose: conv_transpose,
    L.DepthwiseConv2D: depthwise_conv, L.SeparableConv2D: separable_conv,
    L.MaxPooling1D: _pooling("MaxPool"), L.MaxPooling2D: _pooling("MaxPool"),
    # count_include_pad=0: a 'same' window averages its real elements only, as TensorFlow
    L.AveragePooling1D: _pooling("AveragePool", count_include_pad=0),
    L.AveragePooling2D: _pooling("AveragePool", count_include_pad=0),
    L.GlobalMaxPooling1D: _global("ReduceMax"), L.GlobalMaxPooling2D: _global("ReduceMax"),
    L.GlobalAveragePooling1D: _global("ReduceMean"),
    L.GlobalAveragePooling2D: _global("ReduceMean"),
}
