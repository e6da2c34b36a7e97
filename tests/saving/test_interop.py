"""Files written by real Keras (3.15 and tf-keras 2) load in lamina and reproduce Keras's outputs.

The files are in ../shared/interop (see its README): each model was trained briefly and
saved by Keras, with inputs and Keras's predictions in NAME.io.npz.
"""
import importlib
import pathlib
import warnings

import numpy as np
import pytest

from lamina import layers, saving
from lamina.models import Model, Sequential

INTEROP = pathlib.Path(__file__).resolve().parents[3] / "shared" / "interop"

needs_interop = pytest.mark.skipif(not INTEROP.is_dir(),
                                   reason=f"Keras interop files not found at {INTEROP}")


def _layer(module, name):
    return getattr(importlib.import_module(f"lamina.layers.{module}"), name)


def mlp():
    return Sequential([layers.Input((28, 28)), layers.Flatten(),
                       layers.Dense(64, activation="relu"), layers.Dropout(0.2),
                       layers.Dense(32, activation="tanh"), layers.Dense(10, activation="softmax")])


def cnn():
    conv, pool = _layer("convolutional", "Conv2D"), _layer("pooling", "MaxPooling2D")
    return Sequential([layers.Input((28, 28, 1)),
                       conv(16, 3, strides=2, padding="same", activation="relu"),
                       conv(8, 3, strides=2, padding="same", activation="relu"), pool(2),
                       layers.Flatten(), layers.Dense(30, activation="relu"),
                       layers.Dense(10, activation="softmax")])


def rnn():
    embedding = _layer("embedding", "Embedding")
    lstm, gru = _layer("recurrent", "LSTM"), _layer("recurrent", "GRU")
    return Sequential([layers.Input((12,), dtype="int32"), embedding(50, 8),
                       lstm(16, return_sequences=True), gru(8),
                       layers.Dense(1, activation="sigmoid")])


def widedeep():
    wide, deep = layers.Input((5,), name="wide_input"), layers.Input((6,), name="deep_input")
    h = layers.Dense(30, activation="relu")(layers.Dense(30, activation="relu")(deep))
    joined = layers.Concatenate()([wide, h])
    return Model(inputs=[wide, deep], outputs=[layers.Dense(1, name="main_output")(joined),
                                               layers.Dense(1, name="aux_output")(h)])


def keras2_mlp():
    return Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(300, activation="relu"),
                       layers.Dense(100, activation="relu"),
                       layers.Dense(10, activation="softmax")])


BUILDERS = {"mlp": mlp, "cnn": cnn, "rnn": rnn, "widedeep": widedeep, "keras2_mlp": keras2_mlp}
MODEL_FILES = [("mlp", "mlp.keras"), ("mlp", "mlp.h5"), ("cnn", "cnn.keras"), ("cnn", "cnn.h5"),
               ("rnn", "rnn.keras"), ("rnn", "rnn.h5"), ("widedeep", "widedeep.keras"),
               ("widedeep", "widedeep.h5"), ("keras2_mlp", "keras2_mlp.h5")]
WEIGHT_FILES = [(name, f"{name}.weights.h5") for name in ("mlp", "cnn", "rnn", "widedeep")] + [
    (name, path) for name, path in MODEL_FILES] + [("keras2_mlp", "keras2_mlp_weights.h5")]
OPTIMIZERS = {"mlp": ("Adam", 16), "cnn": ("Adam", 4), "rnn": ("RMSprop", 2),
              "widedeep": ("SGD", 2), "keras2_mlp": ("SGD", 4)}


def _io(name):
    data = np.load(INTEROP / f"{name}.io.npz")
    xs = [data[k] for k in ("x0", "x1") if k in data]
    ys = [data[k] for k in ("y0", "y1") if k in data]
    return (xs[0] if len(xs) == 1 else xs), ys


def _check_outputs(model, name):
    x, expected = _io(name)
    got = model.predict(x, verbose=0)
    got = got if isinstance(got, list) else [got]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    return x


@needs_interop
@pytest.mark.parametrize("name,filename", MODEL_FILES)
def test_load_model_reproduces_keras_outputs_and_resumes(name, filename):
    BUILDERS[name]()  # fails when lamina lacks one of the model's layers
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "optimizer state skipped" warning either
        model = saving.load_model(INTEROP / filename)
    x = _check_outputs(model, name)
    optimizer, steps = OPTIMIZERS[name]
    assert model.compiled and type(model.optimizer).__name__ == optimizer
    assert model.optimizer.iterations == steps
    _, y = _io(name)
    targets = {"mlp": np.argmax(y[0], -1), "cnn": np.argmax(y[0], -1),
               "keras2_mlp": np.argmax(y[0], -1), "rnn": np.round(y[0]), "widedeep": y}[name]
    model.fit(x, targets, batch_size=len(y[0]), epochs=1, verbose=0)
    assert model.optimizer.iterations == steps + 1


@needs_interop
@pytest.mark.parametrize("name,filename", WEIGHT_FILES)
def test_load_weights_into_the_same_architecture_built_in_lamina(name, filename):
    model = BUILDERS[name]()
    saving.load_weights(model, INTEROP / filename)
    _check_outputs(model, name)


@needs_interop
def test_keras2_names_and_batch_input_shape_are_understood():
    model = saving.load_model(INTEROP / "keras2_mlp.h5")
    assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dense", "Dense"]
    assert model.layers[1].kernel.shape == (784, 300)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


DATA = pathlib.Path(__file__).resolve().parent / "data"


class TwoTower(Model):
    """lamina's twin of the subclassed model in data/README.md (same attributes)."""

    def __init__(self, units=6, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.blocks = [layers.Dense(4), layers.Dense(4)]
        self.out = layers.Dense(2, activation="softmax")
        self.bn = _layer("normalization", "BatchNormalization")()

    def call(self, x, training=None):
        x = self.blocks[1](self.blocks[0](self.hidden(x)))
        return self.out(self.bn(x, training=training))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_keras_subclassed_model_loads_with_custom_objects():
    path = DATA / "keras3_subclassed.keras"
    with pytest.raises(ValueError, match="Could not locate .*'TwoTower'.*tests>TwoTower"):
        saving.load_model(path)
    model = saving.load_model(path, custom_objects={"TwoTower": TwoTower})
    assert isinstance(model, TwoTower) and model.units == 6
    data = np.load(DATA / "keras3_subclassed.io.npz")
    np.testing.assert_allclose(model.predict(data["x0"], verbose=0), data["y0"], rtol=1e-5,
                               atol=1e-6)
    assert model.optimizer.iterations == 4
    model.fit(data["x0"], np.zeros(10), epochs=1, verbose=0)


def test_keras_file_with_a_lambda_layer_is_refused():
    with pytest.raises(ValueError, match="Lambda layer 'double'.*safe_mode=False"):
        saving.load_model(DATA / "keras3_lambda.keras")


@needs_interop
@pytest.mark.parametrize("name", ["mlp", "rnn"])
def test_a_keras_file_saved_under_the_mixed_float16_policy_loads(name, tmp_path):
    """Keras writes each layer's dtype as a DTypePolicy dict; under mixed_float16 the weights
    stay float32 and the computation runs in float16, and the output layer is often float32."""
    import json
    import zipfile
    with zipfile.ZipFile(INTEROP / f"{name}.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(entries["config.json"])
    policy = {"module": "keras", "class_name": "DTypePolicy",
              "config": {"name": "mixed_float16"}, "registered_name": None}
    for entry in config["config"]["layers"][1:-1]:
        entry["config"]["dtype"] = policy
    entries["config.json"] = json.dumps(config)
    path = tmp_path / f"{name}.keras"
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    model = saving.load_model(path)
    assert all(w.dtype == np.float32 for w in model.weights)
    x, y = _io(name)
    got = model.predict(x, verbose=0)  # computed in float16 by the mixed layers
    np.testing.assert_allclose(np.asarray(got, dtype=np.float32), y[0], atol=2e-2)
