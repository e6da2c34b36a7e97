"""Subclassed models: layers tracked from __init__, Python control flow in call, custom train_step."""
import numpy as np
import pytest

import lamina
from lamina import keras


class WideAndDeepModel(keras.Model):
    def __init__(self, units=30, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = keras.layers.Dense(units, activation=activation)
        self.hidden2 = keras.layers.Dense(units, activation=activation)
        self.main_output = keras.layers.Dense(1)
        self.aux_output = keras.layers.Dense(1)

    def call(self, inputs, training=None):
        input_A, input_B = inputs
        hidden1 = self.hidden1(input_B)
        hidden2 = self.hidden2(hidden1)
        concat = keras.layers.concatenate([input_A, hidden2])
        return self.main_output(concat), self.aux_output(hidden2)


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8))
    return X[:, :5], X[:, 2:], X[:, :2].sum(axis=1, keepdims=True)


def test_wide_and_deep_subclass_trains_and_summarises(capsys):
    lamina.utils.set_random_seed(0)
    model = WideAndDeepModel(30, activation="relu")
    assert len(model.layers) == 4
    assert model.layers[0] is model.hidden1 and model.layers[3] is model.aux_output
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    model.compile(loss=["mse", "mae"], loss_weights=[0.9, 0.1], optimizer="sgd")
    X_A, X_B, y = data()
    history = model.fit((X_A, X_B), (y, y), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # a subclassed model has no output names: Keras 3 names each output's loss after the loss
    logs = model.evaluate((X_A, X_B), (y, y), verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae_loss", "mse_loss"]
    assert logs["loss"] == pytest.approx(0.9 * logs["mse_loss"] + 0.1 * logs["mae_loss"], rel=1e-4)
    model.summary()
    out = capsys.readouterr().out
    assert "wide_and_deep_model" in out and "multiple" in out


def test_control_flow_in_call():
    class Gate(keras.Model):
        def __init__(self):
            super().__init__()
            self.small = keras.layers.Dense(1)
            self.big = keras.layers.Dense(1)

        def call(self, x, training=None):
            if training:
                return self.small(x) + self.big(x)
            return self.small(x)

    model = Gate()
    x = np.ones((2, 3))
    model(x, training=True)
    assert model.count_params() == 8
    np.testing.assert_allclose(model(x).numpy(), model.small(x).numpy())


@pytest.mark.parametrize("run_eagerly, python_runs", [(True, 12), (False, 2)])
def test_custom_train_step_is_used_by_fit(run_eagerly, python_runs):
    # compiled (the default), the step's Python runs for the two traces, then it is replayed
    class CustomModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.steps_seen = 0

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            self.steps_seen += 1
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for v in self.trainable_variables:
                v.grad = None
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_variables],
                                 self.trainable_variables)
            return {m.name: m.result() for m in self.metrics}

    model = CustomModel()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
    x = np.random.default_rng(0).standard_normal((64, 3))
    y = x @ np.array([[1.0], [2.0], [3.0]])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert model.steps_seen == python_runs
    assert all(isinstance(v, float) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]
