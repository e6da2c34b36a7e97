"""The keys of the training logs, as Keras 3.15.1 writes them (each expected set below was
printed by Keras 3.15.1 itself for the same compile arguments)."""
import numpy as np

import lamina
from lamina import keras


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


def my_Metric(y_true, y_pred):  # noqa: N802 -- Keras snake-cases this to 'my__metric'
    return lamina.ops.mean(abs(y_true - y_pred), axis=-1)


def test_single_output_names_repeats_functions_and_weighted_metrics():
    x, y = data()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", weighted_metrics=["mae"],
                  metrics=["mae", "mae", my_Metric, keras.metrics.RootMeanSquaredError()])
    history = model.fit(x, y, validation_data=(x, y), verbose=0)
    assert sorted(history.history) == [
        "loss", "mae", "mae_1", "my__metric", "root_mean_squared_error", "val_loss", "val_mae",
        "val_mae_1", "val_my__metric", "val_root_mean_squared_error", "val_weighted_mae",
        "weighted_mae"]
    logs = history.history
    assert logs["mae"] == logs["mae_1"] == logs["my__metric"]
    pred = model.predict(x, verbose=0)
    assert np.isclose(logs["val_root_mean_squared_error"][0], np.sqrt(np.mean((pred - y) ** 2)),
                      rtol=1e-5)


def test_functional_outputs_prefix_their_losses_and_metrics():
    x, y = data()
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(1, name="main")(hidden),
                                 keras.layers.Dense(1, name="aux")(hidden)])
    model.compile("sgd", "mse", metrics=[["mae"], ["mae"]])
    history = model.fit(x, (y, y), verbose=0)
    assert sorted(history.history) == ["aux_loss", "aux_mae", "loss", "main_loss", "main_mae"]


class TwoHeads(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(4)
        self.first = keras.layers.Dense(1)
        self.second = keras.layers.Dense(1)

    def call(self, x):
        h = self.hidden(x)
        return self.first(h), self.second(h)


def test_subclassed_outputs_are_named_after_their_losses_and_metrics():
    x, y = data()
    model = TwoHeads()
    model.compile("sgd", loss=["mse", keras.losses.MeanAbsoluteError()],
                  metrics=[["mae"], ["mae", keras.metrics.RootMeanSquaredError()]],
                  weighted_metrics=[["mae"], []])
    history = model.fit(x, (y, y), verbose=0)
    assert sorted(history.history) == ["loss", "mae", "mae_1", "mean_absolute_error_loss",
                                       "mse_loss", "root_mean_squared_error", "weighted_mae"]
    model = TwoHeads()
    model.compile("sgd", loss="mse", metrics=[["mae"], ["mae"]])
    assert sorted(model.fit(x, (y, y), verbose=0).history) == ["loss", "mae", "mae_1",
                                                               "mse_loss"]
