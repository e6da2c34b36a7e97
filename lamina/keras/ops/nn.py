"""keras.ops.nn, re-exported from lamina.api.nn."""
from lamina.api.nn import *  # noqa: F401,F403
