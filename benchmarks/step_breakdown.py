"""Where one training step of the MNIST MLP spends its time, eager and compiled.

Times, per step of 32 (microseconds, best of interleaved rounds in one process): the whole
``fit`` and ``evaluate`` steps, eager and with ``jit_compile=True`` (its optimizer update in
NumPy passes, and as the ``[fast]`` numba loop); the five GEMMs of a training step alone and
the two of a forward pass; the optimizer update (Adam, per weight as eager does it, in one
flat pass, and as one numba loop); gathering a batch; the rest is the difference. Run with
one BLAS thread on a busy machine:

    OPENBLAS_NUM_THREADS=1 python benchmarks/step_breakdown.py [--steps 300] [--rounds 5]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's lamina
import lamina  # noqa: E402
from lamina import backend, layers, models, optimizers  # noqa: E402
from lamina.compile.flat import FlatOptimizer, FlatParameters, _Kernels  # noqa: E402


def _model(jit):
    backend.set_seed(0)
    model = models.Sequential([layers.Flatten(input_shape=(28, 28)),
                               layers.Dense(128, activation="relu"), layers.Dropout(0.2),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    return model


def _per_step(fn, steps):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / steps * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n = 32 * args.steps
    x = rng.random((n, 28, 28))
    y = rng.integers(0, 10, n).astype("uint8")
    eager, compiled = _model(False), _model(True)
    for m in (eager, compiled):
        m.fit(x[:320], y[:320], verbose=0)
    xb = x[:32].reshape(32, -1).astype("float32")
    W1, W2 = (rng.standard_normal(s).astype("float32") for s in ((784, 128), (128, 10)))
    gy = rng.standard_normal((32, 10)).astype("float32")

    def gemms():
        for _ in range(args.steps):
            h = xb @ W1
            h @ W2
            h.T @ gy
            gh = gy @ W2.T
            xb.T @ gh

    def forward_gemms():
        for _ in range(args.steps):
            (xb @ W1) @ W2

    weights = [lamina.Variable(w) for w in eager.get_weights()]
    grads = [np.ones_like(w.data) * 1e-3 for w in weights]
    per_weight = optimizers.Adam()
    flat_opt = optimizers.Adam()
    flat_weights = [lamina.Variable(w) for w in eager.get_weights()]
    params = FlatParameters(flat_weights)
    params.grads[...] = 1e-3
    flat = FlatOptimizer(flat_opt, params)

    def adam_per_weight():
        for _ in range(args.steps):
            per_weight.apply(grads, weights)

    def adam_flat():
        for _ in range(args.steps):
            flat.apply()

    def numpy_passes(fn):
        def run():
            _Kernels.enabled = False
            try:
                fn()
            finally:
                _Kernels.enabled = True
        return run
    order = rng.permutation(n)

    def gather():
        for i in range(args.steps):
            idx = order[i * 32:(i + 1) * 32]
            x[idx].astype("float32")
            y[idx]
    fast = _Kernels.wait() is not None
    parts = {"eager step": lambda: eager.fit(x, y, batch_size=32, verbose=0),
             "compiled step": numpy_passes(lambda: compiled.fit(x, y, batch_size=32, verbose=0)),
             "compiled [fast]": lambda: compiled.fit(x, y, batch_size=32, verbose=0),
             "eager evaluate": lambda: eager.evaluate(x, y, batch_size=32, verbose=0),
             "compiled evaluate": lambda: compiled.evaluate(x, y, batch_size=32, verbose=0),
             "GEMMs": gemms, "forward GEMMs": forward_gemms,
             "Adam per weight": adam_per_weight, "Adam flat": numpy_passes(adam_flat),
             "Adam [fast]": adam_flat, "gather": gather}
    if not fast:   # without the [fast] extra the two would time the same code
        for name in ("compiled [fast]", "Adam [fast]"):
            del parts[name]
    best = {k: float("inf") for k in parts}
    for _ in range(args.rounds):
        for name, fn in parts.items():
            best[name] = min(best[name], _per_step(fn, args.steps))
    for name, us in best.items():
        base = "forward GEMMs" if "evaluate" in name else "GEMMs"
        print(f"{name:18s} {us:8.1f} us/step  {us / best[base]:5.2f}x {base}")
    for step, opt in (("eager step", "Adam per weight"), ("compiled step", "Adam flat"),
                      ("compiled [fast]", "Adam [fast]")):
        if step in best:
            rest = best[step] - best["GEMMs"] - best[opt] - best["gather"]
            print(f"{step}: GEMMs {best['GEMMs']:.0f} + optimizer {best[opt]:.0f} + gather "
                  f"{best['gather']:.0f} + rest {rest:.0f} us")


if __name__ == "__main__":
    main()
