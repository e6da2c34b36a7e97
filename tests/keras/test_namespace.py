"""The Keras-shaped namespace: a Keras script runs with only its imports changed."""
import subprocess
import sys

import lamina
from lamina import keras


def test_import_forms():
    from lamina.keras.layers import Dense, Dropout, Flatten  # noqa: F401
    from lamina.keras.models import Sequential  # noqa: F401
    from lamina.keras.optimizers.schedules import ExponentialDecay  # noqa: F401
    assert keras.optimizers.schedules.ExponentialDecay is ExponentialDecay
    assert keras.Sequential is lamina.Sequential is keras.models.Sequential
    assert keras.Model is lamina.Model and keras.Input is lamina.Input
    assert keras.datasets.mnist.load_data is lamina.datasets.mnist.load_data
    assert keras.utils.to_categorical is lamina.utils.to_categorical
    assert callable(keras.backend.clear_session)


def test_dir_of_activations_lists_them():
    names = set(dir(keras.activations))
    for name in ("elu", "exponential", "gelu", "hard_sigmoid", "linear", "relu", "relu6",
                 "leaky_relu", "selu", "sigmoid", "softmax", "log_softmax", "softplus",
                 "softsign", "swish", "silu", "tanh", "mish", "get"):
        assert name in names, name


def test_top_level_helpers():
    assert lamina.one_hot([0, 2], 3).numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    out = lamina.nn.softmax(lamina.Tensor([[1.0, 1.0]])).numpy()
    assert out.tolist() == [[0.5, 0.5]]


def test_import_is_light():
    code = ("import sys, time; t = time.perf_counter(); import lamina; "
            "print(time.perf_counter() - t); "
            "print(','.join(m for m in ('h5py', 'pandas', 'scipy', 'matplotlib', 'sklearn', "
            "'torch', 'tensorboard', 'mlflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[1] == ""  # optional extras and h5py load only when used
    assert float(out[0]) < 2.0  # generous: a loaded CI machine; the benchmark measures it


def test_keras_version_is_the_keras_3_api_followed():
    major, minor = (int(p) for p in keras.__version__.split(".")[:2])
    assert (major, minor) >= (3, 0) and keras.version() == keras.__version__
