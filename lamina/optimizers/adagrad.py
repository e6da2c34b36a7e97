"""The Adagrad optimizer."""
from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class Adagrad(Optimizer):
    """Adagrad: divides by the root of the sum of all past squared gradients.

    ``acc += g**2``, ``w -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        initial_accumulator_value: starting value of ``acc``. Defaults to 0.1.
        epsilon: added inside the square root. Defaults to 1e-7.
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = _epsilon(epsilon)

    def _slot_groups(self):
        return (("accumulator",),)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def plain_update_step(self, g, w, slots, lr):
        accumulator = slots["accumulator"] + g ** 2
        xp = backend.get_array_module(w)
        return w - lr * g / xp.sqrt(accumulator + self.epsilon), {"accumulator": accumulator}

    def update_step(self, g, w, s, lr):
        """In place, in one scratch buffer; reads as ``plain_update_step``."""
        xp, tmp = s.xp, s.tmp
        acc = s.slots["accumulator"]
        xp.multiply(g, g, out=tmp)
        acc += tmp                                  # acc += g**2
        xp.add(acc, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        w -= tmp                                    # w -= lr * g / sqrt(acc + eps)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
