"""The RMSprop optimizer."""
from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class RMSprop(Optimizer):
    """RMSprop: divides the gradient by a moving root-mean-square of past gradients.

    ``v = rho * v + (1 - rho) * g**2``, ``w -= lr * g / sqrt(v + epsilon)``; with
    ``centered`` the variance ``v - mean_g**2`` replaces ``v``; with ``momentum``
    the step is accumulated: ``mom = momentum * mom + step``, ``w -= mom``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        rho: decay rate of the average. Defaults to 0.9.
        momentum: float. Defaults to 0.
        epsilon: added inside the square root. Defaults to 1e-7.
        centered: normalise by the estimated variance instead of the second moment.
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="rmsprop", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = _epsilon(epsilon)
        self.centered = centered

    def _slot_groups(self):
        groups = (("velocity",),)
        if self.momentum > 0:
            groups += (("momentum",),)
        if self.centered:
            groups += (("average_gradient",),)
        return groups

    def plain_update_step(self, g, w, slots, lr):
        xp, rho = backend.get_array_module(w), self.rho
        v = rho * slots["velocity"] + (1 - rho) * g ** 2
        new_slots = {"velocity": v}
        if self.centered:
            mean_g = new_slots["average_gradient"] = rho * slots["average_gradient"] + (1 - rho) * g
            step = lr * g / xp.sqrt(v - mean_g ** 2 + self.epsilon)
        else:
            step = lr * g / xp.sqrt(v + self.epsilon)
        if self.momentum > 0:
            step = new_slots["momentum"] = self.momentum * slots["momentum"] + step
        return w - step, new_slots

    def update_step(self, g, w, s, lr):
        """In place, in one scratch buffer; reads as ``plain_update_step``."""
        xp, tmp, rho = s.xp, s.tmp, self.rho
        v = s.slots["velocity"]
        v *= rho
        xp.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        v += tmp                                    # v = rho * v + (1 - rho) * g**2
        if self.centered:
            mg = s.slots["average_gradient"]
            mg *= rho
            xp.multiply(g, 1 - rho, out=tmp)
            mg += tmp                               # mg = rho * mg + (1 - rho) * g
            xp.multiply(mg, mg, out=tmp)
            xp.subtract(v, tmp, out=tmp)
            tmp += self.epsilon                     # v - mg**2 + eps
        else:
            xp.add(v, self.epsilon, out=tmp)        # v + eps
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr                                   # increment = lr * g / sqrt(...)
        if self.momentum > 0:
            mom = s.slots["momentum"]
            mom *= self.momentum
            mom += tmp
            w -= mom
        else:
            w -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
