"""The Keras 3 ``.keras`` zip: round trips of the three kinds of model, and the file layout."""
import copy
import io
import json
import pickle
import zipfile

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers, saving
from lamina.layers.base import Layer
from lamina.models import Sequential


def _assert_buildable(model):
    """A subclassed model records the input shape it was built with, so it can be rebuilt."""
    assert model.get_build_config() is not None


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_round_trip_predicts_and_keeps_training_identically(kind, zoo, same_training, tmp_path):
    model = zoo.build(kind)
    if kind == "subclassed":
        _assert_buildable(model)
    path = tmp_path / "model.keras"
    saving.save_model(model, path)
    custom = {"Subclassed": zoo.Subclassed} if kind == "subclassed" else None
    loaded = saving.load_model(path, custom_objects=custom)
    assert type(loaded) is type(model)
    assert loaded.name == model.name
    if kind == "subclassed":  # __init__ makes new layers, numbered on from this session's
        assert [type(l) for l in loaded.layers] == [type(l) for l in model.layers]
    else:
        assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    assert loaded.optimizer.iterations == model.optimizer.iterations == 3
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.loss == model.loss
    same_training(model, loaded, kind)


def test_sequential_file_layout_matches_keras(zoo, tmp_path):
    model = zoo.build("sequential")
    path = tmp_path / "model.keras"
    saving.save_model(model, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    assert {"keras_version", "date_saved"} <= set(metadata)
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    entries = config["config"]["layers"]
    assert [e["class_name"] for e in entries] == ["InputLayer", "Flatten", "Dense", "Dropout",
                                                  "Dense"]
    assert entries[0]["config"]["batch_shape"] == [None, 4, 3]
    assert entries[2]["module"] == "keras.layers" and entries[2]["config"]["units"] == 8
    assert config["build_config"] == {"input_shape": [None, 4, 3]}
    compiled = config["compile_config"]
    assert compiled["optimizer"]["class_name"] == "Adam"
    assert compiled["optimizer"]["config"]["learning_rate"] == pytest.approx(0.01)
    assert compiled["loss"] == "sparse_categorical_crossentropy"
    assert compiled["metrics"] == ["accuracy"]
    with h5py.File(io.BytesIO(weights), "r") as h5:
        assert h5["vars"].attrs["name"] == model.name
        np.testing.assert_array_equal(h5["layers/dense/vars/0"][()], model.layers[1].kernel.numpy())
        np.testing.assert_array_equal(h5["layers/dense_1/vars/1"][()], model.layers[3].bias.numpy())
        assert len(h5["layers/flatten/vars"]) == 0 and len(h5["layers/dropout/vars"]) == 0
        assert h5["optimizer/vars/0"][()] == 3 and h5["optimizer/vars/0"].dtype == np.int64
        # Adam: iterations, learning rate, then (momentum, velocity) per weight
        assert len(h5["optimizer/vars"]) == 2 + 2 * 4
        assert h5["optimizer/vars/2"].shape == (12, 8)


def test_functional_weights_follow_keras_layer_order(zoo, tmp_path):
    model = zoo.build("functional")
    path = tmp_path / "model.keras"
    saving.save_model(model, path)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        h5 = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
    by_name = {layer.name: layer for layer in model.layers}
    hidden = [l.name for l in model.layers if type(l).__name__ == "Dense"
              and l.name not in ("main", "aux")]
    concat = next(l.name for l in model.layers if type(l).__name__ == "Concatenate")
    # Keras orders layers deepest first: deep input, its two Dense layers, then the rest
    assert [h5[f"layers/{k}/vars"].attrs["name"] for k in (
        "input_layer", "dense", "input_layer_1", "dense_1", "concatenate", "dense_2",
        "dense_3")] == ["deep", hidden[0], "wide", hidden[1], concat, "main", "aux"]
    np.testing.assert_array_equal(h5["layers/dense_1/vars/0"][()],
                                  by_name[hidden[1]].kernel.numpy())
    assert h5["layers/dense_2/vars/0"].shape == (9, 1)
    assert config["class_name"] == "Functional"
    assert config["config"]["input_layers"] == [["wide", 0, 0], ["deep", 0, 0]]
    assert config["compile_config"]["loss_weights"] == [0.9, 0.1]
    h5.close()


def test_load_without_compile_gives_an_uncompiled_model(zoo, tmp_path):
    model = zoo.build("sequential")
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    x, _ = zoo.data("sequential")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_uncompiled_model_round_trip(zoo, tmp_path):
    model = zoo.build("sequential", compiled=False)
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    x, _ = zoo.data("sequential")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


class Scale(Layer):
    """A custom layer with a weight and a setting."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), "ones")
        self.built = True

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _custom_model(layer_cls):
    lamina.backend.set_seed(0)
    model = Sequential([layers.Input((3,)), layer_cls(factor=3.0), layers.Dense(2)])
    model.layers[0].w.assign(np.array([1.0, 2.0, 3.0]))
    return model


def test_custom_layer_needs_custom_objects(tmp_path):
    model = _custom_model(Scale)
    saving.save_model(model, tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Could not locate layer class 'Scale'.*custom_objects"):
        saving.load_model(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    assert loaded.layers[0].factor == 3.0
    np.testing.assert_array_equal(loaded.layers[0].w.numpy(), [1.0, 2.0, 3.0])
    with saving.CustomObjectScope({"Scale": Scale}):
        assert isinstance(saving.load_model(tmp_path / "m.keras").layers[0], Scale)


def test_registered_layer_loads_without_custom_objects(tmp_path):
    @saving.register_keras_serializable(package="tests_saving")
    class RegisteredScale(Scale):
        pass

    assert saving.get_registered_name(RegisteredScale) == "tests_saving>RegisteredScale"
    model = _custom_model(RegisteredScale)
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        entry = json.loads(zf.read("config.json"))["config"]["layers"][1]
    assert entry["registered_name"] == "tests_saving>RegisteredScale"
    loaded = saving.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0]) is RegisteredScale
    x = np.ones((2, 3), dtype="float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    saving.get_custom_objects().pop("tests_saving>RegisteredScale")


def test_model_methods_save_and_load(zoo, tmp_path):
    model = zoo.build("sequential")
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    x, _ = zoo.data("sequential")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    keras_loaded = lamina.keras.models.load_model(str(tmp_path / "m.keras"))
    np.testing.assert_array_equal(keras_loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_pickle_and_deepcopy_go_through_the_keras_format(kind, zoo, same_training):
    model = zoo.build(kind)
    if kind == "subclassed":
        _assert_buildable(model)
        lamina.saving.get_custom_objects()["Subclassed"] = zoo.Subclassed
    try:
        for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
            assert type(clone) is type(model) and clone is not model
            assert clone.optimizer.iterations == model.optimizer.iterations == 3
            assert all(a is not b for a, b in zip(clone.weights, model.weights))
        same_training(model, clone, kind)
    finally:
        lamina.saving.get_custom_objects().pop("Subclassed", None)


def test_pickled_lambda_layer_loads_because_unpickling_runs_code_anyway():
    model = Sequential([layers.Input((3,)), layers.Lambda(lambda x: x * 2)])
    with pytest.warns(UserWarning, match="lambda"):
        data = pickle.dumps(model)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(pickle.loads(data).predict(x, verbose=0), 2 * x)
