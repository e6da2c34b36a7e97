"""Model: a Layer that can compile, fit, evaluate and predict."""
import inspect
import threading
import warnings

import numpy as np

from lamina import backend, distribute, losses, ops, optimizers, tree
from lamina import metrics as metrics_module
from lamina.autograd import Tensor, no_grad
from lamina.callbacks import CallbackList
from lamina.compile import CompiledSteps
from lamina.compile.custom_step import user_steps
from lamina.layers.base import Layer, _float_dtype
from lamina.models import data_adapter
from lamina.models.data_adapter import unpack_x_y_sample_weight
from lamina.models.summary import print_summary
from lamina.naming import snake_case
from lamina.optimizers.base_optimizer import skipped_update
from lamina.serialization import object_registration, serialize_keras_object


def _floats(logs):
    """Logs as Python floats (a custom train_step may return Tensors or arrays)."""
    for v in logs.values():
        if type(v) is not float:
            return {k: float(v) for k, v in logs.items()}
    return logs


def _shape_to_list(shape):
    if isinstance(shape, dict):
        return {k: _shape_to_list(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_shape_to_list(s) for s in shape]
    return None if shape is None else list(shape)


def conform_input(x, ref_shape, ref_dtype, name):
    """Fits an input Tensor to the model's ``Input`` as Keras does: a trailing axis of size 1
    is dropped or added to match the expected rank, and integer or other float data is cast
    to a float ``Input``'s dtype (so ``predict`` on integers returns float32).

    Raises:
        ValueError: when the rank differs in any other way (an extra axis such as
            (n, 1, 8) for an input of shape (None, 8) would silently broadcast).
    """
    if not isinstance(x, Tensor) or ref_shape is None:
        return x
    rank, ref_rank = x.ndim, len(ref_shape)
    mask = getattr(x, "_keras_mask", None)
    if rank == ref_rank + 1 and x.shape[-1] == 1:
        x = ops.squeeze(x, -1)
    elif rank == ref_rank - 1 and ref_shape[-1] == 1:
        x = ops.expand_dims(x, -1)
    elif rank != ref_rank:
        raise ValueError(f"Invalid input shape for input '{name}'. Expected shape "
                         f"{tuple(ref_shape)}, but input has incompatible shape {tuple(x.shape)}")
    ref_dtype = _float_dtype(ref_dtype)  # None for an int or string Input: no cast
    if (ref_dtype is not None and x.dtype != ref_dtype
            and x.dtype.kind in "iub" + ("f" if not x.requires_grad else "")):
        x = Tensor._wrap(x.data.astype(ref_dtype))
    if mask is not None and getattr(x, "_keras_mask", None) is None:
        x._keras_mask = mask
    return x


def _check_validation_freq(validation_freq):
    """Keras's ``validation_freq``: a positive int (every n epochs) or a list of epochs."""
    if isinstance(validation_freq, (list, tuple)):
        for epoch in validation_freq:
            data_adapter.check_positive_int("validation_freq", epoch)
    elif not isinstance(validation_freq, (int, np.integer)) or isinstance(validation_freq, bool):
        raise ValueError("Expected `validation_freq` to be a list or int. "
                         f"Received: validation_freq={validation_freq} of the "
                         f"type {type(validation_freq)}.")
    else:
        data_adapter.check_positive_int("validation_freq", validation_freq)


def _should_eval(epoch, validation_freq):
    if isinstance(validation_freq, (list, tuple)):
        return epoch + 1 in validation_freq  # epochs counted from 1, as in Keras
    return (epoch + 1) % validation_freq == 0


def _verbosity(verbose):
    return 1 if verbose == "auto" else verbose


def _for_worker(callbacks, strategy):
    """The callbacks this worker runs: those that write files or print only on the chief."""
    if strategy.is_chief or not callbacks:
        return callbacks
    return [c for c in callbacks if not getattr(c, "chief_only", False)]


def _functional_arguments(args, kwargs):
    """True for the arguments of a functional model: (inputs, outputs), in any spelling."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls, functional):
    """Puts ``functional`` in place of Model among the bases of ``cls`` (and its parents)."""
    if cls is Model:
        return functional
    if cls is object or issubclass(cls, functional):
        return cls
    cls.__bases__ = tuple(_inject_functional(base, functional) for base in cls.__bases__)
    return cls


def _functional_constructor(cls):
    """True when ``cls.__init__`` takes what a functional model's does (inputs, outputs, ...)
    or passes ``*args, **kwargs`` on, so a functional config can rebuild it."""
    spec = inspect.getfullargspec(cls.__init__)
    return spec.args[1:3] == ["inputs", "outputs"] or (
        spec.varargs == "args" and spec.varkw == "kwargs")


def _object_name(obj):
    """The name Keras gives an object in the logs (Keras's naming.get_object_name)."""
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return snake_case(obj.__name__)
    return snake_case(type(obj).__name__)


def _unique_log_name(name, output_name, weighted, counters):
    """A compiled metric's key in the logs, as Keras 3's CompileMetrics.result: the output
    name first (models with several named outputs), then ``_1``, ``_2`` for repeats, and
    ``weighted_`` for a weighted metric that repeats an unweighted one."""
    prefix = f"{output_name}_" if output_name else ""
    full = prefix + name
    if full not in counters:
        counters[full] = 1
        return full
    if weighted:
        full = f"{prefix}weighted_{name}"
        if full not in counters:
            counters[full] = 1
            return full
    index = counters[full]
    counters[full] += 1
    return f"{full}_{index}"


class _DeprecatedCompiledMetrics:
    """``model.compiled_metrics`` of Keras 2 code."""

    def __init__(self, model):
        self.model = model

    def update_state(self, y, y_pred, sample_weight=None):
        warnings.warn("`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n"
                      "for metric in self.metrics:\n    metric.update_state(y, y_pred)",
                      stacklevel=2)
        self.model._update_compiled_metrics(y, y_pred, sample_weight)


class Model(Layer):
    """A model: layers plus training. Subclass it and define ``call`` (layers created in
    ``__init__`` are tracked in order), or use ``Sequential``.

    Args:
        name: model name; default from the class name.
        trainable: whether the weights are trained.
    """

    _autocast_inputs = False  # each layer casts its own inputs

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            # a Functional (lamina.models.functional registers it; Python then calls its
            # __init__)
            return object.__new__(object_registration.base_class("Functional"))
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        if _functional_arguments(args, kwargs):
            # ``class CustomModel(keras.Model)`` built as ``CustomModel(inputs, outputs)``:
            # as Keras does, Functional goes into the class's bases, then builds the graph.
            functional = object_registration.base_class("Functional")
            _inject_functional(type(self), functional)
            functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(f"{type(self).__name__} is a subclassed model: create its layers in "
                            "__init__ and call super().__init__() without positional arguments "
                            f"(or pass both inputs and outputs); received {len(args)} "
                            "positional argument(s).")
        super().__init__(**kwargs)
        self._own_metrics = []
        self.optimizer = self.loss = self.loss_weights = self.history = None
        self.compiled = self.stop_training = False
        self._output_losses = self._metrics = self._loss_tracker = None
        self._train_variables = None
        self.run_eagerly = False
        self._jit_compile, self._compiled_steps = False, None
        self._distribute_strategy = distribute.get_strategy()

    @property
    def distribute_strategy(self):
        """The strategy the model was created or compiled under (default: one process)."""
        return getattr(self, "_distribute_strategy", None) or distribute.get_strategy()

    def __setattr__(self, name, value):
        # as Keras: metrics set as attributes (self.loss_tracker = Mean(...)) join self.metrics
        if isinstance(value, metrics_module.Metric) and name != "_loss_tracker" and \
                "_own_metrics" in self.__dict__ and not any(m is value for m in self._own_metrics):
            self._own_metrics.append(value)
        super().__setattr__(name, value)

    @property
    def layers(self):
        """The model's direct sub-layers, in the order they were created."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """Returns a sub-layer by ``name`` or by ``index``."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints the table of layers, output shapes and parameter counts."""
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        connections = self._connections() if hasattr(self, "_connections") else None
        print_summary(self, line_length, positions, print_fn, connections)

    # --- compile ---
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Sets the optimizer, loss and metrics used by fit and evaluate.

        Args:
            optimizer: name ('adam', 'sgd', ...) or Optimizer instance.
            loss: name, Loss instance or function ``f(y_true, y_pred)``.
            metrics: list of names ('accuracy', 'mae', ...), Metric instances or functions.
            weighted_metrics: metrics that also receive ``sample_weight``.
            auto_scale_loss: under the 'mixed_float16' policy, wrap the optimizer in a
                ``LossScaleOptimizer`` (dynamic loss scaling), as Keras does.
            run_eagerly: True runs every step eagerly (the escape hatch for debugging).
            jit_compile: 'auto' (default) replays a recorded plan of each step where it can
                and runs eagerly elsewhere (with one warning naming the cause, see
                ``lamina.compile.step``); True requires the plan (a ``JitCompileError``
                names what prevents it); False runs eagerly.
            steps_per_execution: accepted for Keras compatibility.
        """
        if jit_compile not in ("auto", True, False):
            raise ValueError(f"Expected `jit_compile` to be 'auto', True or False, got "
                             f"{jit_compile!r}.")
        if run_eagerly and jit_compile is True:
            warnings.warn("If `run_eagerly` is True, then `jit_compile` cannot also be True. "
                          "Disabling `jit_compile`.", stacklevel=2)
        self.optimizer = optimizers.get(optimizer)
        if distribute.has_strategy():
            self._distribute_strategy = self.optimizer._distribute_strategy = (
                distribute.get_strategy())
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16" and self.optimizer
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)):
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer,
                                                           name="loss_scale_optimizer")
        for name in tree.flatten(loss):
            if isinstance(name, str):
                losses.get(name)  # an unknown name fails here, not at the first batch
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(f"Expected `metrics` to be a list or dict, got "
                            f"{type(metrics).__name__}: {metrics!r}")
        self.loss, self.loss_weights = loss, loss_weights
        self._metric_specs = (metrics, weighted_metrics)
        self._output_losses = self._metrics = None  # built at the first batch
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = False if run_eagerly else jit_compile
        self.compiled = True
        outputs = getattr(self, "outputs", None)  # known now for functional and Sequential
        if outputs:
            self._build_losses(outputs)
            self._build_metrics(outputs)

    @property
    def jit_compile(self):
        """Whether steps are compiled (``lamina.compile``); settable to 'auto', True or False."""
        return getattr(self, "_jit_compile", False) is not False

    @jit_compile.setter
    def jit_compile(self, value):
        self._jit_compile = value
        self._compiled_steps = None if value is False else CompiledSteps(
            self, required=value is True, base=Model)
        self._compiled_thread = threading.get_ident()

    def _compiled(self):
        """The compiled steps, or None when steps run eagerly.

        A plan replays into buffers of its own, so only the thread that compiled the model
        uses it; other threads (predicting while it trains) run the eager steps."""
        if self.run_eagerly or getattr(self, "_compiled_thread", None) != threading.get_ident():
            return None
        return getattr(self, "_compiled_steps", None)

    def _run_step(self, kind, batch):
        """``train_step`` or ``test_step`` (``kind``) on a batch; a subclass's own step is
        traced and replayed too (``lamina.compile.custom_step``)."""
        compiled = self._compiled()
        if compiled is not None and getattr(type(self), kind) is not getattr(Model, kind):
            return user_steps(compiled).run(kind, batch)
        return getattr(self, kind)(batch)

    def _output_names(self, n):
        names = getattr(self, "output_names", None)
        return list(names) if names and len(names) == n else [f"output_{i}" for i in range(n)]

    def _per_output(self, spec, n, what):
        """Spreads a per-output setting (one value, a list, or a dict by output name)."""
        names = self._output_names(n)
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(f"Unknown output names {unknown} in `{what}`; the model's outputs "
                                 f"are {names}.")
            return [spec.get(name) for name in names]
        if what == "metrics":  # a list of metrics per output
            if spec is None:
                return [[]] * n
            if n > 1 and all(isinstance(m, (list, tuple, type(None))) for m in spec):
                if len(spec) != n:
                    raise ValueError(f"`metrics` has {len(spec)} entries but the model has {n} "
                                     f"outputs {names}.")
                return [list(m or []) for m in spec]
            return [list(spec)] * n  # one list for every output, as Keras 2 does
        if isinstance(spec, (list, tuple)):
            if len(spec) != n:
                raise ValueError(f"`{what}` has {len(spec)} entries but the model has {n} "
                                 f"outputs {names}.")
            return list(spec)
        return [spec] * n

    def _log_names(self, n):
        """Output names used in the logs: the model's, or None for each output of a model
        without them (a subclassed model), as Keras 3 names them."""
        names = getattr(self, "output_names", None)
        return list(names) if names and len(names) == n else [None] * n

    def _build_losses(self, y_pred):
        n = len(tree.flatten(y_pred))
        names = self._log_names(n)
        weights = self._per_output(self.loss_weights, n, "loss_weights")
        entries = []
        for i, (name, spec) in enumerate(zip(names, self._per_output(self.loss, n, "loss"))):
            if spec is None:
                continue
            fn = losses.get(spec)
            if not isinstance(fn, losses.Loss):
                fn = losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))
            if name is None:  # Keras then names the output's loss after the loss itself
                name = spec if isinstance(spec, str) else _object_name(fn)
            tracker = self._loss_tracker.__class__(name=f"{name}_loss") if n > 1 else None
            entries.append((i, spec, fn, 1.0 if weights[i] is None else weights[i], tracker))
        self._output_losses = entries

    def _build_metrics(self, y_pred):
        n = len(tree.flatten(y_pred))
        names = self._log_names(n) if n > 1 else [None]
        losses_by_output = {i: spec for i, spec, *_ in self._output_losses or []}
        built, counters = [], {}
        for specs, weighted in zip(self._metric_specs, (False, True)):
            for i, output_specs in enumerate(self._per_output(specs, n, "metrics")):
                if isinstance(output_specs, (str, type(None))) or not isinstance(
                        output_specs, (list, tuple)):
                    output_specs = [] if output_specs is None else [output_specs]
                for identifier in output_specs:
                    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
                        m = metrics_module.resolve_accuracy(
                            identifier, losses_by_output.get(i), tree.flatten(y_pred)[i].shape[-1])
                    else:
                        m = metrics_module.get(identifier)
                        name = identifier if isinstance(identifier, str) else _object_name(m)
                        if not isinstance(m, metrics_module.Metric):
                            m = metrics_module.MeanMetricWrapper(m)
                        m.name = name
                    m.name = _unique_log_name(m.name, names[i], weighted, counters)
                    built.append((m, weighted, i))
        self._metrics = built

    @property
    def metrics(self):
        """The loss trackers (total, then per output), the compiled metrics, then the metrics
        the model holds as attributes (as Keras tracks them)."""
        out = [self._loss_tracker] if self._loss_tracker is not None else []
        out += [t for *_, t in self._output_losses or [] if t is not None]
        return out + [m for m, _, _ in self._metrics or []] + self._own_metrics

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Resets the state of the loss trackers and every metric."""
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self):
        if not self.compiled:
            raise RuntimeError("You must call `compile()` before using the model "
                               "(fit, evaluate, train_on_batch, test_on_batch).")

    def _flat_targets(self, y, n):
        """The targets as a list aligned with the model's outputs."""
        if n == 1:
            return [y[0] if isinstance(y, (list, tuple)) and len(y) == 1 else y]
        if isinstance(y, dict):
            return [y.get(name) for name in self._output_names(n)]
        if not isinstance(y, (list, tuple)) or len(y) != n:
            raise ValueError(f"The model has {n} outputs {self._output_names(n)}, so `y` must be "
                             f"a list or dict of {n} targets; received {type(y).__name__}.")
        return list(y)

    # --- one step ---
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss (weighted over outputs) plus regularization losses, as a scalar
        Tensor; the total and each output's loss are tracked for the logs."""
        if self._output_losses is None:
            self._build_losses(y_pred)
        preds = [y_pred] if isinstance(y_pred, Tensor) else tree.flatten(y_pred)
        ys = self._flat_targets(y, len(preds))
        batch = preds[0].shape[0]
        total = None
        for i, _, fn, weight, tracker in self._output_losses:
            loss = fn(ys[i], preds[i], sample_weight)
            if tracker is not None:
                self._track_loss(tracker, loss, batch)
            if weight != 1:
                loss = loss * weight
            total = loss if total is None else total + loss
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        self._track_loss(self._loss_tracker, total, batch)
        return total

    def _track_loss(self, tracker, loss, batch_size):
        """Adds a batch's loss (Tensor or array) to a loss tracker, over all workers."""
        value, n = self.distribute_strategy.reduce_loss(
            float(loss.data if isinstance(loss, Tensor) else loss), batch_size)
        tracker.update_state(value, sample_weight=n)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns every metric's result."""
        self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _update_compiled_metrics(self, y, y_pred, sample_weight):
        if self._metrics is None:
            self._build_metrics(y_pred)
        preds = [y_pred] if isinstance(y_pred, Tensor) else tree.flatten(y_pred)
        ys = self._flat_targets(y, len(preds))
        ys, preds, sample_weight = self.distribute_strategy.gather_batch(ys, preds, sample_weight)
        for m, weighted, i in self._metrics:
            m.update_state(ys[i], preds[i], sample_weight if weighted else None)

    # Keras 2's names, which Keras 3 keeps (TensorFlow backend) with a deprecation warning
    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """Deprecated: ``compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)``
        (which adds the regularization losses itself)."""
        warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                      "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
                      stacklevel=2)
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    @property
    def compiled_metrics(self):
        """Deprecated: its ``update_state(y, y_pred, sample_weight=None)`` updates the
        metrics given to ``compile`` (as ``compute_metrics`` does)."""
        return _DeprecatedCompiledMetrics(self)

    def get_metrics_result(self):
        """Returns {name: float} for the loss tracker and every metric."""
        return {m.name: float(m.result()) for m in self.metrics}

    def _apply_gradients(self, loss):
        variables = self._train_variables
        if variables is None:  # NOTE: cached during fit; collected again at each fit start
            variables = self._train_variables = self.trainable_weights
        if not variables:  # as Keras: the loss is computed and logged, nothing is updated
            warnings.warn("The model does not have any trainable weights.", stacklevel=3)
            return
        for v in variables:
            v.grad = None
        self.optimizer.scale_loss(loss).backward()   # LossScaleOptimizer: times the scale
        skipped = skipped_update(
            float(loss.data), [None if v.grad is None else v.grad.data for v in variables],
            variables, scaled=isinstance(self.optimizer, optimizers.LossScaleOptimizer))
        if skipped:
            warnings.warn(skipped, RuntimeWarning, stacklevel=3)
            return
        self.optimizer.apply([v.grad for v in variables], variables)

    def train_step(self, data):
        """One training step on a batch: forward, loss, backward, update. Override to customise.

        Returns:
            dict of metric results ({'loss': ..., 'accuracy': ...}).
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        compiled = self._compiled()
        if compiled is not None:
            logs = compiled.train_step(x, y, sample_weight)
            if logs is not None:
                return logs
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._apply_gradients(loss)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step on a batch: forward, loss, metrics."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        compiled = self._compiled()
        if compiled is not None:
            logs = compiled.test_step(x, y, sample_weight)
            if logs is not None:
                return logs
        y_pred = self(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """One prediction step on a batch; returns the output Tensor."""
        x, _, _ = unpack_x_y_sample_weight(data)
        compiled = self._compiled()
        if compiled is not None:
            y_pred = compiled.predict_step(x)
            if y_pred is not None:
                return y_pred
        return self(x, training=False)

    # --- loops ---
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model.

        Args:
            x, y: inputs and targets (NumPy arrays, lists, pandas objects).
            batch_size: samples per step (default 32).
            epochs: index of the last epoch (training runs from ``initial_epoch``).
            verbose: 'auto' or 1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: list of Callback.
            validation_split: fraction of the data, taken from the END before shuffling,
                used for validation.
            validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val).
            shuffle: reshuffle training samples each epoch.
            class_weight: {class: weight} applied to the loss per sample.
            sample_weight: per-sample loss weights.
            initial_epoch: epoch to start from (to resume training).
            steps_per_epoch: batches per epoch (default: the whole data once).
            validation_steps, validation_batch_size, validation_freq: as in Keras.

        Returns:
            a History whose ``history`` dict holds each epoch's logs.
        """
        self._assert_compiled()
        backend.keep_freed_memory()
        for name, value in (("batch_size", batch_size), ("steps_per_epoch", steps_per_epoch),
                            ("validation_steps", validation_steps),
                            ("validation_batch_size", validation_batch_size)):
            data_adapter.check_positive_int(name, value)
        _check_validation_freq(validation_freq)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_adapter.train_validation_split(
                data_adapter.standardize(x, y, sample_weight), validation_split)
        strategy = self.distribute_strategy
        batches = strategy.distribute_batches(data_adapter.adapt(
            x, y, sample_weight, batch_size, steps_per_epoch, shuffle=shuffle,
            class_weight=class_weight))
        sync_non_trainable = strategy.num_replicas_in_sync > 1
        verbose = _verbosity(verbose)
        callbacks = CallbackList(_for_worker(callbacks, strategy), add_history=True,
                                 add_progbar=verbose != 0 and strategy.is_chief,
                                 model=self, verbose=verbose, epochs=epochs,
                                 steps=data_adapter.num_steps(batches))
        self.stop_training = False
        self._train_variables = None
        logs = {}
        callbacks.on_train_begin()
        # NOTE: BackupAndRestore sets _initial_epoch when it restores an interrupted run
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                for step, batch in enumerate(batches):
                    callbacks.on_train_batch_begin(step)
                    logs = _floats(self._run_step("train_step", batch))
                    if sync_non_trainable:
                        strategy.sync_non_trainable(self.non_trainable_weights)
                    callbacks.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = dict(logs)
                if validation_data is not None and _should_eval(epoch, validation_freq):
                    vx, vy, vsw = data_adapter.unpack_validation_data(validation_data)
                    val_logs = self.evaluate(vx, vy, batch_size=validation_batch_size or batch_size,
                                             sample_weight=vsw, steps=validation_steps,
                                             verbose=0, return_dict=True)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                logs = epoch_logs
                if self.stop_training or getattr(batches, "exhausted", False):
                    break
        finally:
            self._train_variables = None
        callbacks.on_train_end(logs)
        return callbacks.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Computes the loss and metrics on data, batch by batch.

        Returns:
            the loss (a float) when there are no metrics, else [loss, metric, ...];
            a dict {name: value} with ``return_dict=True``.
        """
        self._assert_compiled()
        data_adapter.check_positive_int("batch_size", batch_size)
        data_adapter.check_positive_int("steps", steps)
        strategy = self.distribute_strategy
        batches = strategy.distribute_batches(
            data_adapter.adapt(x, y, sample_weight, batch_size, steps))
        verbose = _verbosity(verbose)
        callbacks = CallbackList(_for_worker(callbacks, strategy),
                                 add_progbar=verbose != 0 and strategy.is_chief, model=self,
                                 verbose=verbose, epochs=1, steps=data_adapter.num_steps(batches))
        self.reset_metrics()
        logs = {}
        callbacks.on_test_begin()
        with no_grad():
            for step, batch in enumerate(batches):
                callbacks.on_test_batch_begin(step)
                logs = _floats(self._run_step("test_step", batch))
                callbacks.on_test_batch_end(step, logs)
        callbacks.on_test_end(logs)
        return self._return(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Returns the model's outputs for ``x`` as a NumPy array, computed batch by batch."""
        data_adapter.check_positive_int("batch_size", batch_size)
        data_adapter.check_positive_int("steps", steps)
        strategy = self.distribute_strategy
        batches = strategy.distribute_batches(data_adapter.adapt(x, None, None, batch_size, steps))
        verbose = _verbosity(verbose)
        callbacks = CallbackList(_for_worker(callbacks, strategy),
                                 add_progbar=verbose != 0 and strategy.is_chief, model=self,
                                 verbose=verbose, epochs=1, steps=data_adapter.num_steps(batches))
        outputs = []
        callbacks.on_predict_begin()
        with no_grad():
            for step, batch in enumerate(batches):
                callbacks.on_predict_batch_begin(step)
                y = self.predict_step(batch)
                outputs.append(strategy.gather_outputs(
                    tree.map_structure(lambda t: backend.to_numpy(t.data), y)))
                callbacks.on_predict_batch_end(step, {"outputs": outputs[-1]})
        callbacks.on_predict_end()
        return tree.pack_sequence_as(
            outputs[0], [np.concatenate(parts) for parts in zip(*map(tree.flatten, outputs))])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns this batch's loss (and metrics)."""
        self._assert_compiled()
        batch = data_adapter.single_batch(x, y, sample_weight, class_weight)
        self.reset_metrics()
        self._train_variables = None
        logs = self._run_step("train_step", batch)
        return self._return(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of one batch, without training."""
        self._assert_compiled()
        batch = data_adapter.single_batch(x, y, sample_weight)
        self.reset_metrics()
        with no_grad():
            logs = self._run_step("test_step", batch)
        return self._return(logs, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch as a NumPy array."""
        with no_grad():
            y = self.predict_step(data_adapter.single_batch(x))
        return tree.map_structure(lambda t: backend.to_numpy(t.data), y)

    # --- configs for saving ---
    def get_build_config(self):
        """``{"input_shape": ...}`` the built model was first called with (None when not
        known), so that loading can build it before setting its weights."""
        shape = getattr(self, "_build_input_shape", None)
        if not self.built or shape is None:
            return None
        return {"input_shape": _shape_to_list(shape)}

    def build_from_config(self, config):
        """Builds the model for ``get_build_config()``'s input shape."""
        # NOTE: a subclassed model creates its weights on its first call, so run one on zeros
        def zeros(s):
            if isinstance(s, dict):
                return {k: zeros(v) for k, v in s.items()}
            if s and isinstance(s[0], (list, tuple, dict)):
                return [zeros(x) for x in s]
            return Tensor._wrap(backend.xp().zeros(
                (1,) + tuple(d or 1 for d in s[1:]), dtype=backend.floatx()))
        with no_grad():
            self(zeros(config["input_shape"]), training=False)

    def get_compile_config(self):
        """The arguments ``compile`` was called with (None when not compiled)."""
        if not self.compiled or self.optimizer is None:
            return None
        metrics, weighted = self._metric_specs
        return {"optimizer": self.optimizer, "loss": self.loss, "loss_weights": self.loss_weights,
                "metrics": metrics, "weighted_metrics": weighted,
                "run_eagerly": self.run_eagerly, "steps_per_execution": 1,
                "jit_compile": getattr(self, "_jit_compile", False)}

    # --- configuration ---
    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a model from its config, as Keras 3 does.

        A functional config (``name``, ``layers``, ``input_layers``, ``output_layers``)
        rebuilds the graph, for ``Model`` and for subclasses whose constructor is the
        functional one; any other config is passed to the constructor.

        Args:
            config: dict from ``get_config()`` (or a Keras file).
            custom_objects: optional ``{name: class or function}`` for user objects.
        """
        from lamina.models.functional_config import functional_from_config
        functional = object_registration.base_class("Functional")
        functional_keys = ("name", "layers", "input_layers", "output_layers")
        if all(key in config for key in functional_keys) and (
                cls in (Model, functional) or _functional_constructor(cls)):
            with object_registration.CustomObjectScope(custom_objects):
                return functional_from_config(cls, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(
                "Unable to revive model from config. When overriding the `get_config()` method, "
                "make sure that the returned config contains all items used as arguments in the "
                f"constructor to {cls}, which is the default behavior. You can override this "
                "default behavior by defining a `from_config(cls, config)` class method to "
                f"specify how to create an instance of {cls.__name__} from its config.\n\n"
                f"Received config={config}\n\nError encountered during deserialization: {e}"
            ) from e

    def to_json(self, **kwargs):
        """The model's architecture (its serialized config) as a JSON string.

        Args:
            **kwargs: passed to ``json.dumps`` (``indent=2``, ...).
        """
        import json
        return json.dumps(serialize_keras_object(self), **kwargs)

    # --- saving ---
    def __reduce__(self):
        """``pickle`` and ``copy.deepcopy`` go through the ``.keras`` format, as in Keras 3:
        architecture, weights, compile settings and optimizer state."""
        from lamina.saving import keras_zip
        return keras_zip.model_from_bytes, (keras_zip.model_to_bytes(self),)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the whole model: '.keras' (Keras 3 zip) or '.h5' (legacy HDF5).

        Architecture, weights, compile settings and optimizer state are kept, so
        ``lamina.models.load_model`` gives a model that resumes training where it stopped.
        """
        from lamina import saving
        saving.save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights only ('.weights.h5', '.h5' or any other name) as HDF5."""
        from lamina import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Loads weights saved by ``save_weights`` (lamina's or Keras's) into this model."""
        from lamina import saving
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None,
               opset_version=None, **kwargs):
        """Exports the inference pass for serving, as ONNX (needs the ``[onnx]`` extra).

        Args:
            filepath: path of the ``.onnx`` file.
            format: 'onnx'; Keras's other formats ('tf_saved_model', ...) raise an error
                naming ONNX.
            verbose: print where the file went (default True).
            input_signature: input shapes and dtypes (``keras.Input``s or arrays); default
                the model's inputs. None axes stay dynamic.
            opset_version: ONNX opset (default 18).

        ``lamina.export.onnx_predict(filepath, x)`` runs the file with ONNX Runtime.
        """
        from lamina.export import export_model
        export_model(self, filepath, format, verbose, input_signature, opset_version, **kwargs)

    @staticmethod
    def _return(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values


object_registration.register_base(Model)
object_registration.register_keras_name(Model, "keras")
