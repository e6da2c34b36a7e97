"""Benchmark: the course's MNIST MLP, one epoch at a time, in lamina, tf.keras and PyTorch.

Model: Flatten(input_shape=(28, 28)) -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax),
adam, sparse_categorical_crossentropy, metrics=['accuracy'], batch_size 32, all 60,000
training images scaled with x / 255.0 as the course does. Every framework runs in its own
fresh interpreter (see _harness.py).

Usage:
    python benchmarks/mnist_mlp.py [--frameworks lamina,lamina-jit,lamina-jit-numpy,tf,jax,torch,torch-index,numpy,gemm]
        [--epochs 2] [--json out.json]
"""
import time

import _harness

BATCH_SIZE = _harness.BATCH_SIZE


def load_data():
    """Return MNIST as the course prepares it: (x / 255.0 float64, uint8 labels)."""
    (x_train, y_train), (x_test, y_test) = _harness.load_idx_dataset("mnist")
    return (x_train / 255.0, y_train), (x_test / 255.0, y_test)


BENCHMARK = _harness.Benchmark(
    "mnist_mlp", load_data,
    default_frameworks=["lamina", "lamina-jit", "lamina-jit-numpy", "tf", "jax", "torch",
                        "torch-index", "numpy", "gemm"],
    description="784-128-10 MLP on MNIST, adam, batch 32, one fit call per epoch")


@BENCHMARK.register("lamina", "lamina-jit", "lamina-jit-numpy", "tf", "tf2", "jax")
def run_keras(keras, data, epochs):
    """The course code, unchanged, for any framework with the Keras API."""
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam',
                  loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return _harness.fit_keras(model, data, epochs)


@BENCHMARK.register("torch", "torch-index")
def run_torch(torch, data, epochs):
    """PyTorch eager: nn.Sequential, Adam, CrossEntropyLoss on logits (see fit_torch)."""
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    return _harness.fit_torch(torch, model, data, epochs)


@BENCHMARK.register("gemm")
def run_gemm(np, data, epochs):
    """The matrix products of one training epoch alone, float32, in NumPy.

    Per batch of 32: forward x @ W1 and h @ W2; backward gW2 = h.T @ gy,
    gh = gy @ W2.T and gW1 = x.T @ gh. The input gradient of the first layer is not
    needed (its input is data), so no framework computes it. This is a floor for
    what a NumPy-based framework can reach on this model.
    """
    (x_train, _), _ = data
    rng = np.random.default_rng(0)
    x = x_train.reshape(len(x_train), -1).astype(np.float32)
    x = x[rng.permutation(len(x))]
    W1 = rng.standard_normal((784, 128), dtype=np.float32) * 0.05
    W2 = rng.standard_normal((128, 10), dtype=np.float32) * 0.1
    gy = rng.standard_normal((BATCH_SIZE, 10), dtype=np.float32)
    n = len(x)
    flops = 0
    epoch_s = []
    for _ in range(epochs):
        start = time.perf_counter()
        flops = 0
        for i in range(0, n, BATCH_SIZE):
            xb = x[i:i + BATCH_SIZE]
            h = xb @ W1
            h @ W2
            gb = gy[:len(xb)]
            h.T @ gb
            gh = gb @ W2.T
            xb.T @ gh
            b = len(xb)
            flops += 2 * b * (784 * 128 + 128 * 10 + 128 * 10 + 10 * 128 + 784 * 128)
        epoch_s.append(time.perf_counter() - start)
    best = min(epoch_s)
    notes = (f"{flops / 1e9:.1f} GFLOP per epoch in {n // BATCH_SIZE} batches x 5 GEMMs; "
             f"best epoch {flops / best / 1e9:.1f} GFLOP/s")
    x_test = data[1][0].reshape(len(data[1][0]), -1).astype(np.float32)
    forward_s = []
    for _ in range(2):   # evaluate's and predict's GEMMs: the forward pass, batches of 32
        start = time.perf_counter()
        for i in range(0, len(x_test), BATCH_SIZE):
            (x_test[i:i + BATCH_SIZE] @ W1) @ W2
        forward_s.append(time.perf_counter() - start)
    return {"epoch_s": epoch_s, "notes": notes, "eval_s": min(forward_s),
            "predict_s": min(forward_s)}


@BENCHMARK.register("numpy")
def run_numpy(np, data, epochs):
    """The whole training step written by hand in NumPy float32, with no framework.

    The same work as ``fit``: shuffle, gather each batch and cast it to float32, forward
    (x @ W1 + b1, relu, dropout 0.2, h @ W2 + b2, softmax), cross-entropy, backward,
    Adam with Keras's defaults and in-place updates, running accuracy. What remains
    between this row and lamina's is the framework's own overhead.
    """
    (x_train, y_train), (x_test, y_test) = data
    rng = np.random.default_rng(0)

    def glorot_uniform(fan_in, fan_out):
        limit = np.float32((6 / (fan_in + fan_out)) ** 0.5)
        return rng.uniform(-1, 1, (fan_in, fan_out)).astype(np.float32) * limit

    params = [glorot_uniform(784, 128), np.zeros(128, np.float32),
              glorot_uniform(128, 10), np.zeros(10, np.float32)]
    slots = [(np.zeros_like(p), np.zeros_like(p), np.empty_like(p)) for p in params]

    def adam(t, grads):  # the same passes as lamina's Adam
        alpha = 0.001 * (1 - 0.999 ** t) ** 0.5 / (1 - 0.9 ** t)
        for w, g, (m, v, tmp) in zip(params, grads, slots):
            m *= 0.9
            np.multiply(g, 0.1, out=tmp)
            m += tmp
            v *= 0.999
            np.square(g, out=tmp)
            tmp *= 0.001
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += 1e-7
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            w -= tmp

    def hidden(xb):
        h = xb @ params[0]
        h += params[1]
        return np.maximum(h, 0, out=h)

    n, t = len(x_train), 0
    epoch_s, train_acc = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        correct = 0
        for i in range(0, n, BATCH_SIZE):
            idx = order[i:i + BATCH_SIZE]
            xb = x_train[idx].astype(np.float32).reshape(len(idx), -1)
            yb = y_train[idx]
            rows = np.arange(len(idx))
            h = hidden(xb)
            mask = h > 0
            keep = (rng.random(h.shape, dtype=np.float32) >= 0.2) * np.float32(1.25)
            hd = h * keep
            z = hd @ params[2]
            z += params[3]
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            gz = p.copy()
            gz[rows, yb] -= 1
            gz /= len(idx)
            gh = gz @ params[2].T
            gh *= keep
            gh *= mask
            t += 1
            adam(t, [xb.T @ gh, gh.sum(axis=0), hd.T @ gz, gz.sum(axis=0)])
            correct += int((p.argmax(axis=1) == yb).sum())
        epoch_s.append(time.perf_counter() - start)
        train_acc.append(correct / n)
    h = hidden(x_test.astype(np.float32).reshape(len(x_test), -1))
    test_acc = float(((h @ params[2] + params[3]).argmax(axis=1) == y_test).mean())
    return {"epoch_s": epoch_s, "train_acc": train_acc, "test_acc": test_acc}


if __name__ == "__main__":
    _harness.main(BENCHMARK)
