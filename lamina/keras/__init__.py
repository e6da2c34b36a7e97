"""A Keras-compatible namespace: ``from lamina import keras`` and keep the rest of the script.

Re-exports only; the code lives in the lamina modules.
"""
from lamina.keras import (activations, backend, callbacks, constraints, datasets,  # noqa: F401
                          initializers, layers, losses, metrics, mixed_precision, models, ops,
                          optimizers,
                          preprocessing, random, regularizers, saving, utils, wrappers)
from lamina.autograd import Variable  # noqa: F401
from lamina.layers import Input, Layer  # noqa: F401
from lamina.models import Model, Sequential  # noqa: F401

# The Keras API version this namespace follows (the version that wrote the interop files in
# the tests), so scripts that print or compare ``keras.__version__`` run unchanged.
__version__ = "3.15.1"


def version():
    """Returns ``keras.__version__``, as ``keras.version()`` does."""
    return __version__
