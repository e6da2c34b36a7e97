"""keras.ops.linalg, re-exported from lamina.api.linalg."""
from lamina.api.linalg import *  # noqa: F401,F403
