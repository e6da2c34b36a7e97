"""Compiled user-written steps: a model's own ``train_step``/``test_step``, traced and replayed.

A user's step is Python that lamina cannot read, so it is watched while it runs. Besides the
``Function`` calls (the Recorder), a ``_Watch`` notes the host-level events, in order:

- ``"grad"``: ``GradientTape.gradient(loss, weights)``: which buffer is the loss, which
  weights are the sources, the order of the backward calls; the gradients become buffers;
- ``"backward"``: ``loss.backward()``, which fills each weight's ``.grad`` the same way;
- ``"guard"``: the checks of ``Model._apply_gradients`` (when the step calls the built-in
  ``train_step``): a replay skips the update where the loss or a gradient is not finite;
- ``"call"``: a host method run with the step's values: ``Optimizer.apply`` (and so
  ``apply_gradients``), a metric's ``update_state``/``result``/``reset_state``, the model's
  ``compute_metrics`` and the loss trackers that ``compute_loss`` updates. Its Tensor and
  array arguments become buffer numbers; its result may be part of what the step returns.

The returned structure is kept too, each leaf a buffer, an event's result or a Python
value. Two traces of a signature must agree. A replay runs the recorded ops up to each
event, the event (the backward into fixed gradient buffers, or the host call on fresh
Tensors that wrap the replayed buffers), and rebuilds the returned structure.

What cannot be replayed keeps the step eager: Python reading a tensor's value (``if loss >
1:``, ``float(loss)``), gradients of a tensor that is not a weight, a weight written with a
value no op computed, a value computed outside the ops that changes from batch to batch.
"""
import threading
import types
import warnings

from lamina import backend, tree
from lamina.autograd import Tensor, Variable
from lamina.autograd.config import Config
from lamina.compile.flat import FlatOptimizer, FlatParameters
from lamina.compile.plan import Plan
from lamina.compile.recorder import NotReplayable, Recorder, Trace, batch_arrays, same_value
from lamina.compile.step import JitCompileError, _Entry, _signature
from lamina.gradient_tape import GradientTape
from lamina.metrics.metric import Metric
from lamina.optimizers.base_optimizer import Optimizer, skipped_update
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer

# host methods replayed as they are, with the replayed values
_HOST_METHODS = ((Optimizer, "apply"), (Metric, "update_state"), (Metric, "result"),
                 (Metric, "reset_state"))
# reading a tensor's value in Python: the step may branch on it, or keep it
_VALUE_READS = ("__bool__", "__float__", "__int__", "__index__", "item", "numpy")
# one trace at a time: each patches the classes above and restores them when it ends
_tracing = threading.RLock()


def user_steps(compiled):
    """The CustomSteps beside a model's CompiledSteps (made at the first use)."""
    custom = getattr(compiled, "custom", None)
    if custom is None:
        custom = compiled.custom = CustomSteps(compiled)
    return custom


def _subclasses(cls):
    out, stack = [], [cls]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


class _Watch:
    """Context manager that notes the host-level events of one user step (see the module)."""

    def __init__(self, model, recorder):
        self.model, self.recorder = model, recorder
        self.events = []      # raw: Tensors and objects as the step used them
        self.grad_ids = set()  # ids of the gradient Tensors the step received
        self.problem = None   # why the step cannot be replayed, when known while it runs
        self._undo = []

    def _note_problem(self, reason):
        if self.problem is None:
            self.problem = reason

    def _patch(self, owner, name, make):
        original = owner.__dict__[name]
        setattr(owner, name, make(original))
        self._undo.append((owner, name, original))

    def _watching(self):
        # other threads, and host calls inside a host call (the recorder is paused), pass
        return Config.recorder is self.recorder

    def __enter__(self):
        watch = self
        for base, name in _HOST_METHODS:
            for cls in _subclasses(base):
                if name in cls.__dict__:
                    self._patch(cls, name, lambda f, name=name: watch._host_call(f, name))
        self._patch(GradientTape, "gradient", self._tape_gradient)
        self._patch(Tensor, "backward", self._tensor_backward)
        for name in _VALUE_READS:
            self._patch(Tensor, name, lambda f, name=name: watch._value_read(f, name))
        model = self.model
        # instance attributes: the replay calls the model's own methods again
        model.compute_metrics = self._host_call(type(model).compute_metrics, "compute_metrics")
        model._track_loss = self._host_call(type(model)._track_loss, "_track_loss")
        model._apply_gradients = self._guarded(type(model)._apply_gradients)
        for name in ("compute_metrics", "_track_loss", "_apply_gradients"):
            self._undo.append((model, name, None))
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._undo):
            if original is None:
                del owner.__dict__[name]
            else:
                setattr(owner, name, original)

    def _host_call(self, method, name):
        watch, model = self, self.model

        def wrapped(*args, **kwargs):
            if name in ("compute_metrics", "_track_loss"):
                obj = model
            else:
                obj, args = args[0], args[1:]
            if not watch._watching():
                return method(obj, *args, **kwargs)
            with watch.recorder.paused():
                result = method(obj, *args, **kwargs)
            # the leaves as returned (the step may add to a dict of results afterwards)
            leaves = tree.flatten(result) if tree.is_nested(result) else None
            watch.events.append(("call", len(watch.recorder.calls), obj, name,
                                 (args, kwargs), result, leaves))
            return result
        return wrapped

    def _guarded(self, method):
        """``Model._apply_gradients`` (the built-in step's update, run by a user's step):
        a ``"guard"`` event before its ``optimizer.apply`` makes the replay check the loss
        and the gradients as it does, and skip the update as it does."""
        watch, model = self, self.model

        def wrapped(loss):
            start = len(watch.events)
            result = method(model, loss)
            new = watch.events[start:]
            if [e[0] for e in new] == ["backward", "call"] and new[1][3] == "apply":
                variables = list(model._train_variables)
                watch.events.insert(start + 1, (
                    "guard", new[1][1], loss, [v.grad for v in variables], variables,
                    isinstance(model.optimizer, LossScaleOptimizer)))
            elif new:
                watch._note_problem("the traced step skipped its update (a loss or gradient "
                                    "that is not finite)")
            return result
        return wrapped

    def _value_read(self, method, name):
        watch = self

        def wrapped(tensor, *args):
            if watch._watching():
                watch._note_problem(
                    f"the step reads a tensor's value in Python ({name} of a Tensor of shape "
                    f"{tuple(tensor.shape)}: a branch such as `if loss > 1:` or a value kept "
                    "with float()); such a step is different for each batch")
            return method(tensor, *args)
        return wrapped

    def _order(self, run):
        """Runs ``run()`` (an eager backward pass) noting the order of the ops' backward."""
        shim = types.SimpleNamespace(ops=[(c[0],) for c in self.recorder.calls],
                                     backward_order=[])
        undo = Trace.log_backward(shim)
        try:
            with self.recorder.paused():
                result = run()
        finally:
            undo()
        return result, shim.backward_order

    def _tape_gradient(self, method):
        watch = self

        def gradient(tape, target, sources, output_gradients=None,
                     unconnected_gradients="none"):
            if not watch._watching():
                return method(tape, target, sources, output_gradients, unconnected_gradients)
            result, order = watch._order(lambda: method(
                tape, target, sources, output_gradients, unconnected_gradients))
            if not isinstance(target, Tensor) or target.creator is None or (
                    output_gradients is not None):
                watch._note_problem("tape.gradient() of something other than one computed "
                                    "Tensor (a list of targets, or output_gradients)")
            flat = tree.flatten(sources)
            if not all(isinstance(s, Variable) for s in flat):
                watch._note_problem("tape.gradient() with respect to a tensor that is not a "
                                    "weight (tape.watch)")
            grads = tree.flatten(result) if tree.is_nested(sources) else [result]
            watch.grad_ids.update(id(g) for g in grads if g is not None)
            watch.events.append(("grad", len(watch.recorder.calls), target, flat, grads, order,
                                 [None] * len(flat)))
            return result
        return gradient

    def _tensor_backward(self, method):
        watch = self

        def backward(tensor, grad=None, retain_graph=False):
            if not watch._watching():
                return method(tensor, grad, retain_graph)
            weights = {}
            for _, _, inputs, _, _ in watch.recorder.calls:
                for x in inputs:
                    if isinstance(x, Variable) and x.requires_grad:
                        weights[id(x)] = x
            if grad is not None or tensor.creator is None:
                watch._note_problem("loss.backward() of a tensor no op computed, or with an "
                                    "upstream gradient")
            before = {id(v): v.grad for v in weights.values()}
            _, order = watch._order(lambda: method(tensor, grad, retain_graph))
            # the weights this pass reached; a .grad set before is added to
            sources = [v for v in weights.values() if v.grad is not before[id(v)]]
            grads = [v.grad for v in sources]
            watch.grad_ids.update(id(g) for g in grads)
            watch.events.append(("backward", len(watch.recorder.calls), tensor, sources, grads,
                                 order, [before[id(v)] for v in sources]))
        return backward


class _UserTrace(Trace):
    """A Trace whose gradient Tensors are buffers of their own kind, ``("grad",)``."""

    def __init__(self, recorder, batch, grad_ids):
        self.grad_ids = grad_ids
        super().__init__(recorder, batch, {})

    def _classify(self, tensor):
        if id(tensor) in self.grad_ids:
            return ("grad",)
        return super()._classify(tensor)


class _Step:
    """One traced user step: the trace, its events as buffer numbers, and what it returned."""

    def __init__(self, recorder, watch, batch, result):
        trace = self.trace = _UserTrace(recorder, batch, watch.grad_ids)
        self.results = {}   # id of an event's result (or of a leaf of it) -> ("event", k, i)
        self.events = [self._event(k, e) for k, e in enumerate(watch.events)]
        self.output = self._pack(result)
        self.requires_grad = [(kind[1], kind[1].requires_grad) for kind in trace.kinds
                              if kind[0] == "var"]

    def still_valid(self):
        """False when a weight's ``trainable`` flag changed since this trace."""
        return all(v.requires_grad is flag for v, flag in self.requires_grad)

    def _ref(self, leaf):
        if isinstance(leaf, (Tensor, float)) or backend.is_array(leaf):
            found = self.results.get(id(leaf))
            if found is not None:
                return found
        if isinstance(leaf, Variable):
            return ("value", leaf)
        if isinstance(leaf, Tensor):
            return ("tensor", self.trace.buffer(leaf), self.trace._fields(leaf))
        if backend.is_array(leaf):
            return ("array", self.trace.buffer(Tensor._wrap(leaf)))   # keeps its dtype
        return ("value", leaf)

    def _pack(self, structure):
        """(shape, refs) of a nested structure; the shape keeps its containers."""
        return (tree.map_structure(lambda _: None, structure),
                [self._ref(leaf) for leaf in tree.flatten(structure)])

    def _event(self, k, event):
        kind, position = event[:2]
        if kind == "call":
            obj, name, arguments, result, leaves = event[2:]
            packed = self._pack(arguments)
            if leaves is None:
                self.results[id(result)] = ("event", k, None)
            else:
                for i, leaf in enumerate(leaves):
                    self.results[id(leaf)] = ("event", k, i)
            return (kind, position, obj, name, packed)
        if kind == "guard":
            loss, grads, variables, scaled = event[2:]
            return (kind, position, self.trace.buffer(loss),
                    tuple(None if g is None else self.trace.buffer(g) for g in grads),
                    tuple(variables), scaled)
        target, sources, grads, order, priors = event[2:]
        buffer = self.trace.buffer
        return (kind, position, buffer(target), tuple(buffer(s) for s in sources),
                tuple(None if g is None else buffer(g) for g in grads), tuple(order),
                tuple(None if p is None else buffer(p) for p in priors))

    def difference(self, other):
        """Why two traced steps differ, or None."""
        reason = self.trace.difference(other.trace)
        if reason:
            return reason
        if len(self.events) != len(other.events):
            return (f"the two traced steps made {len(self.events)} and {len(other.events)} "
                    "host calls (Python control flow on tensor values?)")
        for a, b in zip(self.events, other.events):
            if a[0] in ("grad", "backward"):   # ops of one generation: backward in any order
                a, b = (e[:5] + (sorted(e[5]),) + e[6:] for e in (a, b))
            if not same_value(a, b):
                what = f"{type(a[2]).__name__}.{a[3]}()" if a[0] == "call" else a[0]
                return f"the two traced steps differ at the host call {what}"
        if not same_value(self.output, other.output):
            return "the two traced steps returned different results"
        return None


class _Replay:
    """A user step replayed: the Plan's ops in segments, the events between them."""

    def __init__(self, step):
        trace = step.trace
        self.plan = plan = Plan(trace)
        self.ops = plan.forward_ops
        # where the k-th recorded op is in the plan's list (which may hold more steps, such
        # as weight writes placed among the ops): an event after k ops runs there
        recorded = {id(op[0]) for op in trace.ops}
        self.starts = [i for i, (f, _, _) in enumerate(self.ops) if id(f) in recorded]
        self.starts.append(len(self.ops))
        self.events, self.output = [], step.output
        for event in step.events:
            if event[0] in ("grad", "backward"):
                kind, position, loss, sources, grads, order, priors = event
                targets = {n: backend.get_array_module(trace.kinds[n][1].data).zeros_like(
                    trace.kinds[n][1].data) for n in sources}
                backward_ops = [(trace.ops[k][0], trace.ops[k][2], trace.ops[k][3])
                                for k in order]
                variables = [trace.kinds[n][1] for n in sources]
                event = (kind, position, loss, sources, grads, backward_ops, targets, variables,
                         priors)
            self.events.append(event)
        self.fused = _fused_update(self.events, self.output)
        self.flat = None   # (FlatParameters, FlatOptimizer) of the fused update
        trace.release()

    def still_valid(self):
        """False when a weight's ``trainable`` flag changed since tracing."""
        return self.plan.still_valid()

    def _flat_targets(self, sources, variables):
        """The flat gradient views of the fused update, its buffers made afresh when the
        weights' storage or the optimizer's slots changed since the last replay."""
        optimizer = self.events[self.fused + 1][2]
        flat = self.flat
        if flat is None or not flat[0].intact(variables) or not flat[1].intact(optimizer):
            params = FlatParameters(variables)
            flat = self.flat = (params, FlatOptimizer(optimizer, params))
        return dict(zip(sources, flat[0].grad_views))

    def _skips_update(self, loss, grads, variables, scaled):
        """``Model._apply_gradients``'s checks: True (with its warning) when the loss or,
        unless a LossScaleOptimizer handles it, a gradient is not finite."""
        buffers = self.plan.buffers
        skipped = skipped_update(float(buffers[loss]),
                                 [None if g is None else buffers[g] for g in grads], variables,
                                 scaled)
        if skipped:
            warnings.warn(skipped, RuntimeWarning, stacklevel=5)
        return skipped is not None

    def _value(self, ref, results):
        kind = ref[0]
        if kind == "tensor":
            t = Tensor._wrap(self.plan.buffers[ref[1]])
            for name, (how, value) in ref[2].items():
                setattr(t, name, Tensor._wrap(self.plan.buffers[value]) if how == "buffer"
                        else value)
            return t
        if kind == "array":
            return self.plan.buffers[ref[1]]
        if kind == "event":
            result = results[ref[1]]
            return result if ref[2] is None else tree.flatten(result)[ref[2]]
        return ref[1]

    def _unpack(self, packed, results):
        shape, refs = packed
        values = [self._value(ref, results) for ref in refs]
        return values[0] if shape is None else tree.pack_sequence_as(shape, values)

    def _run_ops(self, start, stop):
        plan = self.plan
        buffers = plan.buffers
        for number, v in plan.variables:   # an update earlier in the step may replace .data
            buffers[number] = v.data
        plan.run(self.ops[start:stop])

    def run(self, batch):
        """One step on a new batch (its arrays, flattened as when traced); returns what the
        user's step returns."""
        plan = self.plan
        buffers = plan.buffers
        for number, j, dtype, shape in plan.inputs:
            b = batch[j]
            buffers[number] = b if dtype is None else b.astype(dtype, copy=False).reshape(shape)
        done, results, skip = 0, [], False
        for event in self.events:
            position = self.starts[event[1]]
            self._run_ops(done, position)
            done = position
            kind = event[0]
            if skip:   # the update a guard stopped
                results.append(None)
                skip = False
                continue
            if kind == "guard":
                results.append(None)
                skip = self._skips_update(*event[2:])
                continue
            if self.fused is not None and len(results) == self.fused + 1:   # its apply()
                self.flat[1].apply()
                for v in self.flat[0].variables:
                    if getattr(v, "constraint", None) is not None:
                        v.assign(v.constraint(v))
                results.append(None)
                continue
            if kind == "call":
                obj, name, packed = event[2:]
                args, kwargs = self._unpack(packed, results)
                results.append(getattr(obj, name)(*args, **kwargs))
                continue
            loss, sources, grads, backward_ops, targets, variables, priors = event[2:]
            if self.fused is not None and len(results) == self.fused:
                targets = self._flat_targets(sources, variables)
            plan.loss, plan.backward_ops, plan.grad_targets = loss, backward_ops, targets
            plan.backward()
            for n, g, v, prior in zip(sources, grads, variables, priors):
                if prior is not None:   # eager adds to the .grad an earlier pass left
                    targets[n] += buffers[prior]
                if g is not None:
                    buffers[g] = targets[n]
                    if kind == "backward":
                        v.grad = Tensor._wrap(targets[n])
            results.append(None)
        self._run_ops(done, len(self.ops))
        return self._unpack(self.output, results)


def _fused_update(events, output):
    """The number of the gradient event whose gradients go, unchanged and all of them, to
    the next event ``optimizer.apply(grads, weights)`` on the same weights (the usual step)
    and nowhere else; its update then runs on the flat buffers (``lamina.compile.flat``).
    None when there is none."""
    for k, (event, then) in enumerate(zip(events, events[1:])):
        if event[0] not in ("grad", "backward") or then[0] != "call" or then[3] != "apply":
            continue
        _, position, _, sources, grads, _, _, variables, priors = event
        if (then[1] == position and None not in grads and priors.count(None) == len(priors)
                and len(set(sources)) == len(sources) and _applies(then[4], grads, variables)
                and not _reads(events[k + 2:], output, set(grads))
                and FlatParameters.supports(variables) is None
                and FlatOptimizer.supports(then[2]) is None):
            return k
    return None


def _applies(packed, grads, variables):
    """True when the packed arguments are exactly ``(grads, variables)``."""
    shape, refs = packed
    args, kwargs = shape
    if kwargs or len(args) != 2 or not isinstance(args[0], (list, tuple)) or (
            len(args[0]) != len(grads) or len(refs) != 2 * len(grads)):
        return False
    return (all(ref == ("tensor", g, {}) for ref, g in zip(refs, grads))
            and all(ref[0] == "value" and ref[1] is v
                    for ref, v in zip(refs[len(grads):], variables)))


def _reads(events, output, buffers):
    """True when one of ``events`` or the returned ``output`` reads one of ``buffers``."""
    refs = list(output[1])
    for event in events:
        if event[0] == "call":
            refs += event[4][1]
        elif buffers.intersection(event[3] if event[0] == "guard" else event[-1]):
            return True
    return any(ref[0] in ("tensor", "array") and ref[1] in buffers for ref in refs)


class CustomSteps:
    """The compiled forms of a model's own ``train_step`` and ``test_step``.

    Args:
        compiled: the model's CompiledSteps (its ``required`` flag, ``replays`` count and
            ``fallback_reason`` are shared).
    """

    def __init__(self, compiled):
        self.compiled = compiled
        self.entries = {}
        self.warned = False

    def run(self, kind, data):
        """Runs ``model.<kind>(data)`` (``kind``: 'train_step' or 'test_step'): replayed,
        traced, or eagerly where it cannot be replayed."""
        model = self.model = self.compiled.model
        batch = batch_arrays(data)
        key = _signature(kind, batch, (data,))
        entry = self.entries.get(key)
        known = entry and (entry.plan or entry.trace)
        if entry is None or (known is not None and not known.still_valid()):
            entry = self.entries[key] = _Entry()   # new signature, or a layer (un)frozen
        if entry.reason:
            return getattr(model, kind)(data)
        if entry.plan is not None:
            self.compiled.replays += 1
            return entry.plan.run(batch)
        recorder = Recorder()
        thread, model._compiled_thread = model._compiled_thread, None  # no nested plans
        try:
            with _tracing, _Watch(model, recorder) as watch, recorder:
                result = getattr(model, kind)(data)
        finally:
            model._compiled_thread = thread
        try:
            if watch.problem:
                raise NotReplayable(watch.problem)
            step = _Step(recorder, watch, batch, result)
        except NotReplayable as e:
            self._give_up(entry, str(e))
            return result
        if entry.trace is None:
            entry.trace = step
            return result
        reason = entry.trace.difference(step)
        entry.trace = None
        if reason:
            self._give_up(entry, reason)
        else:
            entry.plan = _Replay(step)
        return result

    def _give_up(self, entry, reason):
        """The signature stays eager: one warning under 'auto', an error under True."""
        name = type(self.model).__name__
        entry.trace = entry.plan = None
        entry.reason = self.compiled.fallback_reason = f"{name}'s own step: {reason}"
        if self.compiled.required:
            raise JitCompileError(f"jit_compile=True, but {entry.reason}. Use "
                                  "jit_compile='auto' or run_eagerly=True to run it eagerly.")
        if not self.warned:
            self.warned = True
            warnings.warn(f"jit_compile: {name}'s own step runs eagerly because {reason}. "
                          "Pass run_eagerly=True to compile() to run it eagerly without this "
                          "message.", UserWarning, stacklevel=5)
