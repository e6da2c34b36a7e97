"""keras.backend, re-exported from lamina.api.backend."""
from lamina.api.backend import *  # noqa: F401,F403
