"""serialize_keras_object / deserialize_keras_object over every built-in, and the registry."""
import inspect
import json

import numpy as np
import pytest

from lamina import activations, losses, metrics, optimizers, saving
from lamina.naming import snake_case as keras_snake_case
from lamina.serialization.serialization_lib import (builtin_table, deserialize_keras_object,
                                                    serialize_keras_object)

# constructor arguments for built-in layers that need some
LAYER_ARGS = {
    "Dense": (3,), "Activation": ("relu",), "Lambda": (activations.relu,), "Dropout": (0.5,), "Reshape": ((2, 2),),
    "Conv1D": (2, 3), "Conv2D": (2, 3), "Conv3D": (2, 3), "Conv2DTranspose": (2, 3),
    "SeparableConv2D": (2, 3), "DepthwiseConv2D": (3,), "Conv1DTranspose": (2, 3),
    "Embedding": (10, 3), "SimpleRNN": (4,), "LSTM": (4,), "GRU": (4,), "SimpleRNNCell": (4,),
    "LSTMCell": (4,), "GRUCell": (4,), "SpatialDropout1D": (0.5,), "SpatialDropout2D": (0.5,),
    "GaussianNoise": (0.1,), "GaussianDropout": (0.1,), "AlphaDropout": (0.1,),
    "RepeatVector": (3,), "Permute": ((2, 1),), "Rescaling": (0.5,), "CategoryEncoding": (4,),
    "Cropping1D": (1,), "Cropping2D": (1,), "Resizing": (4, 4), "CenterCrop": (4, 4),
    "InputLayer": ((3,),), "Masking": (), "Dot": (1,), "Bidirectional": "LSTM",
    "TimeDistributed": "Dense", "Discretization": ([0.0, 1.0],), "Hashing": (3,),
    "RandomRotation": (0.1,), "RandomZoom": (0.1,), "RandomTranslation": (0.1, 0.1),
    "RandomContrast": (0.1,), "RandomCrop": (4, 4), "RNN": "LSTMCell", "StackedRNNCells": ["LSTMCell", "GRUCell"],
}
NOT_LAYERS = {"Layer", "Model", "Sequential", "Functional", "InputSpec"}


def _round_trip(obj, **kwargs):
    config = json.loads(json.dumps(serialize_keras_object(obj)))
    back = deserialize_keras_object(config, **kwargs)
    assert type(back) is type(obj)
    assert json.loads(json.dumps(serialize_keras_object(back)))["config"] == config["config"]
    return config, back


def _layer_instances():
    seen = set()
    for name, cls in sorted(builtin_table("layers").items()):
        if name in NOT_LAYERS or name.startswith(("_", "Base")) or cls in seen:
            continue
        seen.add(cls)
        args = LAYER_ARGS.get(name, ())
        if isinstance(args, str):  # a wrapper around another layer
            args = (builtin_table("layers")[args](*LAYER_ARGS[args]),)
        elif isinstance(args, list):  # a list of other layers
            args = ([builtin_table("layers")[a](*LAYER_ARGS[a]) for a in args],)
        try:
            yield name, cls(*args)
        except TypeError:
            yield name, None


@pytest.mark.parametrize("name,layer", list(_layer_instances()), ids=lambda v: str(v)[:30])
def test_every_builtin_layer_round_trips(name, layer):
    if layer is None:
        pytest.fail(f"add constructor arguments for {name} to LAYER_ARGS")
    # a Lambda layer runs code from the file, so only a trusting load reads it back
    config, back = _round_trip(layer, **({"safe_mode": False} if name == "Lambda" else {}))
    assert config["module"] == "keras.layers" and config["class_name"] == type(layer).__name__
    assert back.name == layer.name


@pytest.mark.parametrize("kind", ["optimizers", "losses", "metrics", "initializers",
                                  "regularizers"])
def test_every_builtin_object_round_trips(kind):
    classes = {obj for obj in builtin_table(kind).values() if inspect.isclass(obj)}
    checked = 0
    for cls in sorted(classes, key=lambda c: c.__name__):
        try:
            obj = cls()
        except (TypeError, NotImplementedError):
            continue  # abstract bases and classes that need arguments
        try:
            obj.get_config()
        except NotImplementedError:
            continue
        config, _ = _round_trip(obj)
        assert config["module"] == f"keras.{kind}"
        checked += 1
    assert checked >= {"optimizers": 8, "losses": 10, "metrics": 15, "initializers": 10,
                       "regularizers": 3}[kind]


def test_settings_survive_the_round_trip():
    adam = optimizers.Adam(learning_rate=0.02, beta_1=0.8, clipnorm=1.0)
    _, back = _round_trip(adam)
    assert back.learning_rate == 0.02 and back.beta_1 == 0.8 and back.clipnorm == 1.0
    _, loss = _round_trip(losses.SparseCategoricalCrossentropy(from_logits=True))
    assert loss.get_config()["from_logits"] is True
    _, auc = _round_trip(metrics.AUC(num_thresholds=50, name="my_auc"))
    assert auc.name == "my_auc"


def test_functions_are_saved_by_name():
    config = serialize_keras_object(losses.mean_squared_error)
    assert config == {"module": "keras.losses", "class_name": "function",
                      "config": "mean_squared_error", "registered_name": "mean_squared_error"}
    assert deserialize_keras_object(config) is losses.mean_squared_error


def test_keras3_configs_with_newer_options_load():
    """Keras 3.15 writes DTypePolicy dicts and options lamina lacks, left at their defaults."""
    config = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
              "config": {"name": "d", "trainable": True, "units": 2, "activation": "relu",
                         "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                   "config": {"name": "float64"}, "registered_name": None},
                         "kernel_initializer": {
                             "module": "keras.initializers", "class_name": "GlorotUniform",
                             "config": {"seed": None, "input_axes": None, "output_axes": None},
                             "registered_name": None},
                         "quantization_config": None, "lora_rank": None}}
    layer = deserialize_keras_object(config)
    assert layer.units == 2 and layer.dtype == "float64"
    config["config"]["lora_rank"] = 4
    with pytest.raises(NotImplementedError, match="Dense has no LoRA.*lora_rank=4"):
        deserialize_keras_object(config)


def test_snake_case_follows_keras():
    assert keras_snake_case("Conv2D") == "conv2d"
    assert keras_snake_case("MaxPooling2D") == "max_pooling2d"
    assert keras_snake_case("BatchNormalization") == "batch_normalization"
    assert keras_snake_case("LSTMCell") == "lstm_cell"


def test_registry_and_scopes():
    @saving.register_keras_serializable(package="tests_reg", name="twice")
    def twice(x):
        return 2 * x

    assert saving.get_registered_name(twice) == "tests_reg>twice"
    assert saving.get_registered_object("tests_reg>twice") is twice
    config = serialize_keras_object(twice)
    assert config["registered_name"] == "tests_reg>twice"
    assert deserialize_keras_object(config)(np.float32(2)) == 4
    with pytest.raises(ValueError, match="already registered"):
        saving.register_keras_serializable(package="tests_reg", name="twice")(lambda x: x)
    saving.get_custom_objects().pop("tests_reg>twice")

    def thrice(x):
        return 3 * x
    with saving.CustomObjectScope({"outer": thrice}):
        with saving.custom_object_scope({"inner": twice}):
            assert saving.get_registered_object("outer") is thrice
            assert saving.get_registered_object("inner") is twice
        assert saving.get_registered_object("inner") is None
    assert saving.get_registered_object("outer") is None
    with pytest.raises(ValueError, match="Could not locate function 'thrice'.*custom_objects"):
        deserialize_keras_object({"module": "__main__", "class_name": "function",
                                  "config": "thrice", "registered_name": "thrice"})
