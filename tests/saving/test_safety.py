"""Safety: atomic writes, corrupt or foreign files, and no code run from a file."""
import json
import os
import sys
import zipfile

import h5py
import numpy as np
import pytest

from lamina import layers, saving
from lamina.models import Sequential
from lamina.saving import keras_zip
from lamina.saving import weights as weights_io
from lamina.serialization import deserialize_keras_object, serialize_keras_object


def _model(units=4):
    return Sequential([layers.Input((3,)), layers.Dense(units, activation="relu"),
                       layers.Dense(2)])


class Crash(RuntimeError):
    pass


def _crash(*args, **kwargs):
    raise Crash("power cut")


@pytest.mark.parametrize("filename", ["m.keras", "m.h5", "w.weights.h5", "w.ckpt"])
def test_a_crash_mid_save_leaves_the_previous_file_intact(filename, tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / filename
    save = saving.save_weights if filename.startswith("w") else saving.save_model
    save(model, path)
    before = path.read_bytes()
    model.layers[0].kernel.assign(np.zeros((3, 4)))
    if filename.endswith(".keras"):
        real = zipfile.ZipFile.writestr

        def half_written(self, name, data, *args, **kwargs):
            if name == "model.weights.h5":
                real(self, name, data[: len(data) // 2])
                raise Crash("power cut")
            return real(self, name, data, *args, **kwargs)
        monkeypatch.setattr(zipfile.ZipFile, "writestr", half_written)
    elif filename == "m.h5":
        monkeypatch.setattr(weights_io, "write_legacy_weights", _crash)
    else:
        real_write = weights_io.write_keras_weights

        def half(h5, m):
            real_write(h5, m)
            raise Crash("power cut")
        monkeypatch.setattr(weights_io, "write_keras_weights", half)
    with pytest.raises(Crash):
        save(model, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [filename]  # no temporary file left behind


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_truncated_model_files_raise_clear_errors(filename, tmp_path):
    path = tmp_path / filename
    saving.save_model(_model(), path)
    data = path.read_bytes()
    for size in (len(data) // 2, 600, 10):
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match="truncated or corrupt|not a model file"):
            saving.load_model(path)


@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5", "w.ckpt"])
def test_truncated_weights_raise_and_load_nothing(filename, tmp_path):
    path = tmp_path / filename
    saving.save_weights(_model(), path)
    path.write_bytes(path.read_bytes()[:-3000])
    target = _model()
    before = target.get_weights()
    with pytest.raises(ValueError, match="truncated or corrupt"):
        saving.load_weights(target, path)
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_keras_archive_is_reported(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    data = bytearray(path.read_bytes())
    start = data.find(b"\x89HDF")
    for i in range(start + 3000, start + 3010):  # damage the weights inside the zip
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        saving.load_model(path)


def test_files_that_are_not_models(tmp_path):
    with pytest.raises(ValueError, match="File not found"):
        saving.load_model(tmp_path / "missing.keras")
    (tmp_path / "notes.keras").write_text("just some text\n")
    with pytest.raises(ValueError, match="not a model file"):
        saving.load_model(tmp_path / "notes.keras")
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a Keras model file.*no config.json"):
        saving.load_model(tmp_path / "other.keras")
    with zipfile.ZipFile(tmp_path / "list.keras", "w") as zf:
        zf.writestr("config.json", "[1, 2]")
        zf.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="does not describe a model"):
        saving.load_model(tmp_path / "list.keras")
    saving.save_weights(_model(), tmp_path / "w.weights.h5")
    saving.save_weights(_model(), tmp_path / "w.h5")
    for name in ("w.weights.h5", "w.h5"):
        with pytest.raises(ValueError, match="weights only.*load_weights"):
            saving.load_model(tmp_path / name)
    os.mkdir(tmp_path / "saved_model")
    with pytest.raises(ValueError, match="directory"):
        saving.load_model(tmp_path / "saved_model")
    (tmp_path / "cp.ckpt.index").write_bytes(b"tf")
    with pytest.raises(ValueError, match="TensorFlow checkpoint"):
        saving.load_weights(_model(), tmp_path / "cp.ckpt")


def test_a_listed_but_missing_array_loads_nothing(tmp_path):
    path = tmp_path / "w.h5"
    source = _model()
    saving.save_weights(source, path)
    with h5py.File(path, "r+") as f:
        del f[source.layers[1].name][source.layers[1].bias.path]
    target = _model()
    before = target.get_weights()
    with pytest.raises(ValueError, match="truncated or corrupt"):
        saving.load_weights(target, path)
    for a, b in zip(before, target.get_weights()):
        np.testing.assert_array_equal(a, b)


def _keras_file_with(path, layer_entry):
    """A .keras file whose Sequential config holds ``layer_entry`` after a Dense layer."""
    saving.save_model(_model(), path)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    config["config"]["layers"].append(layer_entry)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)


def _lambda_code():
    """What Keras stores for ``lambda x: x * 2``: [base64 bytecode, defaults, closure]."""
    with pytest.warns(UserWarning, match="lambda"):
        return serialize_keras_object(lambda x: x * 2)["config"]["value"]


def test_lambda_layers_are_refused_in_safe_mode(tmp_path):
    path = tmp_path / "lambda.keras"
    _keras_file_with(path, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "double", "function": {"class_name": "__lambda__",
                                                  "config": {"value": _lambda_code()}}}})
    with pytest.raises(ValueError, match="Lambda layer 'double'.*safe_mode=False"):
        saving.load_model(path)
    loaded = saving.load_model(path, safe_mode=False)  # the user trusts the file
    double = loaded.get_layer("double")
    x = np.ones((1, loaded.layers[0].units), dtype="float32")
    np.testing.assert_allclose(double(x).numpy(), 2 * x)


def test_keras2_lambda_in_a_legacy_file_is_refused(tmp_path):
    path = tmp_path / "m.h5"
    saving.save_model(_model(), path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"].append({"class_name": "Lambda", "config": {
            "name": "lambda", "function": _lambda_code(), "function_type": "lambda"}})
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        saving.load_model(path)


def test_serialized_lambdas_run_only_when_safe_mode_is_off():
    with pytest.warns(UserWarning, match="lambda"):
        config = serialize_keras_object(lambda x: x * 3)
    assert config["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(config)
    nested = {"module": "keras.layers", "class_name": "Dense",
              "config": {"units": 2, "activation": config}}
    with pytest.raises(ValueError, match="safe_mode=False"):
        deserialize_keras_object(nested)
    assert deserialize_keras_object(config, safe_mode=False)(5) == 15


def test_modules_named_in_a_file_are_never_imported(tmp_path):
    path = tmp_path / "evil.keras"
    _keras_file_with(path, {"module": "lamina_evil_module_for_tests", "class_name": "Payload",
                            "config": {}, "registered_name": None})
    with pytest.raises(ValueError, match="Could not locate layer class 'Payload'"):
        saving.load_model(path)
    assert "lamina_evil_module_for_tests" not in sys.modules
    _keras_file_with(path, {"module": "os", "class_name": "system", "config": {"command": "x"},
                            "registered_name": None})
    with pytest.raises(ValueError, match="Could not locate"):
        saving.load_model(path)


def test_npz_weights_are_not_read(tmp_path):
    path = tmp_path / "npz.keras"
    saving.save_model(_model(), path)
    with zipfile.ZipFile(path) as zf:
        config = zf.read("config.json")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", config)
        zf.writestr("model.weights.npz", b"PK")
    with pytest.raises(ValueError, match="model.weights.npz"):
        keras_zip.load_keras(path)


@pytest.mark.parametrize("filename", ["m.keras", "m.h5"])
def test_a_loss_named_after_a_python_function_is_refused_at_load_time(filename, tmp_path):
    path = tmp_path / filename
    model = _model()
    model.compile("sgd", "mse")
    saving.save_model(model, path)
    if filename.endswith(".keras"):
        with zipfile.ZipFile(path) as zf:
            entries = {name: zf.read(name) for name in zf.namelist()}
        config = json.loads(entries["config.json"])
        config["compile_config"]["loss"] = "os.system"
        entries["config.json"] = json.dumps(config)
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
    else:
        with h5py.File(path, "r+") as f:
            train = json.loads(f.attrs["training_config"])
            train["loss"] = "os.system"
            f.attrs["training_config"] = json.dumps(train)
    with pytest.warns(UserWarning, match="Unknown loss 'os.system'"):
        loaded = saving.load_model(path)
    assert not loaded.compiled  # refused now, not at the first fit
