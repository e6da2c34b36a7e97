"""Benchmark: an LSTM reading MNIST images row by row, in lamina, tf.keras and PyTorch.

Model: LSTM(64, input_shape=(28, 28)) -> Dense(10, softmax): each image is a sequence of
28 time steps (its rows) of 28 features (the pixels of a row), the classic "RNN on MNIST"
exercise. adam, sparse_categorical_crossentropy, metrics=['accuracy'], batch size 32 over
all 60,000 training images (1,875 steps), scaled by 1 / 255 (float64, each framework
converts). Every framework runs in its own fresh interpreter (see _harness.py).

``LSTM_BENCH_SAMPLES=6000`` trains on the first 6,000 images only, for a quick run.

Usage:
    python benchmarks/lstm.py [--frameworks lamina,tf,torch,torch-index,gemm] [--epochs 1] [--threads 1]
"""
import os
import time

import _harness

BATCH_SIZE = _harness.BATCH_SIZE
UNITS = 64


def load_data():
    """MNIST as sequences: (N, 28 steps, 28 features) float64 in [0, 1]."""
    (x_train, y_train), (x_test, y_test) = _harness.load_idx_dataset("mnist")
    n = int(os.environ.get("LSTM_BENCH_SAMPLES", len(x_train)))
    return (x_train[:n] / 255.0, y_train[:n]), (x_test / 255.0, y_test)


BENCHMARK = _harness.Benchmark(
    "lstm", load_data,
    default_frameworks=["lamina", "lamina-jit", "tf", "jax", "torch", "torch-index", "gemm"],
    default_epochs=1,
    description="LSTM(64) over the 28 rows of MNIST images + Dense(10), adam, batch 32")


@BENCHMARK.register("lamina", "lamina-jit", "lamina-jit-numpy", "tf", "tf2", "jax")
def run_keras(keras, data, epochs):
    """The course-style code, unchanged, for any framework with the Keras API."""
    (x_train, y_train), (x_test, y_test) = data
    model = keras.models.Sequential([
        keras.layers.LSTM(UNITS, input_shape=(28, 28)),
        keras.layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return _harness.fit_keras(model, data, epochs)


@BENCHMARK.register("torch", "torch-index")
def run_torch(torch, data, epochs):
    """PyTorch eager: nn.LSTM(batch_first=True) + nn.Linear on the last hidden state, Adam,
    CrossEntropyLoss (the training loop is fit_torch's)."""
    nn = torch.nn

    class RowLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, UNITS, batch_first=True)
            self.fc = nn.Linear(UNITS, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.fc(h[-1])

    return _harness.fit_torch(torch, RowLSTM(), data, epochs)


@BENCHMARK.register("gemm")
def run_gemm(np, data, epochs):
    """The matrix products of one training epoch alone, float32, in NumPy.

    Per batch of 32 and 28 steps: forward, the input projection of all steps (one GEMM),
    one h @ U per step and the Dense layer; backward, one dZ @ U.T per step, then the
    kernel and recurrent-kernel gradients over all steps (one GEMM each) and the Dense
    layer's. The input needs no gradient. A floor for any NumPy-based framework.
    """
    (x_train, _), _ = data
    rng = np.random.default_rng(0)
    x = x_train.astype(np.float32)[rng.permutation(len(x_train))]
    steps, features, g = 28, 28, 4 * UNITS
    W = rng.standard_normal((features, g), dtype=np.float32) * 0.1
    U = rng.standard_normal((UNITS, g), dtype=np.float32) * 0.1
    V = rng.standard_normal((UNITS, 10), dtype=np.float32) * 0.1
    UT = np.ascontiguousarray(U.T)
    dZ = rng.standard_normal((steps * BATCH_SIZE, g), dtype=np.float32)
    H = rng.standard_normal((steps * BATCH_SIZE, UNITS), dtype=np.float32)
    gy = rng.standard_normal((BATCH_SIZE, 10), dtype=np.float32)
    n, flops, epoch_s = len(x), 0, []
    for _ in range(epochs):
        start = time.perf_counter()
        flops = 0
        for i in range(0, n, BATCH_SIZE):
            xb = x[i:i + BATCH_SIZE]
            b = len(xb)
            X = xb.transpose(1, 0, 2).reshape(-1, features)
            X @ W
            h = np.zeros((b, UNITS), np.float32)
            for _t in range(steps):
                h @ U
            h @ V
            gb = gy[:b]
            h.T @ gb
            gb @ V.T
            dz = dZ[:b]
            for _t in range(steps):
                dz @ UT
            X.T @ dZ[:steps * b]
            H[:steps * b].T @ dZ[:steps * b]
            # x W and its kernel gradient; h U, dZ U.T and the recurrent gradient; Dense x3
            flops += 2 * b * (2 * steps * features * g + 3 * steps * UNITS * g + 3 * UNITS * 10)
        epoch_s.append(time.perf_counter() - start)
    best = min(epoch_s)
    notes = (f"{flops / 1e9:.1f} GFLOP per epoch in {-(-n // BATCH_SIZE)} batches; "
             f"best epoch {flops / best / 1e9:.1f} GFLOP/s")
    x_test = data[1][0].astype(np.float32)
    forward_s = []
    for _ in range(2):   # evaluate's and predict's GEMMs: the forward pass, batches of 32
        start = time.perf_counter()
        for i in range(0, len(x_test), BATCH_SIZE):
            xb = x_test[i:i + BATCH_SIZE]
            xb.transpose(1, 0, 2).reshape(-1, features) @ W
            h = np.zeros((len(xb), UNITS), np.float32)
            for _t in range(steps):
                h @ U
            h @ V
        forward_s.append(time.perf_counter() - start)
    return {"epoch_s": epoch_s, "notes": notes, "eval_s": min(forward_s),
            "predict_s": min(forward_s)}


if __name__ == "__main__":
    _harness.main(BENCHMARK)
