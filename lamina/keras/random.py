"""keras.random, re-exported from lamina.api.random."""
from lamina.api.random import *  # noqa: F401,F403
