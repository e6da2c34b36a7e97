"""Callbacks: hook order, History, ProgbarLogger output, EarlyStopping, LambdaCallback."""
import numpy as np
import pytest

import lamina
from lamina import keras


def data(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, x @ np.array([1.0, -2.0, 0.5]) + 0.3


def model():
    m = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return m


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = object.__getattribute__(self, name)
        if name.startswith("on_") and callable(attr):
            def record(*args, **kwargs):
                self.calls.append(name)
                return attr(*args, **kwargs)
            return record
        return attr


for _hook in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
              "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(Recorder, _hook, lambda self, *args, **kwargs: None)


def test_hooks_are_called_in_order_with_model_and_params():
    x, y = data()
    rec = Recorder()
    m = model()
    m.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[rec])
    assert rec.calls == (["on_train_begin"] + (
        ["on_epoch_begin"] + ["on_train_batch_begin", "on_train_batch_end"] * 2
        + ["on_epoch_end"]) * 2 + ["on_train_end"])
    assert rec.model is m
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 2}
    rec.calls.clear()
    m.evaluate(x, y, batch_size=64, verbose=0, callbacks=[rec])
    assert rec.calls == ["on_test_begin", "on_test_batch_begin", "on_test_batch_end",
                         "on_test_end"]
    rec.calls.clear()
    m.predict(x, batch_size=64, verbose=0, callbacks=[rec])
    assert rec.calls == ["on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                         "on_predict_end"]


def test_history_records_each_epoch():
    x, y = data()
    history = model().fit(x, y, epochs=3, validation_data=(x, y), verbose=0)
    assert history.epoch == [0, 1, 2]
    assert list(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 for v in history.history.values())


def test_stop_training_from_a_user_callback():
    class StopAtTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = data()
    history = model().fit(x, y, epochs=10, verbose=0, callbacks=[StopAtTwo()])
    assert len(history.epoch) == 2


def test_progress_bar_output_in_keras_2_format(capsys):
    x, y = data(100)
    model().fit(x, y, epochs=2, batch_size=32, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert lines[1].startswith("4/4 [==============================] - ")
    assert "s/step - loss: " in lines[1] and " - mae: " in lines[1]
    assert lines[2] == "Epoch 2/2"


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = data()
    model().fit(x, y, epochs=2, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0] == "Epoch 1/2"
    assert lines[1].startswith("2/2 - ") and "val_loss: " in lines[1] and "[" not in lines[1]


def test_verbose_0_prints_nothing(capsys):
    x, y = data()
    m = model()
    m.fit(x, y, epochs=2, verbose=0)
    m.evaluate(x, y, verbose=0)
    m.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def fake_fit(callback, values, monitor="val_loss"):
    """Drives a callback through epochs whose monitored value is given."""
    m = model()
    m.build((None, 3))
    callback.set_model(m)
    m.stop_training = False
    callback.on_train_begin()
    stopped = None
    for epoch, v in enumerate(values):
        m.set_weights([np.full((3, 1), float(epoch)), np.zeros(1)])
        callback.on_epoch_end(epoch, {monitor: v})
        if m.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return m, stopped


def test_early_stopping_patience_and_min_delta():
    _, stopped = fake_fit(keras.callbacks.EarlyStopping(patience=2), [5, 4, 4.5, 4.2, 3])
    assert stopped == 3
    _, stopped = fake_fit(keras.callbacks.EarlyStopping(patience=1, min_delta=0.5),
                          [5, 4.8, 4.0, 3.9])
    assert stopped == 1


def test_early_stopping_mode_auto_maximises_accuracy():
    cb = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1)
    assert cb.mode == "max"
    _, stopped = fake_fit(cb, [0.5, 0.6, 0.55], monitor="val_accuracy")
    assert stopped == 2


def test_early_stopping_restores_best_weights(capsys):
    cb = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    m, stopped = fake_fit(cb, [3, 1, 2, 2.5])
    assert stopped == 3 and cb.best_epoch == 1
    np.testing.assert_array_equal(m.get_weights()[0], np.full((3, 1), 1.0))
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


def test_early_stopping_baseline_and_start_from_epoch():
    # an epoch that does not beat the baseline does not reset the patience count
    _, stopped = fake_fit(keras.callbacks.EarlyStopping(patience=2, baseline=1.0), [3, 3.5, 4])
    assert stopped == 1
    _, stopped = fake_fit(keras.callbacks.EarlyStopping(patience=2), [3, 3.5, 4])
    assert stopped == 2
    _, stopped = fake_fit(keras.callbacks.EarlyStopping(patience=1, start_from_epoch=3),
                          [1, 2, 3, 4, 5, 6])
    assert stopped == 4


def test_early_stopping_warns_about_a_missing_monitor():
    with pytest.warns(UserWarning, match="val_nope.*Available metrics are: val_loss"):
        fake_fit(keras.callbacks.EarlyStopping(monitor="val_nope"), [1.0])


def test_lambda_callback():
    x, y = data()
    ends, batches = [], []
    cb = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: ends.append(round(logs["loss"], 6)),
        on_batch_end=lambda batch, logs: batches.append(batch))
    history = model().fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[cb])
    assert ends == [round(v, 6) for v in history.history["loss"]]
    assert batches == [0, 1, 0, 1]
    with pytest.raises(TypeError, match="on_epoch_finish"):
        keras.callbacks.LambdaCallback(on_epoch_finish=print)


def test_terminate_on_nan(capsys):
    m = model()
    m.build((None, 3))
    cb = keras.callbacks.TerminateOnNaN()
    cb.set_model(m)
    m.stop_training = False
    cb.on_train_batch_end(4, {"loss": float("inf")})
    assert m.stop_training
    assert "Batch 4: Invalid loss, terminating training" in capsys.readouterr().out


def test_callbacks_must_be_callback_instances():
    x, y = data()
    with pytest.raises(TypeError, match="Callback instances"):
        model().fit(x, y, verbose=0, callbacks=[print])


def test_a_single_callback_need_not_be_in_a_list():
    x, y = data()
    m = model()
    history = keras.callbacks.History()
    returned = m.fit(x, y, epochs=2, verbose=0, callbacks=history)
    assert returned is history and len(history.history["loss"]) == 2
    stopper = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None)
    assert isinstance(m.evaluate(x, y, verbose=0, callbacks=stopper), list)


def test_every_hook_gets_a_logs_dict_never_none():
    seen = {}

    class LogsRecorder(keras.callbacks.Callback):
        pass

    for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_test_begin",
                 "on_test_batch_begin", "on_predict_begin", "on_predict_batch_begin",
                 "on_predict_end"):
        setattr(LogsRecorder, hook, lambda self, *args, _h=hook: seen.setdefault(_h, args[-1]))
    x, y = data()
    m = model()
    m.fit(x, y, epochs=1, verbose=0, callbacks=[LogsRecorder()])
    m.evaluate(x, y, verbose=0, callbacks=[LogsRecorder()])
    m.predict(x, verbose=0, callbacks=[LogsRecorder()])
    assert len(seen) == 8 and all(logs == {} for logs in seen.values()), seen
