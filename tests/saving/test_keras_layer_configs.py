"""Every layer loads from the config Keras 3.15.1 writes for it (keys added by newer Keras
included), through ``keras.layers.deserialize`` and through the class's own ``from_config``.

``data/keras_3_15_layer_configs.json`` was written by Keras 3.15.1 itself (see the README
there); StringLookup, IntegerLookup, Hashing and TextVectorization need TensorFlow in Keras,
so their entries are written here from those layers' ``get_config`` in Keras 3.15.1.
"""
import json
import pathlib

import numpy as np
import pytest

from lamina import keras
from lamina.layers import Layer
from lamina.serialization.object_registration import builtin_table

FIXTURE = pathlib.Path(__file__).parent / "data" / "keras_3_15_layer_configs.json"
POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
          "registered_name": None}
STRING_LOOKUP = {
    "module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
    "config": {"name": "string_lookup", "trainable": True, "dtype": POLICY, "invert": False,
               "max_tokens": None, "num_oov_indices": 1, "oov_token": "[UNK]",
               "mask_token": None, "output_mode": "int", "sparse": False,
               "pad_to_max_tokens": False, "idf_weights": None, "vocabulary": ["a", "b", "c"],
               "vocabulary_size": 4, "oov_method": "floormod", "salt": None,
               "encoding": "utf-8"}}
INT64 = {**POLICY, "config": {"name": "int64"}}
INTEGER_LOOKUP = {
    "module": "keras.layers", "class_name": "IntegerLookup", "registered_name": None,
    "config": {"name": "integer_lookup", "trainable": True, "dtype": POLICY, "invert": False,
               "max_tokens": None, "num_oov_indices": 1, "oov_token": -1, "mask_token": None,
               "output_mode": "int", "sparse": False, "pad_to_max_tokens": False,
               "vocabulary_dtype": "int64", "idf_weights": None, "vocabulary": [12, 36, 5],
               "vocabulary_size": 4, "oov_method": "floormod", "salt": None}}
HASHING = {
    "module": "keras.layers", "class_name": "Hashing", "registered_name": None,
    "config": {"name": "hashing", "trainable": True, "dtype": INT64, "num_bins": 4,
               "salt": None, "mask_value": None, "output_mode": "int", "sparse": False}}
TEXT_VECTORIZATION = {
    "module": "keras.layers", "class_name": "TextVectorization", "registered_name": None,
    "config": {"name": "text_vectorization", "trainable": True, "dtype": POLICY,
               "max_tokens": 10, "standardize": "lower_and_strip_punctuation",
               "split": "whitespace", "ngrams": None, "output_mode": "int",
               "output_sequence_length": 4, "pad_to_max_tokens": False, "sparse": False,
               "ragged": False, "vocabulary": None, "idf_weights": None, "encoding": "utf-8",
               "vocabulary_size": 2}}
ENTRIES = json.loads(FIXTURE.read_text())["layers"] + [STRING_LOOKUP, INTEGER_LOOKUP, HASHING,
                                                       TEXT_VECTORIZATION]
# not layers one configures directly: abstract bases, the code-carrying Lambda, models
NOT_COVERED = {"Layer", "BaseConv", "BasePooling", "BaseGlobalPooling", "SpatialLayer", "Lambda",
               "Model", "Sequential", "Functional"}


def plain(value):
    """A config value as JSON has it (tuples as lists), or None for nested objects."""
    if isinstance(value, (list, tuple)):
        items = [plain(v) for v in value]
        return None if any(i is None and v is not None for i, v in zip(items, value)) else items
    if isinstance(value, dict):
        return None
    return value


def sample(shape, class_name):
    if shape and isinstance(shape[0], list):
        return [sample(s, class_name) for s in shape]
    dtype = "int32" if class_name == "Embedding" else "float32"
    return np.zeros([2] + [d or 3 for d in shape[1:]], dtype=dtype)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["class_name"])
def test_layer_loads_from_its_keras_3_15_config(entry):
    layer = keras.layers.deserialize(entry)
    assert type(layer).__name__ == entry["class_name"]
    saved, ours = entry["config"], layer.get_config()
    for key, value in saved.items():
        if key in ours and plain(value) is not None and plain(ours[key]) is not None:
            if key == "axis" and value == [ours[key]]:
                continue  # a built Keras LayerNormalization lists its one axis: the same
            assert plain(ours[key]) == plain(value), key
    # the class's own from_config takes the dict as Keras wrote it (nested configs included)
    assert type(layer).from_config(dict(saved)).name == saved["name"]
    shape = (entry.get("build_config") or {}).get("input_shape")
    if shape is not None:
        out = layer(sample(shape, entry["class_name"]))
        assert all(np.all(np.isfinite(np.asarray(o))) for o in
                   (out if isinstance(out, (list, tuple)) else [out]))


def test_every_layer_has_a_keras_config_in_the_fixture():
    covered = {e["class_name"] for e in ENTRIES}
    layers = builtin_table("layers")
    missing = sorted(name for name, cls in layers.items()
                     if name == cls.__name__ and name not in covered | NOT_COVERED)
    assert missing == []


def test_layers_serialize_round_trip_and_bad_config():
    dense = keras.layers.Dense(3, activation="relu", name="d")
    config = keras.layers.serialize(dense)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    again = keras.layers.deserialize(config)
    assert isinstance(again, Layer) and again.units == 3 and again.name == "d"
    with pytest.raises(ValueError, match="not a `keras.layers.Layer`"):
        keras.layers.deserialize({"module": "keras.optimizers", "class_name": "SGD",
                                  "config": {}, "registered_name": None})


@pytest.mark.parametrize("config, match", [
    ({"units": 2, "quantization_config": {"mode": "int8"}}, "quantization_config="),
    ({"units": 2, "lora_rank": 4}, "lora_rank=4"),
])
def test_keras_options_lamina_lacks_are_refused_when_on(config, match):
    with pytest.raises(NotImplementedError, match=match):
        keras.layers.Dense.from_config(config)


def test_batch_renormalization_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="renorm=True"):
        keras.layers.BatchNormalization(renorm=True)


def test_initializer_fan_axes_from_keras_3_15():
    init = keras.initializers.deserialize({
        "module": "keras.initializers", "class_name": "VarianceScaling", "registered_name": None,
        "config": {"seed": 1, "scale": 1.0, "mode": "fan_in", "distribution": "uniform",
                   "input_axes": [0, 1], "output_axes": [2]}})
    values = init((4, 5, 3))
    limit = np.sqrt(3.0 / 20)  # fan_in = 4 * 5 over axes 0 and 1
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.8 * limit
    assert init.get_config()["input_axes"] == [0, 1]
    assert "input_axes" not in keras.initializers.GlorotUniform().get_config()
