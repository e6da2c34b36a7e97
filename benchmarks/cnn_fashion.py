"""Benchmark: a two-convolution CNN with max pooling on Fashion-MNIST, in lamina, tf.keras, PyTorch.

Model: Conv2D(32, 3, relu, input_shape=(28, 28, 1)) -> MaxPooling2D -> Conv2D(64, 3, relu) ->
MaxPooling2D -> Flatten -> Dense(128, relu) -> Dense(10, softmax); adam,
sparse_categorical_crossentropy, metrics=['accuracy'], batch size 32 over all 60,000
training images, reshaped to (28, 28, 1) and scaled by 1 / 255. Training loops, the
PyTorch conversion and the GEMM floor are those of cnn_mnist.py.

Usage:
    python benchmarks/cnn_fashion.py [--frameworks lamina,tf,torch,torch-index,gemm] [--epochs 1] [--threads 1]
"""
import _harness
from cnn_mnist import load_images, nchw, run_gemms


def load_data():
    return load_images("fashion_mnist")


BENCHMARK = _harness.Benchmark(
    "cnn_fashion", load_data,
    default_frameworks=["lamina", "lamina-jit", "tf", "jax", "torch", "torch-index", "gemm"],
    default_epochs=1,
    description="conv 32 + pool + conv 64 + pool + dense 128 on Fashion-MNIST, adam, batch 32")


@BENCHMARK.register("lamina", "lamina-jit", "lamina-jit-numpy", "tf", "tf2", "jax")
def run_keras(keras, data, epochs):
    """The Keras code, the same for every framework with the Keras API."""
    model = keras.models.Sequential([
        keras.layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Conv2D(64, (3, 3), activation='relu'),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    return _harness.fit_keras(model, data, epochs)


@BENCHMARK.register("torch", "torch-index")
def run_torch(torch, data, epochs):
    """nn.Sequential of the same layers (valid convolutions, 2x2 max pooling)."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    return _harness.fit_torch(torch, model, data, epochs, layout=nchw)


@BENCHMARK.register("gemm")
def run_gemm(np, data, epochs):
    """im2col GEMMs of both convolutions (plus bias column) and the two dense layers."""
    return run_gemms(np, data, epochs, [(26 * 26, 10, 32, False), (11 * 11, 289, 64, True),
                                        (1, 1600, 128, True), (1, 128, 10, True)])


if __name__ == "__main__":
    _harness.main(BENCHMARK)
