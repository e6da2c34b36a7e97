"""The base class of optimizers: learning rate, slots, clipping, weight decay, saving.

Names, defaults and update formulas follow Keras 3 (``keras/src/optimizers``).
The Keras 2 keywords ``lr=`` (learning rate) and ``decay=`` (inverse-time decay
of the learning rate per update) are accepted too, as older course code uses them.

An optimizer keeps its state ("slots", such as Adam's moving averages) per
weight, created the first time it sees that weight. Updates run in place on
``variable.data`` through ``xp`` (NumPy or CuPy), reusing one scratch buffer per
weight so that a training step allocates no new arrays.
"""
import inspect
import math
import numbers
import re
import warnings

import numpy as np

from lamina import backend, distribute, schedules
from lamina.autograd import Tensor, Variable
from lamina.naming import snake_case


class _VariableState:
    """An optimizer's arrays for one weight: its named slots and scratch buffers."""
    __slots__ = ("slots", "tmp", "tmp2", "xp")


class Optimizer:
    """Base class of optimizers.

    Subclasses name their per-weight state in ``_slot_groups()`` and implement
    ``update_step`` (the fast update, in place, in scratch buffers) and its twin
    ``plain_update_step`` (the same equations written plainly, tested equal).
    ``apply`` does the common work: skip missing gradients, unscale, clip, decay
    weights, then call ``update_step`` for each weight with the current learning rate.

    Args:
        learning_rate: float, a ``schedules.LearningRateSchedule``, or a callable
            taking the step (``iterations``) and returning the rate.
        weight_decay: float or None. If set, each update first does
            ``w -= learning_rate * weight_decay * w`` (decoupled weight decay).
        clipnorm: float or None; clips each gradient to this L2 norm.
        clipvalue: float or None; clips each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: float or None; scales all gradients so their joint L2 norm
            is at most this value. At most one of the three clip options may be set.
        use_ema, ema_momentum, ema_overwrite_frequency, gradient_accumulation_steps:
            accepted for Keras config compatibility; only the defaults are supported.
        loss_scale_factor: float or None; gradients are divided by it before use.
        name: string name.
        **kwargs: ``lr`` (Keras 2 alias of ``learning_rate``) and ``decay`` (Keras 2:
            the rate used at step ``t`` is ``learning_rate / (1 + decay * t)``).
    """

    _extra_state = ()        # names of float attributes saved after the slots
    _scratch_buffers = 1     # scratch arrays per weight that update_step needs

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        self.decay = float(kwargs.pop("decay", 0.0) or 0.0)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword argument(s): "
                            f"{', '.join(repr(k) for k in kwargs)}.")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        if use_ema or gradient_accumulation_steps:
            raise NotImplementedError(
                "lamina optimizers do not support `use_ema` or `gradient_accumulation_steps`. "
                f"Received: use_ema={use_ema}, "
                f"gradient_accumulation_steps={gradient_accumulation_steps}")
        self.name = name or snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.iterations = 0
        self.built = False
        self._learning_rate = None
        self.learning_rate = learning_rate
        self._trainable_variables = []
        self._states = {}   # id(variable) -> _VariableState, in insertion order
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._distribute_strategy = distribute.get_strategy()

    # --- learning rate ---
    @property
    def learning_rate(self):
        """The learning rate: a scalar Variable (``.numpy()``, ``assign``, ``float()``) when it
        is a float; the schedule's value at the current step as a Tensor otherwise (settable)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        value = lr(self.iterations) if self._lr_takes_step else lr()
        return Tensor(value, dtype=backend.floatx())

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(value):
            self._learning_rate = value
            self._lr_takes_step = (isinstance(value, schedules.LearningRateSchedule)
                                   or _takes_argument(value))
            return
        if isinstance(value, Tensor) or backend.is_array(value):
            value = float(value)   # a one-element array, e.g. from get_value
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise ValueError("Argument `learning_rate` should be a float, a LearningRateSchedule "
                             "or a callable of the step. "
                             f"Received: learning_rate={value!r} of type {type(value).__name__}")
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` as its "
                            "`learning_rate`, hence its learning rate is not settable to a float. "
                            "Create the optimizer with a float `learning_rate` instead.")
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(value)
        else:
            # NOTE: float64, so the update uses exactly the rate given (Keras rounds to float32)
            self._learning_rate = Variable(value, dtype="float64", trainable=False,
                                           name="learning_rate")

    @property
    def lr(self):
        """Keras 2 alias of ``learning_rate``."""
        return self.learning_rate

    @lr.setter
    def lr(self, value):
        self.learning_rate = value

    def _current_learning_rate(self):
        lr = float(self.learning_rate)
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations)
        return lr

    # --- state ---
    def _slot_groups(self):
        """Slot names, grouped as Keras creates them (interleaved per weight within a group)."""
        return ()

    def _slot_initial_value(self, slot_name):
        return 0.0

    def build(self, variables):
        """Creates the slots of every weight in ``variables`` (the rest are created on first use).

        Args:
            variables: list of weights (Tensors).
        """
        for v in variables:
            if id(v) not in self._states:
                self._add_variable(v)

    def _add_variable(self, v):
        w = getattr(v, "data", None)
        if not backend.is_array(w):
            raise TypeError(f"{type(self).__name__} updates lamina Tensors (weights with a "
                            f"`.data` array); got {v!r} of type {type(v).__name__}.")
        s = _VariableState()
        s.xp = backend.get_array_module(w)
        s.slots = {}
        for group in self._slot_groups():
            for slot_name in group:
                s.slots[slot_name] = s.xp.full_like(w, self._slot_initial_value(slot_name))
        s.tmp = s.xp.empty_like(w)
        s.tmp2 = s.xp.empty_like(w) if self._scratch_buffers > 1 else None
        self._trainable_variables.append(v)
        self._states[id(v)] = s
        self.built = True
        return s

    @property
    def variables(self):
        """The optimizer's state arrays, in Keras's order.

        ``[iterations, learning_rate (when it is a float), slots..., extra state...]``;
        the slots come group by group, and within a group weight by weight.
        """
        out = [np.array(self.iterations, dtype="int64")]
        if isinstance(self._learning_rate, Variable):
            out.append(np.array(float(self._learning_rate), dtype=backend.floatx()))
        if not self.built:
            return out
        for group in self._slot_groups():
            for v in self._trainable_variables:
                slots = self._states[id(v)].slots
                out.extend(slots[slot_name] for slot_name in group)
        out.extend(np.array(getattr(self, a), dtype=backend.floatx()) for a in self._extra_state)
        return out

    def get_state(self):
        """Returns a copy of ``variables`` as NumPy arrays (for saving)."""
        return [np.array(backend.to_numpy(a)) for a in self.variables]

    def set_state(self, values):
        """Restores the arrays returned by ``get_state``.

        Call ``build(weights)`` first so the slots exist.

        Args:
            values: list of arrays, in the order of ``variables``.
        """
        current = self.variables
        if len(values) != len(current):
            hint = "" if self.built else " Call `optimizer.build(weights)` first."
            raise ValueError(f"Optimizer '{self.name}' has {len(current)} state arrays, "
                             f"got {len(values)}.{hint}")
        values = [np.asarray(backend.to_numpy(a)) for a in values]
        self.iterations = int(values[0])
        first_slot = 1
        if isinstance(self._learning_rate, Variable):
            # NOTE: files keep the rate as float32; keep the exact rate if it rounds the same
            if np.float32(self._learning_rate.numpy()) != np.float32(values[1]):
                self._learning_rate.assign(values[1])
            first_slot = 2
        n_extra = len(self._extra_state) if self.built else 0
        for target, value in zip(current[first_slot:len(current) - n_extra], values[first_slot:]):
            if tuple(target.shape) != value.shape:
                raise ValueError(f"Optimizer state array of shape {tuple(target.shape)} got a "
                                 f"value of shape {value.shape}.")
            target[...] = backend.get_array_module(target).asarray(value, dtype=target.dtype)
        for attr, value in zip(self._extra_state, values[len(values) - n_extra:]):
            setattr(self, attr, float(value))

    def save_own_variables(self, store):
        """Writes the state into ``store`` under keys '0', '1', ... (Keras saving API)."""
        for i, a in enumerate(self.get_state()):
            store[str(i)] = a

    def load_own_variables(self, store):
        """Reads the state written by ``save_own_variables`` (Keras saving API)."""
        if len(store.keys()) != len(self.variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it has "
                          f"{len(self.variables)} variables whereas the saved optimizer has "
                          f"{len(store.keys())} variables.", stacklevel=2)
            return
        self.set_state([store[str(i)] for i in range(len(store.keys()))])

    # --- weight decay ---
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes weights from weight decay.

        Args:
            var_list: weights to exclude.
            var_names: strings; weights whose name contains one of them are excluded.
        """
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = (re.compile("|".join(map(re.escape, var_names)))
                                 if var_names else None)

    def _use_weight_decay(self, v):
        if id(v) in self._exclude_ids:
            return False
        name = getattr(v, "name", None)
        return not (self._exclude_pattern and name and self._exclude_pattern.search(name))

    def _apply_weight_decay(self, variables, lr):
        # NOTE: Keras computes w - w * wd * lr; w * (1 - wd * lr) is the same up to
        # rounding (it is what torch.optim.AdamW does) and needs no temporary array.
        factor = 1.0 - lr * self.weight_decay
        for v in variables:
            if self._use_weight_decay(v):
                v.data *= factor

    # --- clipping ---
    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [g * (self.clipnorm / max(_l2_norm(g), self.clipnorm)) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [backend.get_array_module(g).clip(g, -self.clipvalue, self.clipvalue)
                    for g in grads]
        return grads

    # --- the update ---
    def apply_gradients(self, grads_and_vars):
        """Applies one update from ``(gradient, weight)`` pairs.

        Args:
            grads_and_vars: iterable of ``(gradient, weight)``; a gradient is an
                array, a Tensor, or None (that weight is skipped).

        Returns:
            ``iterations`` after the update.
        """
        grads_and_vars = list(grads_and_vars)
        self.apply([g for g, _ in grads_and_vars], [v for _, v in grads_and_vars])
        return self.iterations

    def step(self, variables):
        """Applies one update using each weight's ``.grad`` (weights without one are skipped)."""
        variables = list(variables)
        self.apply([v.grad for v in variables], variables)

    def apply(self, grads, variables=None):
        """Applies one update to ``variables`` in place.

        Args:
            grads: list of gradients (arrays, Tensors or None), one per weight.
            variables: list of weights; defaults to the weights the optimizer was built with.
        """
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built. Call `optimizer.build(variables)` first.")
            variables = self._trainable_variables
        elif not isinstance(variables, (list, tuple)):
            variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"Got {len(grads)} gradients for {len(variables)} variables; "
                             "expected one gradient per variable.")
        gs, vs, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "name", None))
            else:
                gs.append(g.data if isinstance(g, Tensor) else backend.to_device(g))
                vs.append(v)
        if not gs:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                          "the loss.", stacklevel=2)
        gs = self._distribute_strategy.reduce_gradients(gs, vs, self)  # all workers' gradients
        if self.loss_scale_factor is not None:
            gs = [g / self.loss_scale_factor for g in gs]
        if self.clipnorm or self.clipvalue or self.global_clipnorm:
            gs = self._clip_gradients(gs)
        ss = []   # each weight's state, checked before anything is modified
        for g, v in zip(gs, vs):
            if g.shape != v.data.shape:
                raise ValueError(f"Gradient of shape {tuple(g.shape)} does not match variable "
                                 f"'{getattr(v, 'name', None)}' of shape {tuple(v.data.shape)}.")
            ss.append(self._states.get(id(v)) or self._add_variable(v))
        lr = self._current_learning_rate()
        if self.weight_decay:
            self._apply_weight_decay(vs, lr)
        self._prepare_step()
        for g, v, s in zip(gs, vs, ss):
            self.update_step(g, v.data, s, lr)
        for v in vs:  # as Keras: each weight's constraint projects it after the update
            if getattr(v, "constraint", None) is not None:
                v.assign(v.constraint(v))
        self.iterations += 1

    def scale_loss(self, loss):
        """Multiplies the loss by ``loss_scale_factor`` when one is set (Keras API)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _prepare_step(self):
        """Advances per-step scalar state shared by all weights (Nadam's momentum product)."""

    def update_step(self, g, w, s, lr):
        """Updates the weight array ``w`` in place: the fast twin of ``plain_update_step``.

        Args:
            g: gradient array (read only).
            w: the weight's array.
            s: the weight's state: ``s.slots`` (dict of arrays), ``s.tmp`` scratch, ``s.xp``.
            lr: learning rate for this step (float); the step number is ``iterations + 1``.
        """
        raise NotImplementedError

    def plain_update_step(self, g, w, slots, lr):
        """The update as its equations read, without buffers: the reference for ``update_step``.

        Args:
            g: gradient array.
            w: the weight's array (not modified).
            slots: dict of the weight's slot arrays (not modified).
            lr: learning rate for this step (float); the step number is ``iterations + 1``.

        Returns:
            ``(new_w, new_slots)``.
        """
        raise NotImplementedError

    def finalize_variable_values(self, var_list):
        """Called at the end of ``fit``; nothing to do without EMA (Keras API)."""

    # --- config ---
    def get_config(self):
        """Returns the constructor arguments as a dict.

        A schedule learning rate is serialized to a dict; a plain callable is kept as is.
        """
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = float(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                  "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                  "ema_momentum": self.ema_momentum,
                  "ema_overwrite_frequency": self.ema_overwrite_frequency,
                  "loss_scale_factor": self.loss_scale_factor,
                  "gradient_accumulation_steps": self.gradient_accumulation_steps}
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Builds an optimizer from the dict returned by ``get_config``."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate:g}>"


def _takes_argument(fn):
    """True when ``fn`` can be called with one positional argument (the step)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
               for p in params)


def _l2_norm(g):
    r = g.ravel()
    return math.sqrt(float(backend.get_array_module(g).dot(r, r)))


def clip_by_global_norm(grads, clip_norm):
    """Scales ``grads`` so that their joint L2 norm is at most ``clip_norm``.

    Args:
        grads: list of arrays.
        clip_norm: positive float.

    Returns:
        A list of arrays (the inputs themselves when no scaling is needed).
    """
    norm = math.sqrt(sum(_l2_norm(g) ** 2 for g in grads))
    if not math.isfinite(norm):
        # As in Keras: an infinite or NaN norm turns every gradient into NaN.
        return [g * float("nan") for g in grads]
    if norm <= clip_norm:
        return grads
    return [g * (clip_norm / norm) for g in grads]


def _epsilon(epsilon):
    # Keras 2 accepted epsilon=None, meaning the backend epsilon 1e-7.
    return 1e-7 if epsilon is None else epsilon


def skipped_update(loss, grads, variables, scaled=False, flat=None):
    """Why ``Model`` skips an update, as the warning it gives, or None to apply it.

    An update is skipped when the loss is not finite, or when a gradient holds NaN or inf
    although the loss is finite (so one bad batch cannot turn the weights into NaN); a
    LossScaleOptimizer (``scaled``) handles overflowing gradients itself.

    Args:
        loss: the loss, a float.
        grads: the gradient arrays (None where a weight got none), one per variable.
        variables: the weights, named in the warning.
        scaled: True under a LossScaleOptimizer: the gradients are not checked.
        flat: optional array holding every gradient: checked first, in one pass.
    """
    if not math.isfinite(loss):
        return f"The loss is {loss}; the update was skipped so the weights stay finite."
    if scaled or (flat is not None and _finite(flat)):
        return None
    bad = [v for g, v in zip(grads, variables) if g is not None and not _finite(g)]
    if not bad:
        return None
    return (f"The gradient of '{bad[0].path}' ({len(bad)} variable(s) in all) holds NaN or inf "
            f"although the loss is finite ({loss:.4g}); the update was skipped so the weights "
            "stay finite.")


def _finite(array):
    return bool(backend.get_array_module(array).isfinite(array).all())
