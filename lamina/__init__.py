"""lamina: Keras-style deep learning on its own autodiff engine over NumPy and CuPy.

``import lamina`` gives the Keras names (lamina.layers.Dense, lamina.Sequential, ...);
``from lamina import keras`` gives the same under a Keras-shaped namespace.
"""
from lamina import backend, ops
from lamina.autograd import Function, Tensor, Variable, gradcheck, no_grad
from lamina.backend import set_backend
from lamina import (activations, callbacks, data, datasets, initializers, layers, losses,  # noqa: E402
                    metrics, mlflow, models, nn, optimizers, regularizers, saving, utils,
                    wrappers)
from lamina.api.function import function  # noqa: E402
from lamina.gradient_tape import GradientTape  # noqa: E402
from lamina.layers import Input, Layer  # noqa: E402
from lamina.models import Model, Sequential  # noqa: E402
from lamina.ops import one_hot  # noqa: E402
from lamina import keras  # noqa: E402

__version__ = "0.1.0"
