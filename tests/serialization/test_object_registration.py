"""The registry: lamina's classes register themselves when defined; user classes do not."""
import pytest

import lamina
from lamina import layers
from lamina.serialization import deserialize_keras_object, object_registration
from lamina.serialization.object_registration import base_class, builtin_table, keras_name


def test_builtins_registered_themselves():
    table = builtin_table("layers")
    assert table["Dense"] is layers.Dense and table["Convolution2D"] is layers.Conv2D
    assert table["Sequential"] is lamina.Sequential and builtin_table("models") is table
    assert builtin_table("losses")["mse"] is lamina.losses.mean_squared_error
    assert builtin_table("optimizers")["adam"] is lamina.optimizers.Adam
    assert base_class("Layer") is lamina.Layer and base_class("Model") is lamina.Model
    assert keras_name(lamina.Sequential) == ("keras", None)
    with pytest.raises(ValueError, match="Unknown object kind 'gadgets'"):
        builtin_table("gadgets")


def test_a_user_layer_is_not_a_builtin():
    class Scale(layers.Layer):
        pass

    assert "Scale" not in builtin_table("layers")
    config = {"module": "my_package.layers", "class_name": "Scale", "config": {}}
    with pytest.raises(ValueError, match="Could not locate layer class 'Scale'"):
        deserialize_keras_object(config, kind="layers")
    back = deserialize_keras_object(config, custom_objects={"Scale": Scale}, kind="layers")
    assert type(back) is Scale


def test_register_keras_serializable_names_the_package():
    @object_registration.register_keras_serializable(package="tests_pkg")
    class Shift(layers.Layer):
        pass

    try:
        assert object_registration.get_registered_name(Shift) == "tests_pkg>Shift"
        assert object_registration.get_registered_object("tests_pkg>Shift") is Shift
    finally:
        object_registration.GLOBAL_CUSTOM_OBJECTS.pop("tests_pkg>Shift")
        object_registration.GLOBAL_CUSTOM_NAMES.pop(Shift)
