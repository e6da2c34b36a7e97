"""The Adam optimizer."""
import math

from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class Adam(Optimizer):
    """Adam: steps scaled by moving averages of the gradient and of its square.

    ``m = beta_1 * m + (1 - beta_1) * g``, ``v = beta_2 * v + (1 - beta_2) * g**2``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the gradient average. Defaults to 0.9.
        beta_2: decay rate of the squared-gradient average. Defaults to 0.999.
        epsilon: added to ``sqrt(v)`` (Keras's "epsilon hat"). Defaults to 1e-7.
        amsgrad: use the running maximum of ``v`` (AMSGrad).
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)
        self.amsgrad = amsgrad

    def _slot_groups(self):
        groups = (("momentum", "velocity"),)
        return groups + (("velocity_hat",),) if self.amsgrad else groups

    def _step_size(self, lr):
        """``lr`` with both bias corrections folded in: ``lr * sqrt(1 - b2**t) / (1 - b1**t)``."""
        t = self.iterations + 1
        return lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)

    def plain_update_step(self, g, w, slots, lr):
        xp = backend.get_array_module(w)
        m = self.beta_1 * slots["momentum"] + (1 - self.beta_1) * g
        v = self.beta_2 * slots["velocity"] + (1 - self.beta_2) * g ** 2
        new_slots = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = new_slots["velocity_hat"] = xp.maximum(slots["velocity_hat"], v)
        return w - self._step_size(lr) * m / (xp.sqrt(v) + self.epsilon), new_slots

    def update_step(self, g, w, s, lr):
        """In place, in one scratch buffer; reads as ``plain_update_step``."""
        xp, tmp = s.xp, s.tmp
        m, v = s.slots["momentum"], s.slots["velocity"]
        # NOTE: beta * m + (1 - beta) * g is Keras's m + (g - m) * (1 - beta) in cheaper passes
        m *= self.beta_1
        xp.multiply(g, 1 - self.beta_1, out=tmp)
        m += tmp                                    # m = beta_1 * m + (1 - beta_1) * g
        v *= self.beta_2
        xp.square(g, out=tmp)
        tmp *= 1 - self.beta_2
        v += tmp                                    # v = beta_2 * v + (1 - beta_2) * g**2
        if self.amsgrad:
            v_hat = s.slots["velocity_hat"]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= self._step_size(lr)
        w -= tmp                                    # w -= alpha * m / (sqrt(v) + eps)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
