"""lamina: Keras-style deep learning on its own autodiff engine over NumPy and CuPy.

``import lamina`` gives the Keras names (lamina.layers.Dense, lamina.Sequential, ...);
``from lamina import keras`` gives the same under a Keras-shaped namespace.

``import lamina as tf`` also works for TensorFlow-style code: the names below map onto
keras.ops and the engine (``tf.constant``, ``tf.reduce_sum``, ``tf.GradientTape``,
``tf.function``, ``tf.math``, ``tf.nn``, ``tf.random``, ``tf.summary``, dtypes, ...).
"""
from lamina import backend, ops
from lamina.autograd import Function, Tensor, Variable, gradcheck, no_grad
from lamina.backend import set_backend
from lamina import (activations, callbacks, data, datasets, dtype_policies,  # noqa: E402
                    initializers, layers, losses, metrics, mixed_precision, mlflow, models, nn,
                    optimizers, regularizers, saving, utils, wrappers)
from lamina.api.function import function  # noqa: E402
from lamina.gradient_tape import GradientTape  # noqa: E402
from lamina.layers import Input, Layer  # noqa: E402
from lamina.models import Model, Sequential  # noqa: E402
from lamina import keras  # noqa: E402

# --- TensorFlow-style top level (``import lamina as tf``) ---
from lamina import config, dtypes, linalg, math, random, summary  # noqa: E402
from lamina.array_ops import *  # noqa: E402,F401,F403
from lamina.config import device  # noqa: E402
from lamina.dtypes import (DType, as_dtype, bool, complex64, complex128, double,  # noqa: E402,F401,A004
                           float16, float32, float64, half, int8, int16, int32, int64, uint8,
                           uint16, uint32, uint64)
from lamina.math import (abs, add, add_n, argmax, argmin, cos, cumprod, cumsum, divide,  # noqa: E402,F401,A004
                         equal, exp, floor, floordiv, greater, greater_equal, less, less_equal,
                         log, logical_and, logical_not, logical_or, maximum, minimum, multiply,
                         negative, not_equal, pow, reduce_all, reduce_any, reduce_logsumexp,
                         reduce_max, reduce_mean, reduce_min, reduce_prod, reduce_std,
                         reduce_sum, reduce_variance, round, sigmoid, sign, sin, sqrt, square,
                         subtract, tanh, truediv)

newaxis = None
__version__ = "0.1.0"

# TensorFlow features lamina does not have: the error names the lamina way to do it.
_NOT_IN_LAMINA = {
    "saved_model": "SavedModel; save with model.save('model.keras') and load with "
                   "keras.models.load_model, or export with model.export(path, format='onnx')",
    "train": "tf.train (Checkpoint, CheckpointManager); save weights with "
             "model.save_weights('w.weights.h5') or use keras.callbacks.ModelCheckpoint",
    "xla": "XLA compilation; lamina runs eagerly on NumPy/CuPy (lamina.function is eager)",
    "lite": "TensorFlow Lite; export with model.export(path, format='onnx') for ONNX Runtime",
    "tpu": "TPUs; lamina runs on NumPy (CPU) or CuPy (NVIDIA GPU)",
    "estimator": "tf.estimator; use keras.Model.fit",
    "compat": "tf.compat.v1 (graphs, sessions, placeholders); lamina is eager, write TF2 code",
    "Session": "tf.Session (TF1 graphs); lamina is eager, call the computation directly",
    "placeholder": "tf.placeholder (TF1 graphs); lamina is eager, pass arrays directly",
    "io": "tf.io (TFRecord, file ops); use numpy/h5py files or lamina.data.Dataset",
    "image": "tf.image; use keras.layers preprocessing (Resizing, Rescaling, RandomFlip, ...)",
    "strings": "tf.strings; use Python strings or keras.layers.TextVectorization/StringLookup",
    "sparse": "tf.sparse (SparseTensor); lamina tensors are dense",
    "RaggedTensor": "tf.RaggedTensor; pad sequences with keras.utils.pad_sequences",
    "autograph": "AutoGraph; lamina.function runs Python control flow eagerly as written",
    "audio": "tf.audio; decode audio with another library and pass NumPy arrays",
    "feature_column": "tf.feature_column; use keras preprocessing layers",
    "test": "tf.test; use pytest and numpy.testing",
}


def __getattr__(name):
    if name in _NOT_IN_LAMINA:
        raise AttributeError(f"lamina has no TensorFlow '{name}': {_NOT_IN_LAMINA[name]}.")
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")

