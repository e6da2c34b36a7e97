"""Fused CPU kernels for the flat optimizer update (the optional ``[fast]`` extra: numba).

NumPy runs an optimizer's ``update_step`` as about a dozen passes over the weights, the
gradients and the slots; each loop below reads and writes every element once. Each does
the same float operations in the same order as its ``update_step`` (no fused multiply-add,
no reassociation), so both give the same bits and the NumPy passes stay the reference.
This module imports numba: ``lamina.compile.flat`` loads it lazily, off the training thread.
"""
import math

import numba

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def adam(g, w, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon, step_size):
    """``Adam.update_step`` (without amsgrad); ``step_size`` has both bias corrections."""
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta_1 + gi * one_minus_beta_1
        vi = v[i] * beta_2 + (gi * gi) * one_minus_beta_2
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - (mi / (math.sqrt(vi) + epsilon)) * step_size


@_jit
def sgd_momentum(g, w, m, lr, momentum, nesterov):
    """``SGD.update_step`` with momentum (plain or Nesterov)."""
    for i in range(w.size):
        step = g[i] * lr
        mi = m[i] * momentum - step
        m[i] = mi
        if nesterov:
            w[i] = (w[i] - step) + mi * momentum
        else:
            w[i] = w[i] + mi


@_jit
def rmsprop(g, w, v, mom, rho, one_minus_rho, epsilon, lr, momentum):
    """``RMSprop.update_step`` (not centered); ``mom`` is unused when ``momentum`` is 0."""
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * rho + (gi * gi) * one_minus_rho
        v[i] = vi
        step = (gi / math.sqrt(vi + epsilon)) * lr
        if momentum > 0:
            step = mom[i] * momentum + step
            mom[i] = step
        w[i] = w[i] - step
