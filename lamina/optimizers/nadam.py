"""The Nadam optimizer."""
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

    def _prepare_step(self, lr):
        t = self.iterations + 1
        u_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        self._u_product *= u_t
        self._m_coef = lr * u_next / (1 - self._u_product * u_next)
        self._g_coef = lr * (1 - u_t) / (1 - self._u_product)
        self._v_coef = 1 / (1 - self.beta_2 ** t)

    def update_step(self, g, w, s, lr):
        xp, tmp, tmp2 = s.xp, s.tmp, s.tmp2
        m, v = s.slots["momentum"], s.slots["velocity"]
        xp.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp                                    # m += (g - m) * (1 - beta_1)
        xp.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp                                    # v += (g**2 - v) * (1 - beta_2)
        xp.multiply(m, self._m_coef, out=tmp2)
        xp.multiply(g, self._g_coef, out=tmp)
        tmp2 += tmp                                 # lr * m_hat
        xp.multiply(v, self._v_coef, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.epsilon                         # sqrt(v_hat) + eps
        xp.divide(tmp2, tmp, out=tmp2)
        w -= tmp2

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
