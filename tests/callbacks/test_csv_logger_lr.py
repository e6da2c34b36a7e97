"""CSVLogger, ReduceLROnPlateau and LearningRateScheduler."""
import csv

import numpy as np
import pytest

from lamina import keras


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, x @ np.array([1.0, -2.0, 0.5], dtype="float32") + 0.3


def model(learning_rate=0.05):
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse",
              metrics=["mae"])
    return m


def read_csv(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


# --- CSVLogger ---
def test_csv_logger_writes_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    x, y = data()
    history = model().fit(x, y, epochs=3, validation_data=data(16, 1), verbose=0,
                          callbacks=[keras.callbacks.CSVLogger(path)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for col, key in enumerate(rows[0][1:], start=1):
        np.testing.assert_allclose([float(r[col]) for r in rows[1:]], history.history[key],
                                   rtol=1e-6)


def test_csv_logger_separator(tmp_path):
    path = tmp_path / "log.tsv"
    x, y = data()
    model().fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger(path, "\t")])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch\tloss\tmae"
    assert len(lines) == 3 and all(len(line.split("\t")) == 3 for line in lines)


def test_csv_logger_append_continues_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    x, y = data()
    m = model()
    m.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger(path, append=True)])
    m.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(path, append=True)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]


def test_csv_logger_without_append_overwrites(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    x, y = data()
    model().fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.CSVLogger(path)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae"] and len(rows) == 2


# --- ReduceLROnPlateau ---
def feed(callback, values, monitor="val_loss"):
    """Runs the callback on a series of monitored values; returns the rate after each."""
    m = model(learning_rate=1.0)
    callback.set_model(m)
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        before = float(m.optimizer.learning_rate)
        callback.on_epoch_end(epoch, logs)
        assert logs["learning_rate"] == pytest.approx(before)  # the epoch's rate, as Keras logs
        rates.append(float(m.optimizer.learning_rate))
    return rates


def test_reduce_lr_after_patience_epochs_without_improvement():
    cb = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)
    rates = feed(cb, [1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.4])
    assert rates == pytest.approx([1, 1, 1, 0.5, 0.5, 0.25, 0.25])


def test_reduce_lr_cooldown_and_min_lr():
    cb = keras.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, cooldown=2, min_lr=0.005)
    rates = feed(cb, [1.0] * 8)
    # reduce at epoch 1; the cooldown epochs 2 and 3 do not count, except that epoch 3 ends
    # it and counts as the patience epoch (as Keras does); then stay at min_lr
    assert rates == pytest.approx([1, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005, 0.005])


def test_reduce_lr_max_mode_for_accuracy():
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    assert feed(cb, [0.5, 0.6, 0.6], monitor="val_accuracy") == pytest.approx([1, 1, 0.5])


def test_reduce_lr_min_delta_counts_small_changes_as_no_improvement():
    cb = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)
    assert feed(cb, [1.0, 0.95, 0.8]) == pytest.approx([1, 0.5, 0.5])


def test_reduce_lr_in_fit_records_learning_rate_in_history():
    x, y = data()
    m = model()
    history = m.fit(x, y, epochs=3, verbose=0, validation_data=data(16, 1), callbacks=[
        keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=10.0)])
    # after the first epoch nothing counts as an improvement (min_delta is huge), so the rate
    # drops at the end of epochs 1 and 2; each epoch logs the rate it trained with
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.05, 0.005])
    assert float(m.optimizer.learning_rate) == pytest.approx(0.0005)


def test_reduce_lr_rejects_factor_of_one_and_warns_on_missing_monitor():
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_nothing")
    with pytest.warns(UserWarning, match="val_nothing"):
        feed(cb, [1.0])


# --- LearningRateScheduler ---
def test_scheduler_one_argument_schedule_sets_each_epoch_rate():
    def exponential_decay(epoch):
        return 0.01 * 0.1 ** (epoch / 20)
    x, y = data()
    m = model()
    history = m.fit(x, y, epochs=3, verbose=0,
                    callbacks=[keras.callbacks.LearningRateScheduler(exponential_decay)])
    assert history.history["learning_rate"] == pytest.approx(
        [exponential_decay(e) for e in range(3)])
    assert float(m.optimizer.learning_rate) == pytest.approx(exponential_decay(2))


def test_scheduler_two_argument_schedule_gets_the_current_rate():
    x, y = data()
    history = model(learning_rate=0.08).fit(x, y, epochs=3, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert history.history["learning_rate"] == pytest.approx([0.04, 0.02, 0.01])


def test_scheduler_rate_is_used_by_the_optimizer():
    x, y = data()
    m = model()
    before = m.get_weights()
    m.fit(x, y, epochs=2, verbose=0,
          callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: 0.0)])
    for w0, w1 in zip(before, m.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_scheduler_verbose_prints_and_bad_output_raises(capsys):
    x, y = data()
    model().fit(x, y, epochs=1, verbose=0,
                callbacks=[keras.callbacks.LearningRateScheduler(lambda e: 0.02, verbose=1)])
    out = capsys.readouterr().out
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.02." in out
    with pytest.raises(ValueError, match="should be a float"):
        model().fit(x, y, epochs=1, verbose=0,
                    callbacks=[keras.callbacks.LearningRateScheduler(lambda e: "fast")])
