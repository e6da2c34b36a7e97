"""GPU benchmark: the course MLP and CNN, one epoch at batch 32, lamina eager on CuPy
against PyTorch eager on CUDA, on random MNIST-shaped data (60,000 images).

Run on a GPU machine (benchmarks/gpu_check.sh does): ``python benchmarks/gpu_bench.py
--json out.json``. Each row first trains 100 batches untimed (CuPy compiles its kernels,
PyTorch picks its algorithms), then times one epoch. A row whose warm-up predicts more
than ``--budget`` seconds for the epoch is timed on a fraction of it and scaled up (the
report says so). lamina gets NumPy arrays, as a user passes them (fit copies each batch
to the GPU); PyTorch's data sits on the GPU, as its fast loops do.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("LAMINA_BACKEND", "cupy")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

N, BATCH, WARMUP_BATCHES = 60000, 32, 100   # N: --samples


def data(model_name):
    rng = np.random.default_rng(0)
    x = rng.random((N, 28, 28, 1) if model_name == "cnn" else (N, 28, 28), dtype=np.float32)
    return x, rng.integers(0, 10, N)


def lamina_model(keras, model_name):
    L = keras.layers
    if model_name == "mlp":
        layers = [L.Flatten(input_shape=(28, 28)), L.Dense(128, activation="relu"),
                  L.Dropout(0.2), L.Dense(10, activation="softmax")]
    else:
        layers = [L.Conv2D(16, 3, strides=2, padding="same", activation="relu",
                           input_shape=(28, 28, 1)),
                  L.Conv2D(8, 3, strides=2, padding="same", activation="relu"), L.Flatten(),
                  L.Dense(30, activation="relu"), L.Dense(20, activation="relu"),
                  L.Dense(10, activation="softmax")]
    model = keras.models.Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run_lamina(model_name, budget):
    from lamina import backend, keras
    x, y = data(model_name)
    model = lamina_model(keras, model_name)
    xp = backend.xp()
    sync = xp.cuda.Device().synchronize if backend.backend() == "cupy" else (lambda: None)
    n_warm = WARMUP_BATCHES * BATCH
    start = time.perf_counter()
    model.fit(x[:n_warm], y[:n_warm], batch_size=BATCH, epochs=1, verbose=0)
    sync()
    warm_s = time.perf_counter() - start
    n = N if warm_s * N / n_warm <= budget else max(n_warm, int(N * budget / (warm_s * N / n_warm)))
    start = time.perf_counter()
    history = model.fit(x[:n], y[:n], batch_size=BATCH, epochs=1, verbose=0)
    sync()
    seconds = time.perf_counter() - start
    return {"epoch_s": seconds * N / n, "timed_samples": n, "warmup_s": warm_s,
            "loss": float(history.history["loss"][-1]), "backend": backend.backend()}


def torch_model(torch, model_name):
    nn = torch.nn
    if model_name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(392, 30), nn.ReLU(), nn.Linear(30, 20), nn.ReLU(),
                         nn.Linear(20, 10))


def run_torch(model_name, budget):
    import torch
    x, y = data(model_name)
    if model_name == "cnn":
        x = x.transpose(0, 3, 1, 2).copy()
    dev = torch.device("cuda")
    x, y = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)
    model = torch_model(torch, model_name).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch(n):
        perm = torch.randperm(n, device=dev)
        total, correct = 0.0, 0
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            logits = model(x[idx])
            loss = loss_fn(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)   # running loss and accuracy, as Keras logs
            correct += (logits.argmax(1) == y[idx]).sum().item()
        torch.cuda.synchronize()
        return total / n

    start = time.perf_counter()
    epoch(WARMUP_BATCHES * BATCH)
    warm_s = time.perf_counter() - start
    start = time.perf_counter()
    loss = epoch(N)
    return {"epoch_s": time.perf_counter() - start, "timed_samples": N, "warmup_s": warm_s,
            "loss": loss, "torch": torch.__version__}


def main():
    global N
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--frameworks", default="torch,lamina")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds an epoch may take before it is timed on a fraction")
    parser.add_argument("--samples", type=int, default=N, help="images in the epoch")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    N = args.samples
    runners = {"lamina": run_lamina, "torch": run_torch}
    results = {}
    for model_name in args.models.split(","):
        for framework in args.frameworks.split(","):
            key = f"{model_name}/{framework}"
            try:
                results[key] = runners[framework](model_name, args.budget)
            except Exception as e:   # one failed row must not lose the others
                results[key] = {"error": f"{type(e).__name__}: {e}"}
            print(key, json.dumps(results[key]), flush=True)
    print("\n| model | lamina eager CuPy s/epoch | PyTorch eager s/epoch | ratio |")
    print("| --- | --- | --- | --- |")
    for model_name in args.models.split(","):
        ours = results.get(f"{model_name}/lamina", {}).get("epoch_s")
        theirs = results.get(f"{model_name}/torch", {}).get("epoch_s")
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        print(f"| {model_name} | {ours and round(ours, 2)} | {theirs and round(theirs, 2)} | "
              f"{ratio} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
