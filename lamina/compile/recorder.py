"""Recorder and Trace: watch one eager step and write down what it computed.

While a ``Recorder`` is active, every ``Function`` call reports itself (the op object, its
settings before ``forward``, its input and output Tensors) and every ``Variable.assign``
reports the weight it writes, the value and where in the op stream it happens (a
BatchNormalization's moving statistics). A ``Trace`` turns those calls into numbered buffers:

- ``"out"``: the output of a recorded op,
- ``"input"``: an array of the batch (as given, or cast/reshaped the way the step did),
- ``"var"``: a weight, read afresh at each replay,
- ``"const"``: any other value, frozen.

Two traces of the same signature are compared before a plan is made from them: a value
that the step computed outside the recorded ops (a random draw, a value of the batch
turned into a constant, a branch taken on a tensor value) shows up as a difference. A
weight write is replayed when its value is a recorded op's output; any other value (computed
outside the ops) makes the step unreplayable.
"""
import sys

from lamina import backend, tree
from lamina.autograd import Tensor, Variable
from lamina.autograd.config import Config
from lamina.layers.base import Layer


class NotReplayable(Exception):
    """The step cannot be replayed faithfully; the message says which layer or op."""


def _calling_layer():
    """Name of the innermost layer whose ``call`` is running (for error messages)."""
    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, Layer):
            return owner.name
        frame = frame.f_back
    return None


class Recorder:
    """Context manager that records Function calls and weight writes of one step."""

    def __init__(self):
        self.calls = []      # (function, settings, inputs, outputs, layer name)
        self.assigned = []   # (number of calls before it, variable, value, method)

    def record(self, function, settings, inputs, outputs):
        self.calls.append((function, settings, list(inputs), list(outputs), _calling_layer()))

    def note_assign(self, variable, value, method):
        self.assigned.append((len(self.calls), variable, value, method))

    def __enter__(self):
        self._previous = Config.recorder
        Config.recorder = self
        return self

    def __exit__(self, *exc):
        Config.recorder = self._previous

    def paused(self):
        """Context manager that stops recording, for host-side work the replay repeats
        itself (updating the loss trackers' variables)."""
        return _Paused()


class _Paused:
    def __enter__(self):
        self._previous, Config.recorder = Config.recorder, None

    def __exit__(self, *exc):
        Config.recorder = self._previous


def same_value(a, b):
    """True when two recorded settings or constants are equal (arrays by value)."""
    if a is b:
        return True
    if isinstance(a, Variable) or isinstance(b, Variable):
        return False
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        a, b = a.data, b.data
    if backend.is_array(a) or backend.is_array(b):
        if not (backend.is_array(a) and backend.is_array(b)):
            return False
        return (a.shape == b.shape and a.dtype == b.dtype
                and bool(backend.get_array_module(a).array_equal(a, b, equal_nan=a.dtype.kind
                                                                  in "fc")))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_value, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # objects without a usable ==
        return False


_TENSOR_FIELDS = {"data", "creator", "requires_grad", "generation", "grad", "name"}


class Trace:
    """One recorded step as numbered buffers and ops.

    Args:
        recorder: the Recorder that watched the step.
        batch: the batch's arrays, flattened (x, then y, then sample_weight).
        results: dict of named Tensors the step produced (``"y_pred"``: list, ``"loss"``,
            ``"trackers"``: list of (tracker, Tensor)).
    """

    def __init__(self, recorder, batch, results):
        self.batch = batch
        self.kinds = []        # per buffer: ("out",) ("input", j, dtype, shape) ("var", v)
        self.shapes = []       # or ("const", array)
        self._index = {}       # id(Tensor) -> buffer number
        self._by_data = {}     # id(array) of an op's output -> its buffer number
        self._alive = []       # the Tensors, so their ids stay valid while tracing
        self.ops = []          # (function, settings, input buffers, output buffers, layer)
        seen = set()
        for function, settings, inputs, outputs, layer in recorder.calls:
            if id(function) in seen:
                raise NotReplayable(f"the op {type(function).__name__} in layer {layer!r} is "
                                    "called twice in one step")
            seen.add(id(function))
            if any(getattr(t, "_keras_mask", None) is not None for t in inputs):
                # masks are host arrays made from the data, invisible to the trace: a
                # replay would keep the traced batch's mask.
                raise NotReplayable(f"the op {type(function).__name__} in layer {layer!r} "
                                    "reads a masked tensor (masks are computed outside the "
                                    "recorded ops)")
            ins = tuple(self.buffer(t) for t in inputs)
            outs = tuple(self._add(t, ("out",)) for t in outputs)
            self._by_data.update((id(t.data), o) for t, o in zip(outputs, outs))
            self.ops.append((function, settings, ins, outs, layer))
        # weight writes: (position in ops, variable, method, the value's buffer or None when
        # the value is not an op's output)
        self.assigns = [(position, variable, method, self._output_buffer(value))
                        for position, variable, value, method in recorder.assigned]
        self.y_pred = [self.buffer(t) for t in results.get("y_pred", [])]
        self.y_pred_fields = [self._fields(t) for t in results.get("y_pred", [])]
        loss = results.get("loss")
        self.loss = None if loss is None else self.buffer(loss)
        self.trackers = [(tracker, self.buffer(t)) for tracker, t in results.get("trackers", [])]
        self.backward_order = []   # op numbers in the order eager backward called them

    def _add(self, tensor, kind):
        self._index[id(tensor)] = len(self.kinds)
        self._alive.append(tensor)
        self.kinds.append(kind)
        self.shapes.append(tensor.data.shape)
        return len(self.kinds) - 1

    def buffer(self, tensor):
        """The buffer number of a Tensor, classifying it when it is not an op's output."""
        if not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        found = self._index.get(id(tensor))
        if found is None and not isinstance(tensor, Variable):
            # another Tensor over an op's output array: detach(), ops.stop_gradient()
            found = self._by_data.get(id(tensor.data))
        if found is not None:
            return found
        return self._add(tensor, self._classify(tensor))

    def _output_buffer(self, value):
        found = self._index.get(id(value)) if isinstance(value, Tensor) else None
        return found if found is not None and self.kinds[found][0] == "out" else None

    def _classify(self, tensor):
        if isinstance(tensor, Variable):
            return ("var", tensor)
        data = tensor.data
        for j, b in enumerate(self.batch):
            if data is b:
                return ("input", j, None, None)
        for j, b in enumerate(self.batch):
            # NOTE: the batch as the step converted it (uint8 labels -> float32, a reshape):
            # the batch axis must stay first and every value must match.
            if (data.ndim and b.ndim and data.shape[0] == b.shape[0] and data.size == b.size
                    and b.dtype.kind in "biuf" and data.dtype.kind in "biuf"
                    and bool((b.astype(data.dtype).reshape(data.shape) == data).all())):
                return ("input", j, data.dtype, data.shape)
        return ("const", data)

    def _fields(self, tensor):
        """Extra attributes of an output Tensor (such as the logits of a softmax)."""
        out = {}
        for k, v in tensor.__dict__.items():
            if k not in _TENSOR_FIELDS:
                out[k] = ("buffer", self.buffer(v)) if isinstance(v, Tensor) else ("value", v)
        return out

    def log_backward(self):
        """Makes each op note when eager backward calls it; returns the undo function."""
        def logged(number, function):
            method = type(function).backward

            def backward(*gys):
                self.backward_order.append(number)
                return method(function, *gys)
            return backward
        for number, (function, *_) in enumerate(self.ops):
            function.backward = logged(number, function)

        def undo():
            for function, *_ in self.ops:
                function.__dict__.pop("backward", None)
        return undo

    def release(self):
        """Drops the recorded Tensors (the graph) once the plan is made."""
        self._alive = self._index = self._by_data = None
        for function, *_ in self.ops:
            function.__dict__.pop("inputs", None)
            function.__dict__.pop("outputs", None)

    def difference(self, other):
        """Why two traces of one signature differ, or None when they agree."""
        for trace in (self, other):
            for _, v, _, value in trace.assigns:
                if value is None:
                    return (f"the step writes to the weight {v.path!r} a value computed outside "
                            "the recorded ops")
        if [(p, id(v), m, n) for p, v, m, n in self.assigns] != [
                (p, id(v), m, n) for p, v, m, n in other.assigns]:
            return "the two traced steps write to different weights"
        if len(self.ops) != len(other.ops):
            return (f"the two traced steps ran {len(self.ops)} and {len(other.ops)} ops "
                    "(Python control flow on tensor values?)")
        for k, (a, b) in enumerate(zip(self.ops, other.ops)):
            fa, sa, ia, oa, layer = a
            fb, sb, ib, ob, _ = b
            where = f"op #{k} {type(fa).__name__} in layer {layer!r}"
            if type(fa) is not type(fb) or ia != ib or oa != ob:
                return (f"the two traced steps differ at {where} "
                        "(Python control flow on tensor values?)")
            if not same_value(sa, sb):
                return (f"{where} has settings that change from step to step "
                        "(a random or data-dependent value drawn outside the op?)")
            if getattr(fa, "needs_grad", None) != getattr(fb, "needs_grad", None):
                return f"{where} needs gradients for different inputs in the two steps"
        for n, (ka, kb) in enumerate(zip(self.kinds, other.kinds)):
            if ka[0] != kb[0] or (ka[0] == "var" and ka[1] is not kb[1]) or (
                    ka[0] == "input" and ka[1:] != kb[1:]) or (
                    ka[0] == "const" and not same_value(ka[1], kb[1])):
                user = next(((k, op) for k, op in enumerate(other.ops) if n in op[2]), None)
                where = "the step's result" if user is None else (
                    f"op #{user[0]} {type(user[1][0]).__name__} in layer {user[1][4]!r}")
                return (f"an input of {where} is computed outside the recorded ops and changes "
                        "from step to step (a random draw or a value of the data?)")
        if len(self.kinds) != len(other.kinds):
            return "the two traced steps used different values"
        if (self.y_pred != other.y_pred or self.loss != other.loss
                or [b for _, b in self.trackers] != [b for _, b in other.trackers]
                or not same_value(self.y_pred_fields, other.y_pred_fields)):
            return "the two traced steps returned different results"
        if sorted(self.backward_order) != sorted(other.backward_order):
            return "the two traced steps ran different backward ops"
        return None


def batch_arrays(*parts):
    """The arrays of a batch's parts (x, y, sample_weight), flattened, Nones dropped."""
    out = []
    for part in parts:
        for leaf in tree.flatten(part):
            if leaf is None:
                continue
            # the replay feeds these to the ops as they are: host data goes to the device
            out.append(leaf.data if isinstance(leaf, Tensor) else backend.to_device(leaf))
    return out
