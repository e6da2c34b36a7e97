"""Sequential models end to end: the course scripts, fit/evaluate/predict options, errors."""
import os
import pathlib
import warnings

import numpy as np
import pytest

import lamina
from lamina import keras


def mnist_model():
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_the_course_mnist_script_reaches_97_5_percent(capsys):
    lamina.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = mnist_model()
    predictions = model(x_train[:1]).numpy()
    assert predictions.shape == (1, 10)
    np.testing.assert_allclose(predictions.sum(), 1.0, rtol=1e-5)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    first_loss = loss_fn(y_train[:1], predictions).numpy()
    assert 1.5 < float(first_loss) < 3.0  # softmax of near-uniform probabilities, about log(10)
    history = model.fit(x_train, y_train, epochs=5)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
    assert accuracy >= 0.975
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    probability_model = keras.Sequential([model, keras.layers.Softmax()])
    assert probability_model(x_test[:5]).shape == (5, 10)
    out = capsys.readouterr().out
    assert "Epoch 1/5" in out and "Epoch 5/5" in out
    assert "1875/1875 [==============================]" in out
    assert "313/313 - " in out and "accuracy: " in out


def test_the_classic_first_lesson():
    lamina.utils.set_random_seed(1)
    xs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    ys = xs + 6
    model = keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    model.fit(xs, ys, epochs=1200, verbose=0)
    assert abs(model.predict([10.0], verbose=0)[0, 0] - 16.0) < 0.05


def test_binary_classifier_on_a_dataframe_with_callbacks():
    import pandas as pd
    data_dir = pathlib.Path(os.environ["LAMINA_DATA_DIR"])
    df = pd.read_csv(data_dir / "pima_diabetes" / "diabetes.csv")
    X = df.drop(columns="Outcome")
    X = (X - X.mean()) / X.std()
    y = df["Outcome"]

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_end(self, epoch, logs):
            self.epochs.append((epoch, dict(logs)))

    lamina.utils.set_random_seed(2)
    model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(8,)),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    recorder = Recorder()
    history = model.fit(X, y, epochs=300, batch_size=32, validation_split=0.2, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=10),
                                   recorder])
    frame = pd.DataFrame(history.history)
    assert list(frame.columns) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert len(frame) < 300  # early stopping ended it
    assert len(recorder.epochs) == len(frame) and recorder.epochs[0][0] == 0
    assert frame["val_accuracy"].max() > 0.7
    # validation data is the LAST 20%, taken before shuffling
    n_val = len(X) - int(len(X) * 0.8)
    loss, acc = model.evaluate(X[-n_val:], y[-n_val:], verbose=0)
    assert loss == pytest.approx(frame["val_loss"].iloc[-1], rel=1e-5)


def test_summary_matches_keras_2(capsys):
    keras.backend.clear_session()
    mnist_model().summary()
    expected = """Model: "sequential"
_________________________________________________________________
 Layer (type)                Output Shape              Param #   
=================================================================
 flatten (Flatten)           (None, 784)               0         
                                                                 
 dense (Dense)               (None, 128)               100480    
                                                                 
 dropout (Dropout)           (None, 128)               0         
                                                                 
 dense_1 (Dense)             (None, 10)                1290      
                                                                 
=================================================================
Total params: 101,770
Trainable params: 101,770
Non-trainable params: 0
_________________________________________________________________
"""
    assert capsys.readouterr().out == expected


def test_model_introspection():
    keras.backend.clear_session()
    model = mnist_model()
    assert model.count_params() == 101770
    assert [layer.name for layer in model.layers] == ["flatten", "dense", "dropout", "dense_1"]
    assert model.get_layer("dense").units == 128
    assert model.get_layer(index=-1).name == "dense_1"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(784, 128), (128,), (128, 10), (10,)]
    model.set_weights([w * 0 for w in weights])
    assert np.all(model.predict(np.ones((2, 28, 28)), verbose=0) == 0.1)
    with pytest.raises(ValueError, match=r"\(784, 128\).*\(3, 3\)"):
        model.set_weights([np.zeros((3, 3))] + weights[1:])


def test_add_builds_when_the_input_shape_is_known():
    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(keras.layers.Dense(3))
    assert model.built and model.output_shape == (None, 3)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.summary()
    unbuilt(np.ones((1, 5)))
    assert unbuilt.count_params() == 12


def small_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, y


def small_model(metrics=("accuracy",), loss="sparse_categorical_crossentropy", optimizer="adam"):
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_acc_alias_names_the_history_keys():
    x, y = small_data()
    history = small_model(metrics=["acc"]).fit(x, y, epochs=2, validation_data=(x, y), verbose=0)
    assert list(history.history) == ["loss", "acc", "val_loss", "val_acc"]


def test_evaluate_return_forms_and_predict():
    x, y = small_data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    loss, acc = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"loss": loss, "accuracy": acc}
    only_loss = small_model(metrics=())
    only_loss.fit(x, y, verbose=0)
    assert isinstance(only_loss.evaluate(x, y, verbose=0), float)
    out = model.predict(x, batch_size=64, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (200, 2)
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)


def test_seeded_fit_is_bit_for_bit_repeatable():
    x, y = small_data()
    runs = []
    for _ in range(2):
        lamina.utils.set_random_seed(42)
        model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                                  keras.layers.Dropout(0.3),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_second_fit_continues_training():
    x, y = small_data()
    model = small_model()
    first = model.fit(x, y, epochs=3, verbose=0).history["loss"]
    second = model.fit(x, y, epochs=3, verbose=0).history["loss"]
    assert second[0] < first[0]
    assert model.optimizer.iterations == 6 * 7


def test_initial_epoch_and_steps_per_epoch():
    x, y = small_data()
    model = small_model()
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch),
                                        on_train_batch_end=lambda b, logs: seen.append("b"))
    model.fit(x, y, epochs=4, initial_epoch=2, steps_per_epoch=3, verbose=0, callbacks=[cb])
    assert seen == [2, "b", "b", "b", 3, "b", "b", "b"]


def test_sample_and_class_weights_change_the_loss():
    x, y = small_data()
    model = small_model(metrics=())
    model.fit(x, y, epochs=1, verbose=0)
    base = model.evaluate(x, y, verbose=0)
    weights = np.where(y == 1, 1.0, 0.0)
    only_ones = model.evaluate(x[y == 1], y[y == 1], verbose=0)
    weighted = model.evaluate(x, y, sample_weight=weights, verbose=0, batch_size=len(x))
    assert weighted == pytest.approx(only_ones * (y == 1).mean(), rel=1e-4)
    assert weighted != pytest.approx(base)
    lamina.utils.set_random_seed(3)
    a = small_model(metrics=())
    a.fit(x, y, class_weight={0: 0.0, 1: 1.0}, epochs=1, verbose=0, shuffle=False)
    lamina.utils.set_random_seed(3)
    b = small_model(metrics=())
    b.fit(x, y, sample_weight=weights, epochs=1, verbose=0, shuffle=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


def test_on_batch_methods():
    x, y = small_data()
    model = small_model()
    loss, acc = model.train_on_batch(x[:32], y[:32])
    assert np.isfinite(loss) and 0 <= acc <= 1
    assert model.test_on_batch(x[:32], y[:32], return_dict=True).keys() == {"loss", "accuracy"}
    assert model.predict_on_batch(x[:5]).shape == (5, 2)


def test_clear_errors_for_bad_input():
    x, y = small_data()
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(4,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="adma.*adam"):
        model.compile(optimizer="adma", loss="mse")
    model = small_model()
    with pytest.raises(ValueError, match=r"'x' sizes: 200\n'y' sizes: 199"):
        model.fit(x, y[:-1])
    with pytest.raises(ValueError, match=r"value 4.*\(32, 5\)"):
        model.fit(np.ones((64, 5)), np.zeros(64), verbose=0)
    with pytest.raises(ValueError, match=r"label value of 5.*\[0, 1\]"):
        model.fit(x, np.full(200, 5), verbose=0)


def test_nan_loss_is_reported_and_never_reaches_the_weights():
    x, y = small_data()
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
    model.compile(optimizer="sgd", loss="mse")
    bad_y = y.astype(float)
    bad_y[5] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, bad_y, epochs=2, verbose=0, shuffle=False,
                            callbacks=[keras.callbacks.TerminateOnNaN()])
    assert any("nan" in str(w.message) for w in caught)
    assert len(history.history["loss"]) == 1  # terminated
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_models_nest():
    inner = small_model()
    outer = keras.Sequential([inner, keras.layers.Dense(3)])
    assert outer.count_params() == inner.count_params() + 9
    outer.compile(optimizer="sgd", loss="mse")
    x, _ = small_data()
    outer.fit(x, np.zeros((200, 3)), epochs=1, verbose=0)
    assert len(outer.trainable_weights) == 6


def test_subclassed_model_trains():
    class TwoLayer(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = keras.layers.Dense(8, activation="relu")
            self.out = keras.layers.Dense(2, activation="softmax")

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    x, y = small_data()
    model = TwoLayer()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, verbose=0)
    assert [layer.name for layer in model.layers][0].startswith("dense")
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.name.startswith("two_layer")
