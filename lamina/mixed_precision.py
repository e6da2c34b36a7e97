"""keras.mixed_precision: dtype policies and dynamic loss scaling.

Example:
    >>> lamina.mixed_precision.set_global_policy("mixed_float16")
    >>> model = lamina.Sequential([lamina.layers.Dense(10)])   # float16 math, float32 weights
    >>> model.compile(optimizer="adam", loss="mse")   # the optimizer gets loss scaling
"""
from lamina.dtype_policies import (DTypePolicy, Policy, dtype_policy,  # noqa: F401
                                   global_policy, set_dtype_policy, set_global_policy)
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer  # noqa: F401
