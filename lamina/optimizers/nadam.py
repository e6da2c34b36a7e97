"""The Nadam optimizer."""
from lamina import backend
from lamina.optimizers.base_optimizer import Optimizer, _epsilon


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2015), as in Keras.

    With ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and ``P_t = u_1 * ... * u_t``:
    ``m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)``,
    ``v_hat = v / (1 - beta_2**t)``, ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``.

    Args:
        learning_rate: float or schedule. Defaults to 0.001.
        beta_1, beta_2, epsilon: as in ``Adam``.
        name: optional name.
        **kwargs: see ``Optimizer``.
    """

    _extra_state = ("_u_product",)
    _scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = _epsilon(epsilon)
        self._u_product = 1.0

    def _slot_groups(self):
        return (("momentum", "velocity"),)

    def _u(self, t):
        """The momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``."""
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _prepare_step(self):
        self._u_product *= self._u(self.iterations + 1)   # u_1 * ... * u_t, once per step

    def plain_update_step(self, g, w, slots, lr):
        xp, t = backend.get_array_module(w), self.iterations + 1
        u_t, u_next, u_product = self._u(t), self._u(t + 1), self._u_product
        m = self.beta_1 * slots["momentum"] + (1 - self.beta_1) * g
        v = self.beta_2 * slots["velocity"] + (1 - self.beta_2) * g ** 2
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - self.beta_2 ** t)
        return w - lr * m_hat / (xp.sqrt(v_hat) + self.epsilon), {"momentum": m, "velocity": v}

    def update_step(self, g, w, s, lr):
        """In place, in two scratch buffers; reads as ``plain_update_step``."""
        t = self.iterations + 1
        u_t, u_next = self._u(t), self._u(t + 1)
        m_coef = lr * u_next / (1 - self._u_product * u_next)
        g_coef = lr * (1 - u_t) / (1 - self._u_product)
        v_coef = 1 / (1 - self.beta_2 ** t)
        xp, tmp, tmp2 = s.xp, s.tmp, s.tmp2
        m, v = s.slots["momentum"], s.slots["velocity"]
        xp.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp                                    # m += (g - m) * (1 - beta_1)
        xp.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp                                    # v += (g**2 - v) * (1 - beta_2)
        xp.multiply(m, m_coef, out=tmp2)
        xp.multiply(g, g_coef, out=tmp)
        tmp2 += tmp                                 # lr * m_hat
        xp.multiply(v, v_coef, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.epsilon                         # sqrt(v_hat) + eps
        xp.divide(tmp2, tmp, out=tmp2)
        w -= tmp2

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
