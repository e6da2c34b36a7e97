"""CPU against device: every op and layer gives the same forward and backward on the
NumPy backend and on the device backend (LAMINA_BACKEND=cupy, or strict on the CPU).

The op table is the one the gradient checks use (tests/ops/test_ops_gradients.py).
"""
import importlib.util
import os
import pathlib

import numpy as np
import pytest

from lamina import backend, layers
from lamina.autograd import Tensor

DEVICE = os.environ["LAMINA_BACKEND"]
OPS_TABLE = pathlib.Path(__file__).resolve().parents[1] / "ops" / "test_ops_gradients.py"


def _op_cases():
    spec = importlib.util.spec_from_file_location("_op_cases", OPS_TABLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


OP_CASES = _op_cases()


def run_op(name, fn, arrays, gy_seed=0):
    """Output and input gradients (NumPy) of ``fn`` on the active backend, in float64."""
    ts = [Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    y = fn(*ts)
    gy = np.random.default_rng(gy_seed).standard_normal(y.shape)
    y.backward(gy)
    grads = [np.zeros_like(a) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, ts)]
    return y.numpy(), grads


def on(name):
    backend.set_backend(name)


@pytest.fixture(autouse=True)
def _restore_backend():
    yield
    backend.set_backend(DEVICE)


def assert_agree(cpu, device, rtol=1e-9, atol=1e-12):
    for a, b in zip(cpu, device):
        assert type(b) is np.ndarray
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(OP_CASES))
def test_op_forward_and_backward_agree(name):
    fn, _, arrays = OP_CASES[name]
    on("numpy")
    y_cpu, g_cpu = run_op(name, fn, [a.copy() for a in arrays])
    on(DEVICE)
    y_dev, g_dev = run_op(name, fn, [a.copy() for a in arrays])
    assert_agree([y_cpu] + g_cpu, [y_dev] + g_dev)


R = np.random.default_rng(1)
# name: (make layer, input shape, integer inputs below this bound or None)
LAYERS = {
    "dense": (lambda: layers.Dense(5, activation="relu"), (4, 6), None),
    "conv1d": (lambda: layers.Conv1D(3, 3, padding="same"), (2, 7, 4), None),
    "conv2d": (lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
               (2, 9, 9, 3), None),
    "conv2d_transpose": (lambda: layers.Conv2DTranspose(2, 3, strides=2), (2, 4, 4, 3), None),
    "depthwise_conv2d": (lambda: layers.DepthwiseConv2D(3), (2, 6, 6, 3), None),
    "separable_conv2d": (lambda: layers.SeparableConv2D(4, 3), (2, 6, 6, 3), None),
    "max_pooling2d": (lambda: layers.MaxPooling2D(2), (2, 6, 6, 3), None),
    "average_pooling2d": (lambda: layers.AveragePooling2D(2), (2, 6, 6, 3), None),
    "global_average_pooling1d": (lambda: layers.GlobalAveragePooling1D(), (2, 5, 3), None),
    "batch_normalization": (lambda: layers.BatchNormalization(), (8, 5), None),
    "layer_normalization": (lambda: layers.LayerNormalization(), (4, 6), None),
    "embedding": (lambda: layers.Embedding(10, 4), (3, 5), 10),
    "simple_rnn": (lambda: layers.SimpleRNN(4, return_sequences=True), (2, 5, 3), None),
    "lstm": (lambda: layers.LSTM(4), (2, 5, 3), None),
    "gru": (lambda: layers.GRU(4, return_sequences=True), (2, 5, 3), None),
    "bidirectional_lstm": (lambda: layers.Bidirectional(layers.LSTM(3)), (2, 4, 3), None),
    "up_sampling2d": (lambda: layers.UpSampling2D(2), (1, 3, 3, 2), None),
    "zero_padding2d": (lambda: layers.ZeroPadding2D(1), (1, 3, 3, 2), None),
    "softmax": (lambda: layers.Softmax(), (3, 5), None),
}
LAYER_INPUTS = {name: (R.integers(0, bound, shape) if bound else R.standard_normal(shape))
                for name, (_, shape, bound) in LAYERS.items()}


def run_layer(name, weights=None):
    """Output, input gradient and weight gradients (NumPy) of a float64 layer."""
    make, shape, bound = LAYERS[name]
    backend.set_floatx("float64")   # the layer's weights and math in float64
    try:
        layer = make()
        x = Tensor(LAYER_INPUTS[name], requires_grad=bound is None,
                   dtype=None if bound else np.float64)
        layer(x, training=True)   # builds the weights
    finally:
        backend.set_floatx("float32")
    assert all(w.dtype == np.float64 for w in layer.weights)
    if weights is not None:
        layer.set_weights(weights)
    y = layer(x, training=True)
    y.backward(np.random.default_rng(2).standard_normal(y.shape))
    grads = [w.grad.numpy() for w in layer.trainable_weights]
    gx = [x.grad.numpy()] if bound is None else []
    return [y.numpy()] + gx + grads, layer.get_weights()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_forward_and_backward_agree(name):
    on("numpy")
    cpu, weights = run_layer(name)
    on(DEVICE)
    device, _ = run_layer(name, weights)
    assert len(device) == len(cpu) > 1
    assert_agree(cpu, device, rtol=1e-8, atol=1e-10)


def test_a_model_trained_on_the_device_saves_and_loads_on_the_cpu(tmp_path):
    import lamina
    on(DEVICE)
    x = R.standard_normal((64, 4)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    model = lamina.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                               layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / "device.keras")
    model.save(path)
    expected = model.predict(x, verbose=0)
    on("numpy")
    loaded = lamina.saving.load_model(path)
    assert type(loaded.weights[0].data) is np.ndarray
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    on(DEVICE)
    again = lamina.saving.load_model(path)
    assert backend.get_array_module(again.weights[0].data) is backend.xp()
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)
