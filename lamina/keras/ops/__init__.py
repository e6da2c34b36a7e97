"""keras.ops: Keras 3's backend-agnostic ops, re-exported from lamina.api."""
from lamina.api.core import *  # noqa: F401,F403
from lamina.api.linalg import *  # noqa: F401,F403
from lamina.api.math import *  # noqa: F401,F403
from lamina.api.nn import *  # noqa: F401,F403
from lamina.api.numpy import *  # noqa: F401,F403
from lamina.keras.ops import image, linalg, nn, numpy  # noqa: F401,E402
