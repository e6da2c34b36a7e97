"""The SGD optimizer."""
import numbers

from lamina.optimizers.base_optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    ``velocity = momentum * velocity - lr * g`` then ``w += velocity``, or with
    Nesterov ``w += momentum * velocity - lr * g``; without momentum ``w -= lr * g``.

    Args:
        learning_rate: float or schedule. Defaults to 0.01.
        momentum: float in [0, 1]. Defaults to 0.
        nesterov: whether to use Nesterov momentum.
        name: optional name.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``lr``,
            ``decay``... (see ``Optimizer``).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1]. "
                             f"Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _slot_groups(self):
        return (("momentum",),) if self.momentum != 0 else ()

    def plain_update_step(self, g, w, slots, lr):
        if self.momentum == 0:
            return w - lr * g, slots
        velocity = self.momentum * slots["momentum"] - lr * g
        if self.nesterov:
            return w + self.momentum * velocity - lr * g, {"momentum": velocity}
        return w + velocity, {"momentum": velocity}

    def update_step(self, g, w, s, lr):
        """In place; reads as ``plain_update_step``."""
        xp, tmp = s.xp, s.tmp
        xp.multiply(g, lr, out=tmp)                 # tmp = lr * g
        if self.momentum == 0:
            w -= tmp
            return
        m = s.slots["momentum"]
        m *= self.momentum
        m -= tmp                                    # m = momentum * m - lr * g
        if self.nesterov:
            w -= tmp
            xp.multiply(m, self.momentum, out=tmp)
            w += tmp                                # w += momentum * m - lr * g
        else:
            w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
