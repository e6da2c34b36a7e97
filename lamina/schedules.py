"""Learning-rate schedules: the learning rate as a function of the optimizer step.

An optimizer given a schedule as its ``learning_rate`` calls it with
``optimizer.iterations`` (the number of updates already applied) before each
update, as Keras does. Every schedule returns a Python float.

Example:
    >>> lr = ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    >>> opt = lamina.optimizers.SGD(learning_rate=lr)
"""
import bisect
import math

from lamina import _config
from lamina.serialization.object_registration import register_builtins

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
           "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize",
           "get"]


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    Subclasses implement ``__call__(step)`` (returning a float) and
    ``get_config()``; ``from_config`` then rebuilds them.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
            "in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        """Builds a schedule from the dict returned by ``get_config``."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_decay_steps(decay_steps, arg="decay_steps"):
    if not decay_steps > 0:
        raise ValueError(f"Argument `{arg}` must be > 0. Received: {arg}={decay_steps}")


class _RateDecay(LearningRateSchedule):
    """Settings shared by ExponentialDecay and InverseTimeDecay."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """``step / decay_steps``, floored when ``staircase``."""
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: float, the rate at step 0.
        decay_steps: positive int; the rate is multiplied by ``decay_rate`` every ``decay_steps``.
        decay_rate: float.
        staircase: if True, ``step / decay_steps`` is floored (the rate drops in steps).
        name: optional name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval between boundaries.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]`` after the last boundary.

    Args:
        boundaries: strictly increasing list of steps.
        values: list of rates, one longer than ``boundaries``.
        name: optional name.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"`boundaries` must be strictly increasing. Received: {boundaries}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        # bisect_left counts the boundaries strictly below `step`.
        return self.values[bisect.bisect_left(self.boundaries, float(step))]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decays from ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.
    With ``cycle=True``, ``decay_steps`` is stretched to the first multiple above ``step``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive int.
        end_learning_rate: float, the final rate.
        power: float, the power of the polynomial.
        cycle: whether to restart the decay after ``decay_steps``.
        name: optional name.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power
                + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: float.
        decay_steps: positive number.
        decay_rate: float.
        staircase: if True, ``step / decay_steps`` is floored.
        name: optional name.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup.

    Without warmup (``warmup_target=None``) the rate is
    ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * p)) + alpha)`` with
    ``p = min(step, decay_steps) / decay_steps``.
    With warmup, the rate rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps`` steps, then decays from ``warmup_target``
    as above over the next ``decay_steps`` steps.

    Args:
        initial_learning_rate: float.
        decay_steps: positive int, number of steps to decay over.
        alpha: the final rate as a fraction of the starting one.
        name: optional name.
        warmup_target: float or None (no warmup).
        warmup_steps: int, number of warmup steps.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start_lr):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start_lr * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return ((self.warmup_target - self.initial_learning_rate) * fraction
                    + self.initial_learning_rate)
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The rate decays from ``initial_learning_rate`` to ``alpha * initial_learning_rate``
    over ``first_decay_steps``, then restarts; each period lasts ``t_mul`` times longer
    than the previous one and starts ``m_mul`` times lower.

    Args:
        initial_learning_rate: float.
        first_decay_steps: positive int, length of the first period.
        t_mul: float, period length multiplier.
        m_mul: float, restart rate multiplier.
        alpha: the final rate of a period as a fraction of its starting rate.
        name: optional name.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        _check_decay_steps(first_decay_steps, "first_decay_steps")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            i_restart = math.floor(fraction)
            fraction -= i_restart
        else:
            # Periods grow geometrically: restart i begins at (1 - t_mul**i) / (1 - t_mul).
            i_restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul))
                                   / math.log(self.t_mul))
            sum_r = (1.0 - self.t_mul ** i_restart) / (1.0 - self.t_mul)
            fraction = (fraction - sum_r) / self.t_mul ** i_restart
        cosine = 0.5 * self.m_mul ** i_restart * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


ALL_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """Returns a JSON-compatible dict describing a schedule (Keras's format).

    Args:
        learning_rate_schedule: a ``LearningRateSchedule``.

    Returns:
        ``{'module': ..., 'class_name': ..., 'config': ..., 'registered_name': ...}``.
    """
    cls = type(learning_rate_schedule)
    return _config.serialize_instance(learning_rate_schedule, LearningRateSchedule,
                                      "keras.optimizers.schedules",
                                      ALL_SCHEDULES.get(cls.__name__) is cls)


def deserialize(config, custom_objects=None):
    """Builds a schedule from the dict returned by ``serialize``.

    Args:
        config: ``{'class_name': ..., 'config': {...}}``.
        custom_objects: optional dict of extra schedule classes by name.

    Returns:
        A ``LearningRateSchedule``.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("deserialize expects a dict with 'class_name' and 'config', "
                         f"got {config!r}.")
    classes = {**ALL_SCHEDULES, **(custom_objects or {})}
    name = config["class_name"]
    if name not in classes:
        raise ValueError(f"Unknown learning rate schedule {name!r}. "
                         f"Valid names: {sorted(classes)}.")
    return classes[name].from_config(dict(config.get("config", {})))


def get(identifier):
    """Returns a schedule from a schedule instance or a serialized dict.

    Args:
        identifier: a ``LearningRateSchedule`` (returned as is), a dict from
            ``serialize``, or None.

    Returns:
        A ``LearningRateSchedule``, or None for None.
    """
    return _config.get_instance(identifier, LearningRateSchedule, deserialize,
                                "learning rate schedule", ALL_SCHEDULES)


register_builtins("schedules", ALL_SCHEDULES)
