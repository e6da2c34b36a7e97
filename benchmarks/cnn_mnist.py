"""Benchmark: the course's small MNIST CNN, one epoch at a time, in lamina, tf.keras and PyTorch.

Model: Conv2D(16, 3, strides=2, 'same', relu, input_shape=(28, 28, 1)) ->
Conv2D(8, 3, strides=2, 'same', relu) -> Flatten -> Dense(30, relu) -> Dense(20, relu) ->
Dense(10, softmax); adam, sparse_categorical_crossentropy, metrics=['accuracy'], batch
size 32 over all 60,000 training images, reshaped to (28, 28, 1) and scaled by 1 / 255.
Every framework runs in its own fresh interpreter (see _harness.py).

Usage:
    python benchmarks/cnn_mnist.py [--frameworks lamina,tf,torch,torch-index,gemm] [--epochs 1] [--threads 1]
"""
import time

import _harness

BATCH_SIZE = _harness.BATCH_SIZE


def load_images(name):
    """Return ``name`` ('mnist' or 'fashion_mnist') as the course prepares it for a CNN:
    (N, 28, 28, 1) float64 images in [0, 1] and uint8 labels."""
    (x_train, y_train), (x_test, y_test) = _harness.load_idx_dataset(name)
    return ((x_train.reshape(-1, 28, 28, 1) / 255.0, y_train),
            (x_test.reshape(-1, 28, 28, 1) / 255.0, y_test))


def load_data():
    return load_images("mnist")


BENCHMARK = _harness.Benchmark(
    "cnn_mnist", load_data,
    default_frameworks=["lamina", "lamina-jit", "tf", "jax", "torch", "torch-index", "gemm"],
    default_epochs=1,
    description="2 strided 3x3 convolutions + 3 dense layers on MNIST, adam, batch 32")


def course_cnn(keras):
    """The course's CNN, compiled as the course compiles it."""
    model = keras.models.Sequential([
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu",
                            input_shape=(28, 28, 1)),
        keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(30, activation="relu"),
        keras.layers.Dense(20, activation="relu"),
        keras.layers.Dense(10, activation="softmax")
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    return model


@BENCHMARK.register("lamina", "lamina-jit", "lamina-jit-numpy", "tf", "tf2", "jax")
def run_keras(keras, data, epochs):
    """The course code, unchanged, for any framework with the Keras API."""
    model = course_cnn(keras)
    return _harness.fit_keras(model, data, epochs)


def nchw(images):
    """NHWC images as the NCHW layout PyTorch's convolutions read."""
    return images.transpose(0, 3, 1, 2).copy()


@BENCHMARK.register("torch", "torch-index")
def run_torch(torch, data, epochs):
    """nn.Sequential of the same layers; padding=1 gives the same 14x14 and 7x7 grids."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 8, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(392, 30), nn.ReLU(), nn.Linear(30, 20), nn.ReLU(),
        nn.Linear(20, 10))
    return _harness.fit_torch(torch, model, data, epochs, layout=nchw)


def run_gemms(np, data, epochs, layers):
    """The matrix products of the epochs alone, float32, as an im2col framework runs them.

    ``layers`` lists ``(rows per image, K, F, needs input gradient)``: a convolution is the
    GEMM (rows, K) @ (K, F) with K = kh * kw * C, a dense layer has one row per image.
    Per batch: the forward product, the weight gradient and, where needed, the input
    gradient. This is the floor for a framework that runs its products through NumPy.
    """
    rng = np.random.default_rng(0)
    mats = [(rng.standard_normal((BATCH_SIZE * rows, k), dtype=np.float32),
             rng.standard_normal((k, f), dtype=np.float32),
             rng.standard_normal((BATCH_SIZE * rows, f), dtype=np.float32), needs_gx)
            for rows, k, f, needs_gx in layers]
    steps = len(data[0][0]) // BATCH_SIZE
    epoch_s = []
    for _ in range(epochs):
        start = time.perf_counter()
        for _ in range(steps):
            for a, w, g, needs_gx in mats:
                a @ w
                a.T @ g
                if needs_gx:
                    g @ w.T
        epoch_s.append(time.perf_counter() - start)
    flops = steps * sum(2 * a.shape[0] * a.shape[1] * w.shape[1] * (3 if gx else 2)
                        for a, w, _, gx in mats)
    notes = (f"{flops / 1e9:.1f} GFLOP per epoch in {steps} batches; "
             f"best epoch {flops / min(epoch_s) / 1e9:.1f} GFLOP/s")
    forward_s = []
    for _ in range(2):   # evaluate's and predict's GEMMs: the forward products on the test set
        start = time.perf_counter()
        for _ in range(-(-len(data[1][0]) // BATCH_SIZE)):
            for a, w, _, _ in mats:
                a @ w
        forward_s.append(time.perf_counter() - start)
    return {"epoch_s": epoch_s, "notes": notes, "eval_s": min(forward_s),
            "predict_s": min(forward_s)}


@BENCHMARK.register("gemm")
def run_gemm(np, data, epochs):
    """im2col GEMMs of the two convolutions (plus bias column) and the three dense layers."""
    return run_gemms(np, data, epochs, [(14 * 14, 10, 16, False), (7 * 7, 145, 8, True),
                                        (1, 392, 30, True), (1, 30, 20, True), (1, 20, 10, True)])


if __name__ == "__main__":
    _harness.main(BENCHMARK)
