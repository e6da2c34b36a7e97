"""Keras 2's legacy ``.h5`` model file: round trips and the HDF5 layout (checked with h5py)."""
import json
import warnings

import h5py
import numpy as np
import pytest

import lamina
from lamina import saving


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_round_trip_predicts_and_keeps_training_identically(kind, zoo, same_training, tmp_path):
    model = zoo.build(kind)
    assert model.get_build_config() is not None
    saving.save_model(model, tmp_path / "model.h5")
    custom = {"Subclassed": zoo.Subclassed} if kind == "subclassed" else None
    loaded = saving.load_model(tmp_path / "model.h5", custom_objects=custom)
    assert type(loaded) is type(model)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 3
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    same_training(model, loaded, kind)


def test_hdf5_layout_matches_keras(zoo, tmp_path):
    model = zoo.build("sequential")
    saving.save_model(model, tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5", "r") as f:
        assert {"model_config", "training_config", "keras_version", "backend"} <= set(f.attrs)
        config = json.loads(f.attrs["model_config"])
        assert config["class_name"] == "Sequential"
        entries = config["config"]["layers"]
        assert [e["class_name"] for e in entries] == ["InputLayer", "Flatten", "Dense",
                                                      "Dropout", "Dense"]
        assert all("module" not in e for e in entries)  # the legacy form has no module
        training = json.loads(f.attrs["training_config"])
        assert training["loss"] == "sparse_categorical_crossentropy"
        assert training["metrics"] == ["accuracy"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        group = f["model_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        dense = model.layers[1]
        weight_names = [n.decode() if isinstance(n, bytes) else n
                        for n in group[dense.name].attrs["weight_names"]]
        assert weight_names == [dense.kernel.path, dense.bias.path]
        np.testing.assert_array_equal(group[dense.name][weight_names[0]][()], dense.kernel.numpy())
        assert len(group[model.layers[0].name].attrs["weight_names"]) == 0
        assert "top_level_model_weights" in group
        opt = f["optimizer_weights"]
        opt_names = [n.decode() if isinstance(n, bytes) else n for n in opt.attrs["weight_names"]]
        assert len(opt_names) == 2 + 2 * 4
        assert opt[opt_names[0]][()] == 3
        assert opt[opt_names[2]].shape == (12, 8)


def test_without_optimizer_loads_uncompiled_with_a_warning(zoo, tmp_path):
    model = zoo.build("sequential")
    saving.save_model(model, tmp_path / "model.h5", include_optimizer=False)
    with h5py.File(tmp_path / "model.h5", "r") as f:
        assert "optimizer_weights" not in f and "training_config" not in f.attrs
    with pytest.warns(UserWarning, match="not\\* compiled"):
        loaded = saving.load_model(tmp_path / "model.h5")
    assert not loaded.compiled
    x, _ = zoo.data("sequential")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras2_style_config_loads(tmp_path):
    """A model_config as Keras 2 wrote it: batch_input_shape, string dtypes, no modules."""
    lamina.backend.set_seed(0)
    model = lamina.Sequential([lamina.layers.Flatten(input_shape=(2, 2)),
                               lamina.layers.Dense(3, activation="relu")])
    saving.save_model(model, tmp_path / "m.h5")
    keras2_config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2, 2],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "flatten_input"}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True,
                                             "dtype": "float32", "data_format": "channels_last",
                                             "batch_input_shape": [None, 2, 2]}},
        {"class_name": "Dense", "config": {
            "name": "dense", "trainable": True, "dtype": "float32", "units": 3,
            "activation": "relu", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}}]}}
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        f.attrs["model_config"] = json.dumps(keras2_config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = saving.load_model(tmp_path / "m.h5", compile=False)
    x = np.random.default_rng(0).random((2, 2, 2)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_methods_save_h5(zoo, tmp_path):
    model = zoo.build("functional")
    model.save(str(tmp_path / "m.h5"))
    loaded = lamina.models.load_model(str(tmp_path / "m.h5"))
    x, _ = zoo.data("functional")
    for a, b in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
