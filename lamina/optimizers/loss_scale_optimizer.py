"""LossScaleOptimizer: dynamic loss scaling for float16 training (Keras 3)."""
import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.optimizers.base_optimizer import Optimizer

# Keras accepts these base-optimizer arguments only at their defaults (old configs hold them)
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer and scales the loss so float16 gradients do not underflow.

    ``Model.train_step`` multiplies the loss by ``dynamic_scale`` (``scale_loss``);
    ``apply`` divides the gradients by it and then:

    - if any gradient is inf or NaN, skips the update and halves the scale;
    - after ``dynamic_growth_steps`` updates in a row with finite gradients, doubles it.

    ``Model.compile`` wraps the optimizer in one under the 'mixed_float16' policy.

    Args:
        inner_optimizer: the optimizer that updates the weights.
        initial_scale: the first loss scale (2**15).
        dynamic_growth_steps: finite steps in a row after which the scale doubles (2000).
        name: string name.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, "
                             "simply set `loss_scale_factor` directly on the `inner_optimizer`.")
        for arg_name, default in _BASE_DEFAULTS.items():
            if arg_name in kwargs and kwargs.pop(arg_name) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg_name}`. "
                                 f"Instead, set `{arg_name}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs.keys())}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError("LossScaleOptimizer expects an Optimizer as `inner_optimizer`, "
                             f"got {inner_optimizer!r}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None   # else gradients are unscaled twice
        self.step_counter = 0
        self.dynamic_scale = float(initial_scale)

    # --- the inner optimizer's learning rate and step ---
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if "inner_optimizer" in self.__dict__:   # not Optimizer.__init__ setting its own
            self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations if "inner_optimizer" in self.__dict__ else 0

    @iterations.setter
    def iterations(self, value):
        if "inner_optimizer" in self.__dict__:
            self.inner_optimizer.iterations = value

    @property
    def built(self):
        return "inner_optimizer" in self.__dict__ and self.inner_optimizer.built

    @built.setter
    def built(self, value):
        pass   # built when the inner optimizer is

    def build(self, variables):
        self.inner_optimizer.build(variables)

    # --- the update ---
    def scale_loss(self, loss):
        """Returns ``loss * dynamic_scale``: the loss to differentiate."""
        return loss * self.dynamic_scale

    def apply(self, grads, variables=None):
        """Unscales the gradients and updates, or skips the step when one is not finite.

        Args:
            grads: gradients of the scaled loss (arrays, Tensors or None), one per weight.
            variables: the weights; default those the inner optimizer was built with.
        """
        if not self.built and variables is not None:
            self.build(list(variables))   # the inner slots exist even if this step is skipped
        grads = [g.data if isinstance(g, Tensor) else g for g in grads]
        if not all(bool(backend.get_array_module(g).isfinite(g).all())
                   for g in grads if g is not None):
            self.step_counter = 0
            self.dynamic_scale *= 0.5
            return
        self.inner_optimizer.apply([None if g is None else g / self.dynamic_scale
                                    for g in grads], variables)
        if self.step_counter == self.dynamic_growth_steps - 1:
            self.step_counter = 0
            self.dynamic_scale *= 2.0
        else:
            self.step_counter += 1

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # --- state, in Keras's order: own iteration, learning rate, step counter, scale ---
    @property
    def variables(self):
        own = [np.array(0, dtype="int64"), np.array(0.0, dtype=backend.floatx()),
               np.array(self.step_counter, dtype="int64"),
               np.array(self.dynamic_scale, dtype="float32")]
        return own + self.inner_optimizer.variables

    def set_state(self, values):
        if len(values) < 4:
            raise ValueError(f"Optimizer '{self.name}' has {len(self.variables)} state arrays, "
                             f"got {len(values)}.")
        values = [backend.to_numpy(a) for a in values]
        self.step_counter = int(values[2])
        self.dynamic_scale = float(values[3])
        self.inner_optimizer.set_state(values[4:])

    # --- config ---
    def get_config(self):
        from lamina.optimizers import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.optimizers import deserialize
        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)

    def __repr__(self):
        return (f"<LossScaleOptimizer name={self.name!r} inner={self.inner_optimizer!r} "
                f"dynamic_scale={self.dynamic_scale:g}>")
