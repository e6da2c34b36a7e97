"""keras.constraints: the projections, their configs, and their use by layers and optimizers."""
import numpy as np
import pytest

from lamina import constraints, keras, saving


W = np.array([[3.0, -0.1, 0.0], [4.0, 0.2, -2.0]], "float32")  # column norms 5, ~0.224, 2


@pytest.mark.parametrize("constraint, expected", [
    (constraints.MaxNorm(2.0), W * np.minimum(1.0, 2.0 / np.linalg.norm(W, axis=0))),
    (constraints.UnitNorm(), W / np.linalg.norm(W, axis=0)),
    (constraints.NonNeg(), np.maximum(W, 0)),
    (constraints.MinMaxNorm(0.5, 1.0),
     W * np.clip(np.linalg.norm(W, axis=0), 0.5, 1.0) / np.linalg.norm(W, axis=0)),
    (constraints.MinMaxNorm(0.5, 1.0, rate=0.5),
     W * (0.5 * np.clip(np.linalg.norm(W, axis=0), 0.5, 1.0) + 0.5 * np.linalg.norm(W, axis=0))
     / np.linalg.norm(W, axis=0)),
    (constraints.MaxNorm(1.0, axis=1), W / np.maximum(1.0, np.linalg.norm(W, axis=1))[:, None]),
])
def test_projections(constraint, expected):
    np.testing.assert_allclose(np.asarray(constraint(W)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, cls", [("max_norm", constraints.MaxNorm),
                                       ("MinMaxNorm", constraints.MinMaxNorm),
                                       ("non_neg", constraints.NonNeg),
                                       ("unit_norm", constraints.UnitNorm)])
def test_get_serialize_deserialize(name, cls):
    obj = constraints.get(name)
    assert isinstance(obj, cls)
    config = constraints.serialize(obj)
    assert config["class_name"] == cls.__name__
    again = constraints.deserialize(config)
    assert type(again) is cls and again.get_config() == obj.get_config()
    assert keras.constraints.get(name).get_config() == obj.get_config()


def test_keras_config_keys_and_unknown_names():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0,
                                                     "rate": 1.0, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    with pytest.raises(ValueError, match="Unknown constraint 'positive'"):
        constraints.get("positive")


def test_a_named_constraint_holds_during_training():
    model = keras.Sequential([keras.layers.Input((3,)),
                              keras.layers.Dense(4, kernel_constraint="non_neg",
                                                 bias_constraint=constraints.MaxNorm(0.1))])
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    model.fit(x, -10 * np.ones((16, 4), "float32"), epochs=2, verbose=0)
    kernel, bias = model.get_weights()
    assert (kernel >= 0).all() and kernel.max() > 0
    assert np.linalg.norm(bias) <= 0.1 + 1e-6


def test_optimizer_apply_gradients_applies_constraints():
    layer = keras.layers.Dense(2, kernel_constraint=constraints.UnitNorm())
    layer(np.ones((1, 3), "float32"))
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.apply_gradients([(np.ones((3, 2), "float32"), layer.kernel),
                               (np.ones(2, "float32"), layer.bias)])
    np.testing.assert_allclose(np.linalg.norm(layer.kernel.numpy(), axis=0), 1.0, rtol=1e-5)


def _constrained_layers():
    c = constraints.MaxNorm(1.5, axis=[0, 1, 2])
    return [
        keras.layers.Dense(2, kernel_constraint=constraints.MaxNorm(3.0), bias_constraint="non_neg"),
        keras.layers.Conv2D(2, 3, kernel_constraint=c, bias_constraint="non_neg"),
        keras.layers.DepthwiseConv2D(3, depthwise_constraint="non_neg", bias_constraint="non_neg"),
        keras.layers.SeparableConv2D(2, 3, depthwise_constraint="non_neg",
                                     pointwise_constraint="unit_norm", bias_constraint="non_neg"),
        keras.layers.BatchNormalization(beta_constraint="non_neg", gamma_constraint="unit_norm"),
        keras.layers.LayerNormalization(beta_constraint="non_neg", gamma_constraint="unit_norm"),
        keras.layers.Embedding(10, 2, embeddings_constraint="unit_norm"),
        keras.layers.LSTM(2, kernel_constraint="non_neg", recurrent_constraint="unit_norm",
                          bias_constraint=constraints.MinMaxNorm(0.1, 0.2, rate=0.5)),
        keras.layers.GRU(2, kernel_constraint="non_neg"),
        keras.layers.SimpleRNN(2, recurrent_constraint="max_norm"),
    ]


def _constraints_of(layer):
    return {k: v for k, v in layer.get_config().items() if k.endswith("_constraint") and v}


@pytest.mark.parametrize("layer", _constrained_layers(), ids=lambda l: type(l).__name__)
def test_every_layer_keeps_its_constraints_in_its_config(layer):
    saved = _constraints_of(layer)
    assert saved, "no constraint in the config"
    rebuilt = type(layer).from_config(layer.get_config())
    assert _constraints_of(rebuilt) == saved


@pytest.mark.parametrize("filename", ["m.keras", "m.h5", "clone"])
def test_save_load_and_clone_keep_constraints(filename, tmp_path):
    model = keras.Sequential([keras.layers.Input((3,)),
                              keras.layers.Dense(4, kernel_constraint=constraints.MaxNorm(0.5),
                                                 bias_constraint="non_neg")])
    if filename == "clone":
        other = keras.models.clone_model(model)
    else:
        saving.save_model(model, tmp_path / filename)
        other = saving.load_model(tmp_path / filename, compile=False)
    dense = other.layers[0]
    assert isinstance(dense.kernel_constraint, constraints.MaxNorm)
    assert dense.kernel_constraint.max_value == 0.5
    assert isinstance(dense.bias_constraint, constraints.NonNeg)
    assert dense.kernel.constraint is dense.kernel_constraint


def test_a_keras3_layer_config_with_a_constraint():
    from lamina.serialization import deserialize_keras_object
    entry = {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "d", "units": 2, "kernel_constraint": {
                 "module": "keras.constraints", "class_name": "MaxNorm",
                 "config": {"max_value": 3.0, "axis": 0}, "registered_name": None}}}
    layer = deserialize_keras_object(entry)
    assert isinstance(layer.kernel_constraint, constraints.MaxNorm)
    assert layer.kernel_constraint.max_value == 3.0
