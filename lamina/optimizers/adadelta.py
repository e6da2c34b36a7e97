"""The Adadelta optimizer."""
from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class Adadelta(Optimizer):
    """Adadelta: the step size adapts from moving averages of squared gradients and steps.

    ``Eg = rho * Eg + (1 - rho) * g**2``,
    ``delta = sqrt(Edx + eps) / sqrt(Eg + eps) * g``,
    ``Edx = rho * Edx + (1 - rho) * delta**2``, ``w -= lr * delta``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001 (the paper's form is 1.0).
        rho: decay rate. Defaults to 0.95.
        epsilon: added inside the square roots. Defaults to 1e-7.
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    _scratch_buffers = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = rho
        self.epsilon = _epsilon(epsilon)

    def _slot_groups(self):
        return (("accumulated_grad", "accumulated_delta_var"),)

    def plain_update_step(self, g, w, slots, lr):
        xp, rho, eps = backend.get_array_module(w), self.rho, self.epsilon
        mean_sq_grad = rho * slots["accumulated_grad"] + (1 - rho) * g ** 2
        delta = xp.sqrt(slots["accumulated_delta_var"] + eps) / xp.sqrt(mean_sq_grad + eps) * g
        mean_sq_delta = rho * slots["accumulated_delta_var"] + (1 - rho) * delta ** 2
        return w - lr * delta, {"accumulated_grad": mean_sq_grad,
                                "accumulated_delta_var": mean_sq_delta}

    def update_step(self, g, w, s, lr):
        """In place, in two scratch buffers; reads as ``plain_update_step``."""
        xp, tmp, tmp2, rho, eps = s.xp, s.tmp, s.tmp2, self.rho, self.epsilon
        eg, edx = s.slots["accumulated_grad"], s.slots["accumulated_delta_var"]
        eg *= rho
        xp.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        eg += tmp                                   # Eg = rho * Eg + (1 - rho) * g**2
        xp.add(edx, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp *= g
        xp.add(eg, eps, out=tmp2)
        xp.sqrt(tmp2, out=tmp2)
        tmp /= tmp2                                 # delta = sqrt(Edx + eps) * g / sqrt(Eg + eps)
        edx *= rho
        xp.multiply(tmp, tmp, out=tmp2)
        tmp2 *= 1 - rho
        edx += tmp2                                 # Edx = rho * Edx + (1 - rho) * delta**2
        tmp *= lr
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
