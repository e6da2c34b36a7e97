"""Model configs as Keras 3: Model.from_config (with custom_objects), to_json and
keras.models.model_from_json, custom_object_scope, functional subclasses rebuilt by class."""
import json

import numpy as np
import pytest

import lamina
from lamina import keras


class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def functional_model():
    lamina.utils.set_random_seed(0)
    inputs = keras.Input((4,), name="x")
    hidden = Scale(3.0, name="scale")(keras.layers.Dense(3, name="hidden")(inputs))
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(hidden), name="net")


def x_data():
    return np.random.default_rng(0).standard_normal((5, 4)).astype("float32")


def test_to_json_and_model_from_json_rebuild_the_architecture():
    model = functional_model()
    text = model.to_json(indent=1)
    config = json.loads(text)
    assert config["class_name"] == "Functional" and config["config"]["name"] == "net"
    with pytest.raises(ValueError, match="Could not locate .*'Scale'"):
        keras.models.model_from_json(text)
    rebuilt = keras.models.model_from_json(text, custom_objects={"Scale": Scale})
    assert [l.name for l in rebuilt.layers] == ["x", "hidden", "scale", "out"]
    assert rebuilt.get_layer("scale").factor == 3.0
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x_data(), verbose=0),
                               model.predict(x_data(), verbose=0), rtol=1e-6)
    sequential = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="seq")
    again = keras.models.model_from_json(sequential.to_json())
    assert isinstance(again, keras.Sequential) and again.name == "seq"
    assert again.output_shape == (None, 2)


def test_model_from_config_with_custom_objects_and_in_a_scope():
    model = functional_model()
    config = model.get_config()
    rebuilt = keras.Model.from_config(config, custom_objects={"Scale": Scale})
    assert isinstance(rebuilt, lamina.models.Functional) and rebuilt.name == "net"
    with keras.utils.custom_object_scope({"Scale": Scale}):
        scoped = keras.Model.from_config(config)
        layer = keras.layers.deserialize(keras.layers.serialize(model.get_layer("scale")))
    assert isinstance(layer, Scale) and layer.factor == 3.0
    assert [type(l).__name__ for l in scoped.layers] == ["InputLayer", "Dense", "Scale", "Dense"]


def test_functional_subclass_is_rebuilt_as_its_class():
    class Residual(keras.Model):
        def train_step(self, data):  # a custom step: the reason to subclass
            return super().train_step(data)

    inputs = keras.Input((4,))
    model = Residual(inputs, keras.layers.Add()([keras.layers.Dense(4)(inputs), inputs]))
    rebuilt = Residual.from_config(model.get_config())
    assert type(rebuilt) is Residual
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x_data(), verbose=0),
                               model.predict(x_data(), verbose=0), rtol=1e-6)


def test_subclassed_model_from_config_passes_the_config_to_the_constructor():
    class Mlp(keras.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = keras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {"units": self.units, "name": self.name}

    model = Mlp.from_config(Mlp(units=5, name="mlp").get_config())
    assert model.units == 5 and model.name == "mlp"
    with pytest.raises(TypeError, match="Unable to revive model from config"):
        Mlp.from_config({"width": 5})
