"""The Adamax optimizer."""
from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    ``m += (g - m) * (1 - beta_1)``, ``u = max(beta_2 * u, |g|)``,
    ``w -= lr / (1 - beta_1**t) * m / (u + epsilon)``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1: decay rate of the gradient average. Defaults to 0.9.
        beta_2: decay rate of the infinity norm. Defaults to 0.999.
        epsilon: added to ``u``. Defaults to 1e-7.
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)

    def _slot_groups(self):
        return (("momentum", "norm"),)

    def _step_size(self, lr):
        """``lr`` with the bias correction of ``m`` folded in: ``lr / (1 - beta_1**t)``."""
        return lr / (1 - self.beta_1 ** (self.iterations + 1))

    def plain_update_step(self, g, w, slots, lr):
        xp = backend.get_array_module(w)
        m = self.beta_1 * slots["momentum"] + (1 - self.beta_1) * g
        u = xp.maximum(self.beta_2 * slots["norm"], xp.abs(g))
        return w - self._step_size(lr) * m / (u + self.epsilon), {"momentum": m, "norm": u}

    def update_step(self, g, w, s, lr):
        """In place, in one scratch buffer; reads as ``plain_update_step``."""
        xp, tmp = s.xp, s.tmp
        m, u = s.slots["momentum"], s.slots["norm"]
        xp.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp                                    # m += (g - m) * (1 - beta_1)
        u *= self.beta_2
        xp.abs(g, out=tmp)
        xp.maximum(u, tmp, out=u)                   # u = max(beta_2 * u, |g|)
        xp.add(u, self.epsilon, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp *= self._step_size(lr)
        w -= tmp                                    # w -= lr / (1 - beta_1**t) * m / (u + eps)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
