"""keras.mixed_precision, re-exported from lamina.mixed_precision."""
from lamina.mixed_precision import (DTypePolicy, LossScaleOptimizer, Policy,  # noqa: F401
                                    dtype_policy, global_policy, set_dtype_policy,
                                    set_global_policy)
