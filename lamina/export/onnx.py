"""Export a model to ONNX: ``model.export(path, format="onnx")``, and run it with ONNX Runtime.

How the graph is found, one way for Sequential, functional and subclassed models: the
model is called once, in inference mode, on zero-filled sample inputs, while the ``call``
of every layer class that has an ONNX converter records. Each recorded call becomes ONNX
nodes at once: the recorder knows which ONNX value each input tensor is (a model input,
or an output of an earlier recorded call), asks the layer's converter for the nodes, and
names the output tensors. So the graph is the eager program in call order, whatever
Python runs between the layers (loops, branches, ``layers.concatenate`` made inside a
subclassed ``call``), as long as every tensor a layer receives comes from the inputs or
from another layer. A tensor computed outside layers (``x + 1`` in a ``call``), a layer
without a converter (Lambda, a custom layer without sub-layers) or a mask raise an error
naming the layer. We chose this over walking the functional graph because it needs no
second description of what each model type does; the layer calls are the program.

Converters match the exact class: a subclass of ``Dense`` may compute something else. A
layer without a converter but with sub-layers (a nested model, a custom block) simply
runs; its sub-layers record their calls.

The batch axis is dynamic ("batch"), and so is any other axis the input signature leaves
as None. A second call with other sizes for those axes tells which output axes follow.
"""
import contextlib
import functools
import threading

import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor, no_grad
from lamina.export.onnx_converters import CONVERTERS, converter_of
from lamina.export.onnx_graph import Call, GraphBuilder, unsupported
from lamina.layers.base import KerasTensor
from lamina.layers.input_layer import InputLayer

DEFAULT_OPSET = 18
MIN_OPSET = 15  # Shape with start/end; TensorRT 8.6 reads up to 17
_active = threading.local()  # the recorder of the export running in this thread
KERAS_FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")

# why lamina exports no graph for these layers
_REASONS = {
    "Lambda": "its function is arbitrary Python, which has no ONNX form.",
    "Masking": "masks are not exported (masked steps would need their own ONNX ops).",
    "StringLookup": "string vocabularies are not exported; look the strings up before "
                    "calling the exported model.",
}


def _import(name):
    try:
        return __import__(name)
    except ImportError as e:
        raise ImportError(f"ONNX export and serving need the `{name}` package, installed "
                          "with the `onnx` extra: pip install 'lamina[onnx]'") from e


def export_model(model, filepath, format="onnx", verbose=None, input_signature=None,
                 opset_version=None, **kwargs):
    """What ``Model.export`` does: checks the format, then exports to ONNX."""
    if format not in KERAS_FORMATS:
        raise ValueError(f"Unrecognized format={format!r}. lamina exports format='onnx' (Keras "
                         f"also knows {[f for f in KERAS_FORMATS if f != 'onnx']}).")
    if format != "onnx":
        raise ValueError(f"format={format!r} needs TensorFlow, OpenVINO or PyTorch, which lamina "
                         "does not use. lamina exports ONNX: model.export(filepath, "
                         "format='onnx'), which ONNX Runtime, TensorRT and OpenVINO read.")
    if kwargs:
        raise TypeError(f"export() got an unexpected keyword argument '{next(iter(kwargs))}' "
                        "for format='onnx'.")
    export_onnx(model, filepath, verbose, input_signature, opset_version)


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None):
    """Exports ``model``'s inference pass to an ONNX file.

    Args:
        model: a built Sequential, functional or subclassed model.
        filepath: path of the ``.onnx`` file to write.
        verbose: print where the file went (default True, as Keras).
        input_signature: the inputs' shapes and dtypes: a ``keras.Input`` / KerasTensor,
            an array, or a list of them (batch axis ignored, None axes stay dynamic).
            Default: the model's own inputs.
        opset_version: ONNX opset, from 15; default 18.

    Returns:
        the ``onnx.ModelProto`` written.
    """
    onnx = _import("onnx")
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset_version must be an int from {MIN_OPSET} to {newest} (the "
                         f"installed onnx's newest); received opset_version={opset_version!r}")
    specs, pack = _input_specs(model, input_signature)
    g = GraphBuilder(onnx, opset)
    names = [g.name(name) for name, _, _ in specs]
    outputs, traced = _Recorder(g).trace(model, specs, names, pack)
    out_names = _output_names(model, len(outputs))
    graph_outputs = []
    for value, name, (shape, dtype) in zip(outputs, out_names,
                                           _output_types(model, specs, pack, traced)):
        name = g.op("Identity", [value], outputs=[name])
        graph_outputs.append(onnx.helper.make_tensor_value_info(
            name, onnx.helper.np_dtype_to_tensor_dtype(dtype), shape))
    graph_inputs = [onnx.helper.make_tensor_value_info(
        name, onnx.helper.np_dtype_to_tensor_dtype(dtype),
        ["batch" if j == 0 else (f"dim_{i}_{j}" if n is None else n)
         for j, n in enumerate(shape)])
        for i, (name, (_, shape, dtype)) in enumerate(zip(names, specs))]
    graph = onnx.helper.make_graph(g.nodes, model.name, graph_inputs, graph_outputs,
                                   g.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    # the oldest file format that holds this opset: the most runtimes read it
    proto = onnx.helper.make_model(graph, producer_name="lamina", opset_imports=opsets,
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, str(filepath))
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")
    return proto


def _spec(x, name):
    """(name, shape with the batch axis None, NumPy dtype) of one input."""
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        raise TypeError(f"Unsupported x={x!r} of the type ({type(x)}). Supported types are: "
                        "`keras.Input` / KerasTensor, and arrays or tensors.")
    shape = tuple(None if n is None else int(n) for n in x.shape)
    if not shape:
        raise ValueError(f"An input signature needs a batch axis; received shape {shape}.")
    dtype = np.dtype(str(x.dtype))
    if dtype.kind == "f":
        dtype = np.dtype(np.float32)
    own = getattr(x, "name", None)
    return (own if isinstance(own, str) and own else name), (None,) + shape[1:], dtype


def _input_specs(model, input_signature):
    """The inputs' specs and how to pack the sample tensors for ``model(...)``."""
    if input_signature is None:
        if not model.built:
            raise ValueError("The model provided has never called. It must be called at least "
                             "once before export.")
        if hasattr(model, "_inputs_struct"):  # functional
            input_signature = list(model.inputs)
        else:
            shape = getattr(model, "_batch_input_shape", None) or getattr(
                model, "_build_input_shape", None)
            if shape is None:
                raise ValueError("The model provided has never called. It must be called at "
                                 "least once before export, or pass `input_signature`.")
            one = all(n is None or isinstance(n, int) for n in shape)
            input_signature = [KerasTensor(s) for s in ([shape] if one else shape)]
    flat = tree.flatten(input_signature)  # Keras's [[spec, spec]] for a list argument too
    default = getattr(model, "input_names", None) or [f"input_{i}" for i in range(len(flat))]
    specs = [_spec(x, default[i] if i < len(default) else f"input_{i}")
             for i, x in enumerate(flat)]
    return specs, ("list" if len(flat) > 1 else "single")


def _samples(specs, pack, batch, other):
    arrays = [backend.xp().zeros([batch if j == 0 else (other if n is None else n)
                                  for j, n in enumerate(shape)], dtype)
              for _, shape, dtype in specs]
    tensors = [Tensor._wrap(a) for a in arrays]
    return tensors, (tensors if pack == "list" else tensors[0])


class _Recorder:
    """Turns each layer call of one traced model call into ONNX nodes (see the module doc)."""

    def __init__(self, g):
        self.g = g
        self.values = {}  # id(tensor) -> ONNX value name
        self.alive = []   # the traced tensors, so their ids stay theirs
        self.depth = 0    # > 0 inside a converted layer: its inner calls are its own

    def trace(self, model, specs, names, pack):
        tensors, inputs = _samples(specs, pack, batch=2, other=3)
        for t, name in zip(tensors, names):
            self._name(t, name)
        with self._recording(model):
            with no_grad():
                outputs = tree.flatten(model(inputs, training=False))
        for t in outputs:
            if not isinstance(t, Tensor) or id(t) not in self.values:
                raise ValueError(f"Cannot export model '{model.name}' to ONNX: its output was "
                                 "computed outside its layers (tensor operations in `call`); "
                                 "only tensors made by layers can be exported.")
        return [self.values[id(t)] for t in outputs], outputs

    def _name(self, tensor, name):
        self.values[id(tensor)] = name
        self.alive.append(tensor)

    @contextlib.contextmanager
    def _recording(self, model):
        """While tracing, ``call`` of each converted class records (so do layers made inside
        a model's call, such as ``layers.concatenate``); a layer of the model without a
        converter or sub-layers raises when called."""
        originals = {cls: (cls.__dict__.get("call"), cls.call) for cls in CONVERTERS}
        refused = [layer for layer in model._flatten_layers()[1:]
                   if converter_of(layer) is None and not layer._layers
                   and not isinstance(layer, InputLayer)]
        patched, hooked = [], []
        try:
            for cls, (_, call) in originals.items():
                cls.call = self._recorder(cls, call)
                patched.append(cls)
            for layer in refused:
                layer.__dict__["call"] = self._refuser(layer, layer.call)
                hooked.append(layer)
            _active.recorder = self
            yield
        finally:
            _active.recorder = None
            for cls in patched:
                own = originals[cls][0]
                if own is None:
                    del cls.call
                else:
                    cls.call = own
            for layer in hooked:
                del layer.__dict__["call"]

    def _active(self):
        """Whether this thread is tracing with this recorder (other threads run as usual)."""
        return getattr(_active, "recorder", None) is self

    def _refuser(self, layer, call):
        def refused(*args, **kwargs):
            if self.depth or not self._active():
                return call(*args, **kwargs)
            raise unsupported(layer, _REASONS.get(
                type(layer).__name__, "lamina has no ONNX converter for this layer class."))
        return refused

    def _recorder(self, cls, call):
        @functools.wraps(call)
        def recorded(layer, inputs, *args, **kwargs):
            if self.depth or type(layer) is not cls or not self._active():
                return call(layer, inputs, *args, **kwargs)
            converted = self._convert(layer, CONVERTERS[cls], inputs, args, kwargs)
            self.depth += 1
            try:
                outputs = call(layer, inputs, *args, **kwargs)
            finally:
                self.depth -= 1
            flat = tree.flatten(outputs)
            for t, name in zip(flat, converted(flat)):
                self._name(t, name)
            return outputs
        return recorded

    def _lookup(self, layer, t):
        if id(t) not in self.values:
            raise unsupported(layer, "it received a tensor computed outside any layer (tensor "
                                     "operations in a model's `call`); only tensors made by "
                                     "layers can be exported.")
        return self.values[id(t)]

    def _convert(self, layer, convert, inputs, args, kwargs):
        """Checks the call's arguments; returns a function of the outputs that adds the nodes
        (the output shapes are known only after the eager call)."""
        if kwargs.get("mask") is not None:
            raise unsupported(layer, "it receives a mask (from Embedding(mask_zero=True) or "
                                     "Masking); masked steps are not exported.")
        if any(a is not None for a in args):
            raise unsupported(layer, "it was called with extra positional arguments.")
        flat = tree.flatten(inputs)
        names = [self._lookup(layer, t) for t in flat]
        other = {k: tree.map_structure(
            lambda v: self._lookup(layer, v) if isinstance(v, Tensor) else v, v)
            for k, v in kwargs.items() if k not in ("training", "mask")}

        def converted(outputs):
            call = Call(names, [tuple(t.shape) for t in flat],
                        [tuple(t.shape) for t in outputs],
                        [np.dtype(t.dtype) for t in flat], other)
            result = convert(self.g, layer, call)
            result = result if isinstance(result, list) else [result]
            if len(result) != len(outputs):
                raise unsupported(layer, f"its converter gave {len(result)} outputs for the "
                                         f"layer's {len(outputs)}.")
            return result
        return converted


def _output_types(model, specs, pack, traced):
    """(shape, dtype) of each output: a call with other sizes for the dynamic input axes
    tells which output axes follow them (those get a name instead of a size)."""
    _, inputs = _samples(specs, pack, batch=3, other=5)
    with no_grad():
        again = tree.flatten(model(inputs, training=False))
    types = []
    for i, (a, b) in enumerate(zip(traced, again)):
        shape = ["batch" if j == 0 else (m if m == n else f"output_{i}_dim_{j}")
                 for j, (m, n) in enumerate(zip(a.shape, b.shape))]
        dtype = np.dtype(a.dtype)
        types.append((shape, np.dtype(np.float32) if dtype.kind == "f" else dtype))
    return types


def _output_names(model, count):
    names = getattr(model, "output_names", None)
    if names and len(names) == count:
        return list(names)
    return [f"output_{i}" for i in range(count)]


def onnx_predict(path, x):
    """Runs an exported model with ONNX Runtime (CPU).

    Args:
        path: the ``.onnx`` file written by ``model.export``.
        x: one array, or a list of arrays (one per model input, in order), or a dict
            of arrays by input name.

    Returns:
        the output array, or a list of arrays for a model with several outputs.
    """
    ort = _import("onnxruntime")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = session_feeds(session, x)
    outputs = session.run(None, feeds)
    return outputs[0] if len(outputs) == 1 else outputs


def session_feeds(session, x):
    """The ``{input name: array}`` dict of an ONNX Runtime session for ``x`` (see
    ``onnx_predict``), each array in the dtype the graph declares."""
    inputs = session.get_inputs()
    if isinstance(x, dict):
        missing = [i.name for i in inputs if i.name not in x]
        if missing:
            raise ValueError(f"The exported model expects inputs {[i.name for i in inputs]}; "
                             f"missing {missing} in the dict with keys {list(x)}.")
        arrays = [x[i.name] for i in inputs]
    else:
        arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(arrays) != len(inputs):
        raise ValueError(f"The exported model expects {len(inputs)} input(s) "
                         f"{[i.name for i in inputs]}, but received {len(arrays)}.")
    types = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32,
             "tensor(double)": np.float64}
    return {i.name: np.asarray(a, dtype=types.get(i.type)) for i, a in zip(inputs, arrays)}
