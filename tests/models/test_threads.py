"""Concurrent use: predictions from several threads while another thread trains."""
import sys
import threading

import numpy as np

from lamina import keras
from lamina.autograd import enable_grad, is_grad_enabled, no_grad


def test_grad_mode_is_per_thread():
    seen = []
    inside, release = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen.append(is_grad_enabled())
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with no_grad():
        inside.set()
        release.wait()
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
    t.join()
    assert seen == [True]
    assert is_grad_enabled()


def test_training_flag_is_per_thread():
    layer = keras.layers.Dropout(0.5, seed=1)
    x = np.ones((4, 1000), "float32")
    results = []
    go = threading.Barrier(2)

    def infer():
        go.wait()
        for _ in range(50):
            results.append(np.array_equal(np.asarray(layer(x)), x))

    t = threading.Thread(target=infer)
    t.start()
    go.wait()
    for _ in range(50):
        layer(x, training=True)
    t.join()
    assert all(results)


def test_predict_in_four_threads_while_one_trains():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that they really interleave
    try:
        _predict_while_training()
    finally:
        sys.setswitchinterval(interval)


def _predict_while_training():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.integers(0, 3, size=64)
    model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    errors, rounds = [], 200
    stop = threading.Event()

    def predict():
        try:
            while not stop.is_set():
                out = model.predict(x[:8], verbose=0)
                assert out.shape == (8, 3) and np.isfinite(out).all()
                out = model(x[:4])
                assert out.shape == (4, 3)
        except Exception as e:  # noqa: BLE001 (collected and reported below)
            errors.append(e)

    threads = [threading.Thread(target=predict) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(rounds):
            model.train_on_batch(x, y)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert len(history.history["loss"]) == 2
    assert is_grad_enabled()
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"][0] > 0


def test_activity_losses_belong_to_the_calling_thread():
    layer = keras.layers.Dense(2, activity_regularizer="l1", kernel_initializer="ones")
    small, large = np.ones((1, 3), "float32"), 100 * np.ones((1, 3), "float32")
    layer(small)
    t = threading.Thread(target=lambda: layer(large))
    t.start()
    t.join()
    (loss,) = layer.losses  # this thread's call only; the other thread's does not replace it
    np.testing.assert_allclose(float(loss), 0.01 * 6, rtol=1e-6)
