"""GraphBuilder: collects ONNX nodes and weights while the converters walk a model.

Every value in the graph is a name (a string). ``op`` adds one node and returns the
name(s) of its output(s); ``const`` stores an array as an initializer. Nodes are made
with ``onnx.helper``, never by hand.
"""
import numpy as np


def unsupported(layer, reason):
    """The error raised for a layer that cannot be exported, naming the layer and why."""
    return ValueError(f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX: "
                      f"{reason}")


class GraphBuilder:
    """Nodes, initializers and unique names of one ONNX graph.

    Args:
        onnx: the imported ``onnx`` module.
        opset: the ONNX opset version the nodes are written for.
    """

    def __init__(self, onnx, opset):
        self.onnx, self.opset = onnx, opset
        self.nodes, self.initializers = [], []
        self._used = set()

    def name(self, hint):
        """A name not used before in this graph, made from ``hint``."""
        hint = "".join(c if c.isalnum() or c in "_./" else "_" for c in str(hint)) or "v"
        name, i = hint, 1
        while name in self._used:
            name, i = f"{hint}_{i}", i + 1
        self._used.add(name)
        return name

    def const(self, value, hint="const", dtype=np.float32):
        """Stores ``value`` (an array or number) as an initializer; returns its name."""
        name = self.name(hint)
        array = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint="shape"):
        """An int64 1-D constant (shapes, axes, pads)."""
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), hint, np.int64)

    def op(self, op_type, inputs, hint=None, outputs=1, **attrs):
        """Adds one node; returns its output name, or a list of ``outputs`` names.

        Args:
            op_type: the ONNX operator, e.g. 'MatMul'.
            inputs: input names (None for an optional input left out).
            hint: start of the output names, which end in '/<op_type>' (graph inputs and
                outputs have no '/', so they never clash); default the op type.
            outputs: number of outputs, or a list of the names they should have.
            attrs: the node's attributes.
        """
        base = f"{hint or op_type.lower()}/{op_type}"
        if isinstance(outputs, list):
            names = [self.name(n) for n in outputs]
        else:
            names = [self.name(base if outputs == 1 else f"{base}_{i}") for i in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(
            op_type, ["" if i is None else i for i in inputs], names, name=names[0], **attrs))
        return names[0] if len(names) == 1 else names

    # --- small compositions used by several converters ---
    def transpose(self, x, perm, hint=None):
        return self.op("Transpose", [x], hint, perm=list(perm))

    def reshape(self, x, shape, hint=None):
        """Reshape to ``shape`` (0 keeps that axis of ``x``, -1 is inferred)."""
        return self.op("Reshape", [x, self.ints(shape)], hint)

    def squeeze(self, x, axes, hint=None):
        return self.op("Squeeze", [x, self.ints(axes)], hint)

    def unsqueeze(self, x, axes, hint=None):
        return self.op("Unsqueeze", [x, self.ints(axes)], hint)

    def reduce(self, op_type, x, axes, keepdims, hint=None):
        """ReduceMean/ReduceMax/ReduceSum over ``axes`` (an input from opset 18, and from 13
        for ReduceSum; an attribute before)."""
        if self.opset >= 18 or op_type == "ReduceSum":
            return self.op(op_type, [x, self.ints(axes)], hint, keepdims=int(keepdims))
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))

    def mul(self, x, y, hint=None):
        return self.op("Mul", [x, y], hint)

    def add(self, x, y, hint=None):
        return self.op("Add", [x, y], hint)

    def scalar(self, value, hint="scalar"):
        return self.const(np.float32(value), hint)

    def reverse_time(self, x, hint=None):
        """``x[:, ::-1]``: axis 1 backwards, whatever its length."""
        return self.op("Slice", [x, self.ints([-1]), self.ints([np.iinfo(np.int64).min]),
                                 self.ints([1]), self.ints([-1])], hint)

    def leading_shape(self, x, count, tail, hint=None):
        """The shape ``x.shape[:count] + tail`` as an int64 tensor (for dynamic reshapes)."""
        head = self.op("Shape", [x], hint, start=0, end=count)
        if not tail:
            return head
        return self.op("Concat", [head, self.ints(tail)], hint, axis=0)


class Call:
    """One traced call of a layer, as a converter sees it.

    Attributes:
        inputs: names of the flattened input tensors.
        in_shapes, out_shapes: shapes of the inputs and outputs in the traced call (the
            sample sizes; a converter uses them for ranks and for axes that are fixed).
        in_dtypes: NumPy dtypes of the inputs.
        kwargs: the call's other arguments, tensors given by their names.
    """

    def __init__(self, inputs, in_shapes, out_shapes, in_dtypes, kwargs=None):
        self.inputs, self.in_shapes, self.out_shapes = inputs, in_shapes, out_shapes
        self.in_dtypes, self.kwargs = in_dtypes, kwargs or {}
