"""A real MLflow tracking store for the lamina.mlflow tests: one SQLite database for the
session (creating its tables takes seconds), a fresh experiment and artifact folder per test."""
import types
import uuid

import mlflow
import numpy as np
import pytest

import lamina.mlflow
from lamina import keras


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"


@pytest.fixture
def store(tracking_uri, tmp_path, monkeypatch):
    """The tracking store with a new active experiment; `client`, `experiment_id`, `runs()`."""
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact root ./mlruns lands in tmp_path
    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient()
    experiment_id = client.create_experiment(f"test-{uuid.uuid4().hex}",
                                             artifact_location=(tmp_path / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment_id)
    yield types.SimpleNamespace(client=client, experiment_id=experiment_id, uri=tracking_uri,
                                runs=lambda: client.search_runs([experiment_id]))
    lamina.mlflow.autolog(disable=True)
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.fixture
def regression():
    """48 samples of a linear target of 3 features, and 16 more for validation."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5], dtype="float32")
    return (x[:48], y[:48]), (x[48:], y[48:])


@pytest.fixture
def make_model():
    """Returns a new compiled Dense(4, relu) -> Dense(1) regression model of 3 features."""
    def make():
        model = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                                  keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse",
                      metrics=["mae"])
        return model
    return make


@pytest.fixture
def two_input_model():
    """A functional model with inputs 'a' (3 features) and 'b' (2), one output of 2."""
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    return keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Concatenate()([a, b])))
