"""ONNX converters of the layers that map to a few plain ONNX ops each: Dense, activation
layers, Dropout, Flatten/Reshape, merges, normalization, Embedding, preprocessing, zero
padding, cropping and upsampling. (Convolutions and pooling: onnx_conv; recurrent layers:
onnx_recurrent; TimeDistributed: onnx_converters.)

A converter is ``convert(g, layer, call)``: ``g`` is the GraphBuilder, ``call`` the traced
call (input names and shapes, see ``onnx_graph.Call``); it returns the output name (or a
list of names, one per output). ``CONVERTERS`` maps each layer class to its converter.
"""
import numpy as np

from lamina import backend
from lamina import layers as L
from lamina.export import onnx_activations
from lamina.export.onnx_graph import unsupported
from lamina.layers.preprocessing import normalization as preprocessing_normalization


def weight_array(w):
    """A layer weight (or None) as a float32 NumPy array, the graph's dtype."""
    return None if w is None else np.asarray(w.numpy(), dtype=np.float32)


def _as_float(g, layer, x, dtype):
    """Casts an integer input to float32 (Rescaling and Normalization accept integers)."""
    if dtype.kind == "f":
        return x
    return g.op("Cast", [x], f"{layer.name}/cast", to=g.onnx.TensorProto.FLOAT)


# --- core ---
def dense(g, layer, call):
    h = layer.name
    y = g.op("MatMul", [call.inputs[0], g.const(weight_array(layer.kernel), f"{h}/kernel")], h)
    if layer.bias is not None:
        y = g.add(y, g.const(weight_array(layer.bias), f"{h}/bias"), h)
    return onnx_activations.activation(g, layer.activation, y, layer)


def activation_layer(g, layer, call):
    return onnx_activations.activation(g, layer.activation, call.inputs[0], layer)


def identity(g, layer, call):
    return g.op("Identity", [call.inputs[0]], layer.name)


def softmax(g, layer, call):
    if not isinstance(layer.axis, int):
        raise unsupported(layer, f"softmax over several axes ({layer.axis}) has no ONNX op; "
                                 "use one axis.")
    return g.op("Softmax", [call.inputs[0]], layer.name, axis=layer.axis)


def relu_layer(g, layer, call):
    return onnx_activations.relu(g, call.inputs[0], layer.negative_slope, layer.max_value,
                                 layer.threshold, layer.name)


def leaky_relu_layer(g, layer, call):
    return g.op("LeakyRelu", [call.inputs[0]], layer.name, alpha=float(layer.negative_slope))


def elu_layer(g, layer, call):
    return g.op("Elu", [call.inputs[0]], layer.name, alpha=float(layer.alpha))


# --- reshaping ---
def flatten(g, layer, call):
    x, rank = call.inputs[0], len(call.in_shapes[0])
    if layer.data_format == "channels_first" and rank > 2:
        x = g.transpose(x, (0,) + tuple(range(2, rank)) + (1,), layer.name)
    return g.reshape(x, [0, -1], layer.name)


def reshape(g, layer, call):
    return g.reshape(call.inputs[0], [0] + list(layer.target_shape), layer.name)


# --- merging ---
def _chain(op_type):
    def convert(g, layer, call):
        y = call.inputs[0]
        for x in call.inputs[1:]:
            y = g.op(op_type, [y, x], layer.name)
        return y
    return convert


def average(g, layer, call):
    y = _chain("Add")(g, layer, call)
    return g.mul(y, g.scalar(1.0 / len(call.inputs)), layer.name)


def concatenate(g, layer, call):
    return g.op("Concat", call.inputs, layer.name, axis=layer.axis)


def dot(g, layer, call):
    """As ``Dot.call``: the contracted axes moved last / first, then a batched MatMul."""
    (a, b), (sa, sb), h = call.inputs, call.in_shapes, layer.name
    ax, bx = layer._axes(len(sa), len(sb))
    if layer.normalize:
        def unit(x, axis):
            norm = g.reduce("ReduceSum", g.mul(x, x, h), [axis], True, h)
            return g.op("Div", [x, g.op("Sqrt", [g.add(norm, g.scalar(1e-12), h)], h)], h)
        a, b = unit(a, ax), unit(b, bx)
    a = g.transpose(a, [0] + [i for i in range(1, len(sa)) if i != ax] + [ax], h)
    b = g.transpose(b, [0, bx] + [i for i in range(1, len(sb)) if i != bx], h)
    y = g.op("MatMul", [g.reshape(a, [0, -1, sa[ax]], h), g.reshape(b, [0, sb[bx], -1], h)], h)
    return g.reshape(y, [0] + list(call.out_shapes[0][1:]), h)


# --- normalization ---
def batch_normalization(g, layer, call):
    """Inference: one affine map per channel, ``x * scale + shift`` (as the layer computes)."""
    rank, h = len(call.in_shapes[0]), layer.name
    inv = 1 / (weight_array(layer.moving_variance) + np.float32(layer.epsilon)) ** 0.5
    scale = inv if layer.gamma is None else weight_array(layer.gamma) * inv
    shift = -weight_array(layer.moving_mean) * scale
    if layer.beta is not None:
        shift = shift + weight_array(layer.beta)
    axis = layer.axis % rank
    shape = [-1 if i == axis else 1 for i in range(rank)]
    y = g.mul(call.inputs[0], g.const(scale.reshape(shape), f"{h}/scale"), h)
    return g.add(y, g.const(shift.reshape(shape), f"{h}/shift"), h)


def layer_normalization(g, layer, call):
    """Mean and (biased) variance over the layer's axes, as ``ops.normalization.normalize``."""
    x, shape, h, axes = call.inputs[0], call.in_shapes[0], layer.name, layer._axes

    def broadcast(w, name):
        w = weight_array(w)
        if axes != [len(shape) - 1]:
            w = w.reshape([n if i in axes else 1 for i, n in enumerate(shape)])
        return g.const(w, f"{h}/{name}")

    mean = g.reduce("ReduceMean", x, axes, True, h)
    centered = g.op("Sub", [x, mean], h)
    var = g.reduce("ReduceMean", g.mul(centered, centered, h), axes, True, h)
    root = g.op("Sqrt", [g.add(var, g.scalar(layer.epsilon), h)], h)
    if layer.rms_scaling:
        return g.mul(g.op("Div", [x, root], h), broadcast(layer.gamma, "gamma"), h)
    y = g.mul(centered, g.op("Div", [g.scalar(1.0), root], h), h)
    if layer.gamma is not None:
        y = g.mul(y, broadcast(layer.gamma, "gamma"), h)
    if layer.beta is not None:
        y = g.add(y, broadcast(layer.beta, "beta"), h)
    return y


# --- preprocessing ---
def normalization(g, layer, call):
    h = layer.name
    x = _as_float(g, layer, call.inputs[0], call.in_dtypes[0])
    mean = backend.to_numpy(layer.mean).astype(np.float32)
    std = np.maximum(np.sqrt(backend.to_numpy(layer.variance).astype(np.float32)),
                     np.float32(preprocessing_normalization.EPSILON))
    mean, std = g.const(mean, f"{h}/mean"), g.const(std, f"{h}/std")
    if layer.invert:
        return g.add(g.mul(x, std, h), mean, h)
    return g.op("Div", [g.op("Sub", [x, mean], h), std], h)


def rescaling(g, layer, call):
    h = layer.name
    x = _as_float(g, layer, call.inputs[0], call.in_dtypes[0])
    y = g.mul(x, g.const(layer.scale, f"{h}/scale"), h)
    return g.add(y, g.const(layer.offset, f"{h}/offset"), h)


def category_encoding(g, layer, call):
    """One-hot, multi-hot or count vectors: the indices compared with ``arange(num_tokens)``."""
    x, shape, h = call.inputs[0], call.in_shapes[0], layer.name
    x = g.op("Cast", [x], h, to=g.onnx.TensorProto.INT64)
    if layer.output_mode == "one_hot" and len(shape) > 1 and shape[-1] == 1:
        x = g.squeeze(x, [-1], h)
    tokens = g.const(np.arange(layer.num_tokens), f"{h}/tokens", np.int64)
    hits = g.op("Cast", [g.op("Equal", [g.unsqueeze(x, [-1], h), tokens], h)], h,
                to=g.onnx.TensorProto.FLOAT)
    if layer.output_mode == "one_hot":
        return hits
    if layer.output_mode == "multi_hot":
        return g.reduce("ReduceMax", hits, [-2], False, h)
    return g.reduce("ReduceSum", hits, [-2], False, h)


def embedding(g, layer, call):
    h = layer.name
    idx = g.op("Cast", [call.inputs[0]], h, to=g.onnx.TensorProto.INT64)
    return g.op("Gather", [g.const(weight_array(layer.embeddings), f"{h}/embeddings"), idx], h,
                axis=0)


# --- grids: padding, cropping, upsampling ---
def zero_padding(g, layer, call):
    widths = layer._widths(len(call.in_shapes[0]), layer.padding)
    pads = [a for a, _ in widths] + [b for _, b in widths]
    return g.op("Pad", [call.inputs[0], g.ints(pads)], layer.name, mode="constant")


def cropping(g, layer, call):
    widths = layer._widths(len(call.in_shapes[0]), layer.cropping)
    axes = [i for i, w in enumerate(widths) if w != (0, 0)]
    if not axes:
        return g.op("Identity", [call.inputs[0]], layer.name)
    starts = [widths[i][0] for i in axes]
    ends = [-widths[i][1] if widths[i][1] else np.iinfo(np.int64).max for i in axes]
    return g.op("Slice", [call.inputs[0], g.ints(starts), g.ints(ends), g.ints(axes)],
                layer.name)


def upsampling(g, layer, call):
    """ONNX Resize on channels-first data: 'nearest' repeats, 'bilinear' half-pixel."""
    x, rank, h = call.inputs[0], len(call.in_shapes[0]), layer.name
    channels_last = layer.data_format == "channels_last"
    if channels_last:
        x = g.transpose(x, [0, rank - 1] + list(range(1, rank - 1)), h)
    scales = g.const([1.0, 1.0] + [float(s) for s in layer.size], f"{h}/scales")
    if layer.interpolation == "nearest":
        y = g.op("Resize", [x, None, scales], h, mode="nearest",
                 coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        y = g.op("Resize", [x, None, scales], h, mode="linear",
                 coordinate_transformation_mode="half_pixel")
    if channels_last:
        y = g.transpose(y, [0] + list(range(2, rank)) + [1], h)
    return y


CONVERTERS = {
    L.Dense: dense, L.Activation: activation_layer, L.Dropout: identity,
    L.Softmax: softmax, L.ReLU: relu_layer, L.LeakyReLU: leaky_relu_layer, L.ELU: elu_layer,
    L.Flatten: flatten, L.Reshape: reshape,
    L.Add: _chain("Add"), L.Subtract: _chain("Sub"), L.Multiply: _chain("Mul"),
    L.Maximum: _chain("Max"), L.Minimum: _chain("Min"), L.Average: average,
    L.Concatenate: concatenate, L.Dot: dot,
    L.BatchNormalization: batch_normalization, L.LayerNormalization: layer_normalization,
    L.Normalization: normalization, L.Rescaling: rescaling,
    L.CategoryEncoding: category_encoding, L.Embedding: embedding,
    L.ZeroPadding1D: zero_padding, L.ZeroPadding2D: zero_padding,
    L.Cropping1D: cropping, L.Cropping2D: cropping,
    L.UpSampling1D: upsampling, L.UpSampling2D: upsampling,
}

