"""CompiledSteps: a model's train/test/predict steps, traced per signature and replayed.

For each signature (the step kind, the batch arrays' shapes and dtypes) the first two
batches run the eager step under a Recorder. When the two traces agree, later batches
replay the Plan; when they differ, or the model does something the plan cannot replay,
that signature stays eager (``jit_compile="auto"``) or a ``JitCompileError`` names the
cause (``jit_compile=True``).

Under ``"auto"`` a fallback warns once per model and reason (a ``UserWarning`` naming the
layer or op; ``jit_compile=False`` or ``run_eagerly=True`` silences it), except where the
eager step is simply how lamina runs that model, known before any trace: a model that
overrides ``compute_loss`` or ``_apply_gradients``, weights that cannot share one flat
buffer, an optimizer with its own ``apply`` (the ``LossScaleOptimizer`` of mixed
precision), and weights without gradients (eager warns about those itself).
"""
import warnings

from lamina import tree
from lamina.autograd import Tensor
from lamina.compile.flat import FlatOptimizer, FlatParameters
from lamina.compile.plan import Plan
from lamina.compile.recorder import NotReplayable, Recorder, Trace, batch_arrays
from lamina.optimizers.base_optimizer import skipped_update


class JitCompileError(ValueError):
    """``jit_compile=True`` was asked for a step that cannot be compiled."""


class _Entry:
    """What is known about one signature: the first trace, then a plan or a reason."""
    __slots__ = ("trace", "plan", "reason", "eager_for")

    def __init__(self):
        self.trace = self.plan = self.reason = self.eager_for = None


def _signature(kind, batch, parts):
    shapes = tuple([(a.shape, a.dtype) for a in batch])
    layout = tuple(tuple(p) if isinstance(p, dict) else
                   len(p) if isinstance(p, (list, tuple)) else p is None for p in parts)
    return kind, shapes, layout


def _outputs(y_pred):
    """(list of output Tensors, the structure to pack them back into)."""
    if isinstance(y_pred, Tensor):
        return [y_pred], None
    return tree.flatten(y_pred), tree.map_structure(lambda t: None, y_pred)


class CompiledSteps:
    """The compiled steps of one model.

    Args:
        model: the Model.
        required: True when ``jit_compile=True`` (errors instead of eager fallbacks).
        base: the Model class; a model that overrides its ``compute_loss`` or
            ``_apply_gradients`` is not compiled.
    """

    def __init__(self, model, required, base):
        self.model = model
        self.required = required
        self.entries = {}
        self.params = self.flat_optimizer = None
        self.fallback_reason = None   # why the last signature stayed eager
        self.warned = set()           # the reasons already warned about
        self.replays = 0              # steps run from a plan (for tests and benchmarks)
        cls = type(model)
        self.model_reason = next((f"{cls.__name__} overrides {name}()" for name in
                                  ("compute_loss", "_apply_gradients")
                                  if getattr(cls, name) is not getattr(base, name)), None)

    def _give_up(self, entry, reason, soft=False, quiet=False):
        """Marks a signature eager; under ``jit_compile=True`` raises instead (unless the
        reason is eager's own behaviour, ``soft``); under 'auto' warns once per reason
        (unless ``soft`` or ``quiet``: how lamina runs this model)."""
        entry.trace = entry.plan = None
        entry.reason = self.fallback_reason = reason
        if self.required and not soft:
            raise JitCompileError(f"jit_compile=True, but the step cannot be compiled: {reason}. "
                                  "Use jit_compile='auto' or run_eagerly=True to run it eagerly.")
        if not (soft or quiet or reason in self.warned):
            self.warned.add(reason)
            warnings.warn(f"jit_compile='auto': the step of model {self.model.name!r} runs "
                          f"eagerly because {reason}. Pass jit_compile=False or "
                          "run_eagerly=True to compile() to run it eagerly without this warning.",
                          UserWarning, stacklevel=5)

    def _entry(self, kind, parts):
        batch = batch_arrays(*parts)
        key = _signature(kind, batch, parts)
        entry = self.entries.get(key)
        if entry is None or (entry.plan is not None and not entry.plan.still_valid()) or (
                entry.eager_for is not None and entry.eager_for is not self.model._train_variables):
            # new signature, a layer frozen or unfrozen, or a new fit after a soft fallback
            entry = self.entries[key] = _Entry()
            if self.model_reason and kind != "predict":
                self._give_up(entry, self.model_reason, quiet=True)
        return entry, batch

    def _trace(self, entry, run):
        """Runs the eager step once under a Recorder; returns (its result, the trace when
        it agrees with the previous one)."""
        weights = len(self.model.weights)
        result, trace = run(Recorder())
        if len(self.model.weights) != weights:   # this step built layers: trace the next one
            return result, None
        if isinstance(trace, str):
            self._give_up(entry, trace)
            return result, None
        if entry.trace is None:
            entry.trace = trace
            return result, None
        reason = entry.trace.difference(trace)
        entry.trace = None
        if reason:
            self._give_up(entry, reason)
            return result, None
        return result, trace

    def _record(self, recorder, batch, x, y, sample_weight, training, loss=True):
        """The eager step's forward (and loss), recorded; returns (y_pred, loss, trace or
        the reason it cannot be replayed)."""
        model = self.model
        trackers = []

        def track(tracker, value, batch_size):
            trackers.append((tracker, value))
            with recorder.paused():   # the replay calls _track_loss again
                type(model)._track_loss(model, tracker, value, batch_size)
        model._track_loss = track
        try:
            with recorder:
                y_pred = model(x, training=training)
                total = model.compute_loss(x, y, y_pred, sample_weight,
                                           training=training) if loss else None
        finally:
            del model._track_loss
        outputs, structure = _outputs(y_pred)
        try:
            trace = Trace(recorder, batch, {"y_pred": outputs, "loss": total,
                                            "trackers": trackers})
            trace.structure = structure
        except NotReplayable as e:
            trace = str(e)
        return y_pred, total, trace

    def _predictions(self, plan):
        outputs = plan.outputs()
        y_pred = outputs[0] if plan.structure is None else tree.pack_sequence_as(
            plan.structure, outputs)
        return y_pred, outputs[0].shape[0]

    def _track_losses(self, plan, batch_size):
        for tracker, number in plan.trackers:
            self.model._track_loss(tracker, plan.buffers[number], batch_size)

    # --- train ---
    def _flat(self, variables):
        """The flat buffers for ``variables`` (rebuilt when the weights or optimizer changed);
        returns the reason when they cannot be flat."""
        params = self.params
        if params is None or not params.intact(variables):
            reason = FlatParameters.supports(variables)
            if reason:
                return reason
            self.params = FlatParameters(variables)
            self.flat_optimizer = None
            for entry in self.entries.values():
                if entry.plan is not None and entry.plan.grad_targets:
                    entry.plan = entry.trace = None   # its views belong to the old buffer
        optimizer = self.model.optimizer
        if self.flat_optimizer is None or not self.flat_optimizer.intact(optimizer):
            reason = FlatOptimizer.supports(optimizer)
            if reason:
                return reason
            self.flat_optimizer = FlatOptimizer(optimizer, self.params)
        return None

    def train_step(self, x, y, sample_weight):
        """One training step: the plan's replay, or a traced eager step; None when this
        signature runs eagerly."""
        model = self.model
        entry, batch = self._entry("train", (x, y, sample_weight))
        if entry.reason:
            return None
        plan = entry.plan
        if plan is not None:   # the model is built: collect its weights as eager does
            variables = model._train_variables
            if variables is None:
                variables = model._train_variables = model.trainable_weights
            if not self.params.intact(variables):
                plan = entry.plan = None
        if plan is None:
            return self._trace_train(entry, batch, x, y, sample_weight)
        if not self.flat_optimizer.intact(model.optimizer) and self._flat(variables):
            entry.plan = None   # a new optimizer that cannot run flat: trace (and decide) again
            return self._trace_train(entry, batch, x, y, sample_weight)
        self.replays += 1
        plan.forward(batch)
        y_pred, batch_size = self._predictions(plan)
        self._track_losses(plan, batch_size)
        loss = float(plan.buffers[plan.loss])
        plan.backward(model.optimizer.loss_scale_factor)   # Optimizer.scale_loss
        # the rest of Model._apply_gradients
        skipped = skipped_update(loss, self.params.grad_views, variables, flat=self.params.grads)
        if skipped:
            warnings.warn(skipped, RuntimeWarning, stacklevel=3)
        else:
            self.flat_optimizer.apply()
            for v in variables:
                if getattr(v, "constraint", None) is not None:
                    v.assign(v.constraint(v))
        return model.compute_metrics(x, y, y_pred, sample_weight)

    def _trace_train(self, entry, batch, x, y, sample_weight):
        model = self.model

        def run(recorder):
            y_pred, loss, trace = self._record(recorder, batch, x, y, sample_weight, True)
            undo = trace.log_backward() if isinstance(trace, Trace) else None
            try:
                model._apply_gradients(loss)
            finally:
                if undo:
                    undo()
            return model.compute_metrics(x, y, y_pred, sample_weight), trace

        logs, trace = self._trace(entry, run)
        if trace is None:
            return logs
        variables = model._train_variables
        given = {id(v) for _, v in Plan(trace).variables if v.requires_grad}
        missing = [v.path for v in variables if id(v) not in given]
        if missing:   # eager warns and skips them at each step: stay eager until the next fit
            self._give_up(entry, f"the weights {missing} get no gradient", soft=True)
            entry.eager_for = variables
            return logs
        reason = self._flat(variables)
        if reason:
            self._give_up(entry, reason, quiet=True)
            return logs
        params = self.params
        grad_views = {id(v): g for v, g in zip(params.variables, params.grad_views)}
        entry.plan = _finish(Plan(trace, grad_views), trace)
        return logs

    # --- test and predict ---
    def _forward_only(self, kind, parts, traced, replayed):
        """A step with no backward pass: ``traced(recorder, batch)`` runs it eagerly under
        the recorder, ``replayed(plan)`` finishes it after the plan's forward pass."""
        entry, batch = self._entry(kind, parts)
        if entry.reason:
            return None
        if entry.plan is None:
            result, trace = self._trace(entry, lambda recorder: traced(recorder, batch))
            if trace is not None:
                entry.plan = _finish(Plan(trace), trace)
            return result
        self.replays += 1
        entry.plan.forward(batch)
        return replayed(entry.plan)

    def test_step(self, x, y, sample_weight):
        """One evaluation step (replayed or traced); None when it runs eagerly."""
        model = self.model

        def traced(recorder, batch):
            y_pred, _, trace = self._record(recorder, batch, x, y, sample_weight, False)
            return model.compute_metrics(x, y, y_pred, sample_weight), trace

        def replayed(plan):
            y_pred, batch_size = self._predictions(plan)
            self._track_losses(plan, batch_size)
            return model.compute_metrics(x, y, y_pred, sample_weight)
        return self._forward_only("test", (x, y, sample_weight), traced, replayed)

    def predict_step(self, x):
        """The outputs of one batch (replayed or traced); None when it runs eagerly."""
        def traced(recorder, batch):
            y_pred, _, trace = self._record(recorder, batch, x, None, None, False, loss=False)
            return y_pred, trace
        return self._forward_only("predict", (x, None, None), traced,
                                  lambda plan: self._predictions(plan)[0])

def _finish(plan, trace):
    plan.fuse_softmax_cross_entropy()
    plan.structure = trace.structure
    trace.release()
    return plan
