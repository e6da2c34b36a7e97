"""One flat buffer for the trainable weights, one for their gradients, and the optimizer's
update over them in one vectorised pass.

Each weight keeps its identity (layers hold the same ``Variable``); only its ``.data``
becomes a view into ``FlatParameters.weights``, so saving, ``get_weights`` and callbacks
see the same values. The optimizer's slots become views into flat slot arrays the same
way, so ``Optimizer.get_state``/``set_state`` keep working.

The flat update is ``Optimizer.apply`` (``lamina/optimizers/base_optimizer.py``, the
reference) with the per-weight loop replaced by one call of ``update_step`` on the flat
arrays; per-weight steps (clipnorm, weight-decay exclusions, constraints) run on the views.
With the ``[fast]`` extra, Adam, SGD with momentum and RMSprop run that update as one numba
loop instead (``lamina.compile.kernels``: the same bits, several times fewer passes).
"""
import os
import threading
import warnings

import numpy

from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _VariableState


def _views(flat, variables):
    views, offset = [], 0
    for v in variables:
        n = v.data.size
        views.append(flat[offset:offset + n].reshape(v.data.shape))
        offset += n
    return views


class FlatParameters:
    """Trainable weights as views into one contiguous array; gradients in another.

    Args:
        variables: the weights, all of one dtype on one device.
    """

    def __init__(self, variables):
        self.variables = list(variables)
        first = self.variables[0].data
        xp = backend.get_array_module(first)
        total = sum(v.data.size for v in self.variables)
        self.weights = xp.empty(total, first.dtype)
        self.grads = xp.zeros(total, first.dtype)
        self.weight_views = _views(self.weights, self.variables)
        self.grad_views = _views(self.grads, self.variables)
        for v, view in zip(self.variables, self.weight_views):
            view[...] = v.data
            v.data = view

    @staticmethod
    def supports(variables):
        """Why these weights cannot share one buffer, or None."""
        if not variables:
            return "the model has no trainable weights"
        dtypes = {v.data.dtype for v in variables}
        modules = {backend.get_array_module(v.data).__name__ for v in variables}
        if len(dtypes) > 1 or len(modules) > 1:
            return f"the trainable weights mix dtypes or devices ({sorted(map(str, dtypes))})"
        return None

    def intact(self, variables):
        """True while ``variables`` are these weights in their views; a weight whose
        ``.data`` was replaced by an array of the same shape is copied back into its view."""
        if len(variables) != len(self.variables):
            return False
        for v, mine, view in zip(variables, self.variables, self.weight_views):
            if v is not mine:
                return False
            if v.data is not view:
                if getattr(v.data, "shape", None) != view.shape or v.data.dtype != view.dtype:
                    return False
                view[...] = v.data
                v.data = view
        return True


# NOTE: these updates are elementwise, so one call over the concatenated weights gives the
# same numbers as one call per weight; a user's optimizer keeps the per-weight loop.
_ELEMENTWISE = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam")


class FlatOptimizer:
    """An optimizer's slots as views into flat arrays, and its update in one pass.

    Args:
        optimizer: the model's Optimizer (its states are created if missing).
        params: the FlatParameters it updates.
    """

    def __init__(self, optimizer, params):
        self.optimizer, self.params = optimizer, params
        variables = params.variables
        self.states = [optimizer._states.get(id(v)) or optimizer._add_variable(v)
                       for v in variables]
        xp = backend.get_array_module(params.weights)
        self.flat_state = state = _VariableState()
        state.xp = xp
        state.slots = {}
        for name in self.states[0].slots:
            flat = xp.empty_like(params.weights)
            for s, view in zip(self.states, _views(flat, variables)):
                view[...] = s.slots[name]
                s.slots[name] = view
            state.slots[name] = flat
        state.tmp = xp.empty_like(params.weights)
        state.tmp2 = (xp.empty_like(params.weights) if optimizer._scratch_buffers > 1
                      else None)
        self.slot_views = [dict(s.slots) for s in self.states]
        # the [fast] loops run on NumPy arrays of float32 or float64
        self.fusable = xp is numpy and params.weights.dtype in (numpy.float32, numpy.float64)
        cls = type(optimizer)
        self.one_pass = (cls.__name__ in _ELEMENTWISE and cls.__module__.startswith(
            "lamina.optimizers.") and all(len(s.slots) == len(state.slots) for s in self.states))

    @staticmethod
    def supports(optimizer):
        """Why this optimizer's update cannot run on the flat buffers, or None."""
        cls = type(optimizer)
        if cls.apply is not Optimizer.apply or cls.scale_loss is not Optimizer.scale_loss:
            return f"the optimizer {cls.__name__} has its own apply() or scale_loss()"
        return None

    def intact(self, optimizer):
        """True while ``optimizer`` is this one and its slots still live in the views."""
        if optimizer is not self.optimizer:
            return False
        states = optimizer._states
        for v, s, views in zip(self.params.variables, self.states, self.slot_views):
            if states.get(id(v)) is not s:
                return False
            for name, view in views.items():
                if s.slots[name] is not view:
                    return False
        return True

    def apply(self):
        """``Optimizer.apply`` on the flat gradients (already written by the plan)."""
        opt, params = self.optimizer, self.params
        variables, grads = params.variables, params.grad_views
        _copy_back(grads, opt._distribute_strategy.reduce_gradients(grads, variables, opt,
                                                                    flat=params.grads))
        if opt.loss_scale_factor is not None:
            params.grads /= opt.loss_scale_factor
        if opt.clipnorm or opt.clipvalue or opt.global_clipnorm:
            _copy_back(grads, opt._clip_gradients(grads))
        lr = opt._current_learning_rate()
        if opt.weight_decay:
            opt._apply_weight_decay(variables, lr)
        opt._prepare_step()
        if self.one_pass:
            if not (self.fusable and _fused_update(opt, params.grads, params.weights,
                                               self.flat_state.slots, lr)):
                opt.update_step(params.grads, params.weights, self.flat_state, lr)
        else:
            for g, w, s in zip(grads, params.weight_views, self.states):
                opt.update_step(g, w, s, lr)
        opt.iterations += 1


def _copy_back(views, arrays):
    """Writes arrays returned by a step (all-reduce, clipping) into the gradient views."""
    if arrays is views:
        return
    for view, a in zip(views, arrays):
        if a is not view:
            view[...] = a


class _Kernels:
    """The ``[fast]`` kernels, loaded once per process in a background thread (importing
    numba and loading the compiled loops takes about half a second); until they are ready,
    or without numba, or with ``LAMINA_FAST_KERNELS=0``, the NumPy passes run."""
    module = None
    thread = None
    lock = threading.Lock()
    enabled = os.environ.get("LAMINA_FAST_KERNELS", "1") != "0"

    @classmethod
    def get(cls):
        if not cls.enabled:
            return None
        if cls.thread is None:
            with cls.lock:
                if cls.thread is None:
                    cls.thread = threading.Thread(target=cls._load, name="lamina-kernels")
                    cls.thread.start()
        return cls.module

    @classmethod
    def wait(cls):
        """Blocks until loading ended; returns the kernels module, or None without numba."""
        cls.get()
        if cls.thread is not None:
            cls.thread.join()
        return cls.module

    @classmethod
    def _load(cls):
        try:
            from lamina.compile import kernels
            one = numpy.ones(1, numpy.float32)   # compiles (or loads from numba's cache)
            f = numpy.float32(0.5)
            kernels.adam(one, one.copy(), one.copy(), one.copy(), f, f, f, f, f, f)
            kernels.sgd_momentum(one, one.copy(), one.copy(), f, f, False)
            kernels.rmsprop(one, one.copy(), one.copy(), one.copy(), f, f, f, f, f)
        except ModuleNotFoundError as e:
            if e.name != "numba":
                raise
            return   # the [fast] extra is not installed
        except Exception as e:   # noqa: BLE001 (a numba that cannot work here: NumPy passes)
            warnings.warn(f"lamina[fast]: numba could not load the optimizer kernels "
                          f"({type(e).__name__}: {e}); the NumPy passes run instead.",
                          RuntimeWarning)
            return
        cls.module = kernels


def _fused_update(opt, g, w, slots, lr):
    """Runs ``opt.update_step`` on the flat arrays as one ``[fast]`` loop when there is one
    for this optimizer; returns False when the NumPy passes must run instead."""
    k = _Kernels.get()
    if k is None:
        return False
    t = w.dtype.type   # NOTE: scalars in the weights' dtype, as NumPy casts Python floats
    name = type(opt).__name__
    if name in ("Adam", "AdamW") and not opt.amsgrad:
        k.adam(g, w, slots["momentum"], slots["velocity"], t(opt.beta_1), t(1 - opt.beta_1),
               t(opt.beta_2), t(1 - opt.beta_2), t(opt.epsilon), t(opt._step_size(lr)))
    elif name == "SGD" and opt.momentum:
        k.sgd_momentum(g, w, slots["momentum"], t(lr), t(opt.momentum), bool(opt.nesterov))
    elif name == "RMSprop" and not opt.centered:
        k.rmsprop(g, w, slots["velocity"], slots.get("momentum", w), t(opt.rho),
                  t(1 - opt.rho), t(opt.epsilon), t(lr), t(opt.momentum))
    else:
        return False
    return True
