"""keras.constraints, re-exported from lamina.constraints."""
from lamina.constraints import *  # noqa: F401,F403
