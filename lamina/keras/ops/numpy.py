"""keras.ops.numpy, re-exported from lamina.api.numpy."""
from lamina.api.numpy import *  # noqa: F401,F403
