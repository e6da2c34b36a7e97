"""Which converter exports which layer class, and TimeDistributed, which needs them all."""
from lamina import layers as L
from lamina.export import onnx_conv, onnx_layers, onnx_recurrent
from lamina.export.onnx_graph import Call, unsupported


def time_distributed(g, layer, call):
    """The steps folded into the batch axis, the inner layer converted, the steps unfolded."""
    inner, (shape,), (out_shape,) = layer.layer, call.in_shapes, call.out_shapes
    convert = converter_of(inner)
    if convert is None:
        raise unsupported(layer, f"its inner layer '{inner.name}' ({type(inner).__name__}) "
                                 "has no ONNX converter.")
    folded = (shape[0] * shape[1],)
    x = g.reshape(call.inputs[0], [-1] + list(shape[2:]), layer.name)
    y = convert(g, inner, Call([x], [folded + tuple(shape[2:])],
                               [folded + tuple(out_shape[2:])], call.in_dtypes))
    target = g.leading_shape(call.inputs[0], 2, list(out_shape[2:]), layer.name)
    return g.op("Reshape", [y, target], layer.name)


CONVERTERS = {**onnx_layers.CONVERTERS, **onnx_conv.CONVERTERS, **onnx_recurrent.CONVERTERS,
              L.TimeDistributed: time_distributed}


def converter_of(layer):
    """The converter of ``layer``'s exact class, or None: a subclass may compute differently."""
    return CONVERTERS.get(type(layer))


def exported_layers():
    """The names of the layer classes lamina exports to ONNX, sorted."""
    return sorted({cls.__name__ for cls in CONVERTERS})
