"""A training script run by the distribute tests, under ``mpiexec -n 2`` or alone.

Each process writes ``<out>/rank<r>.npz``: its final weights and the loss history.
"""
import argparse
import os
import signal
import sys
import time

import numpy as np

from lamina import keras
import lamina


def build(kind, units=128):
    if kind == "mlp":  # the course's MNIST classifier
        return keras.Sequential([
            keras.layers.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax")])
    if kind == "bn":  # batch statistics per replica, moving averages kept equal
        return keras.Sequential([
            keras.layers.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(32),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dense(10, activation="softmax")])
    return keras.Sequential([
        keras.layers.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(10, activation="softmax")])


class Stop(keras.callbacks.Callback):
    """Kills (SIGKILL) or hangs worker 1 at one (epoch, batch) to test failures."""

    def __init__(self, how, epoch, batch):
        super().__init__()
        self.how, self.at, self.epoch = how, (epoch, batch), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at and self.model.distribute_strategy.worker_index == 1:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(3600)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="mlp")
    p.add_argument("--out", required=True)
    p.add_argument("--single", action="store_true", help="one process, no strategy")
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--backup")
    p.add_argument("--stop", nargs=3, metavar=("HOW", "EPOCH", "BATCH"))
    p.add_argument("--verbose", type=int, default=0)
    p.add_argument("--mismatch", action="store_true", help="worker 1 builds a wider layer")
    p.add_argument("--dataset", action="store_true", help="feed a lamina.data.Dataset")
    p.add_argument("--random-data", action="store_true", help="random MNIST-shaped images")
    p.add_argument("--mirrored", action="store_true",
                   help="MirroredStrategy (NCCL, CuPy backend; benchmarks/gpu_check.sh)")
    args = p.parse_args()

    if args.random_data:  # MNIST-shaped, for machines without the data folder
        images = np.random.default_rng(0).integers(0, 256, (args.samples + 300, 28, 28))
        labels = np.random.default_rng(1).integers(0, 10, args.samples + 300)
        (x, y), (x_test, y_test) = (images[300:], labels[300:]), (images[:300], labels[:300])
    else:
        (x, y), (x_test, y_test) = keras.datasets.mnist.load_data()
    x, y = x[:args.samples] / 255.0, y[:args.samples]
    x_test, y_test = x_test[:300] / 255.0, y_test[:300]
    if args.model == "cnn":
        x, x_test = x[..., None], x_test[..., None]
    keras.utils.set_random_seed(1)
    if args.single:
        strategy = lamina.distribute.get_strategy()
    elif args.mirrored:
        strategy = lamina.distribute.MirroredStrategy()
    else:
        strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = build(args.model, 128 + (args.mismatch and strategy.worker_index == 1))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    callbacks = []
    if args.backup:
        callbacks.append(keras.callbacks.BackupAndRestore(args.backup))
    if args.stop:
        callbacks.append(Stop(args.stop[0], int(args.stop[1]), int(args.stop[2])))
    data = dict(x=x, y=y, batch_size=args.batch_size)
    if args.dataset:
        data = dict(x=lamina.data.Dataset.from_tensor_slices((x, y)).shuffle(
            len(x), seed=7).batch(args.batch_size))
    history = model.fit(**data, epochs=args.epochs,
                        validation_data=(x_test, y_test), callbacks=callbacks,
                        verbose=args.verbose)
    evaluated = model.evaluate(x_test, y_test, batch_size=50, verbose=0)
    predicted = model.predict(x_test, batch_size=64, verbose=0)
    os.makedirs(args.out, exist_ok=True)
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    arrays.update({f"h_{k}": np.array(v) for k, v in history.history.items()})
    np.savez(os.path.join(args.out, f"rank{strategy.worker_index}.npz"),
             evaluated=np.array(evaluated), predicted=predicted, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main())
