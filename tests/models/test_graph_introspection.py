"""Graph introspection as in Keras 3: layer.input / layer.output, model.inputs / outputs for
Sequential and functional models (feature extraction), layers called on several tensors."""
import numpy as np
import pytest

import lamina
from lamina import keras


def x_data(n=6, d=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype("float32")


def test_layer_input_and_output_are_its_first_call():
    dense = keras.layers.Dense(3)
    with pytest.raises(AttributeError, match="has never been called and thus has no defined "
                                             "input"):
        dense.input
    a, b = keras.Input((4,)), keras.Input((4,))
    first = dense(a)
    dense(b)  # a second call: Keras 3 keeps answering with the first one
    assert dense.input is a and dense.output is first
    assert dense.output.shape == (None, 3) and dense.output_shape == (None, 3)
    layer = a.layer
    assert layer.output is a


def test_functional_model_inputs_outputs_and_shapes():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    merged = keras.layers.concatenate([keras.layers.Dense(3)(a), b])
    out = keras.layers.Dense(1)(merged)
    model = keras.Model({"a": a, "b": b}, [out])
    assert model.inputs == [a, b] and model.outputs == [out]
    assert model.input == {"a": a, "b": b} and model.output == [out]
    assert model.input_shape == [(None, 4), (None, 2)] and model.output_shape == (None, 1)
    assert keras.Model(a, out_a := keras.layers.Dense(2)(a)).input_shape == (None, 4)
    assert out_a.shape == (None, 2)


def test_sequential_inputs_outputs_and_shapes():
    model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(2)])
    with pytest.raises(AttributeError, match="Sequential model 'sequential.*' has no defined "
                                             "inputs yet"):
        model.inputs
    model.build((None, 4))
    (inp,), (out,) = model.inputs, model.outputs
    assert inp.shape == (None, 4) and out.shape == (None, 2)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert model.layers[0].input is inp and model.layers[-1].output is out
    given = keras.Input((5,), name="pixels")
    named = keras.Sequential([given, keras.layers.Dense(1)])
    assert named.inputs == [given]


def test_feature_extraction_from_a_sequential_model():
    lamina.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(2)])
    model.add(keras.layers.Dense(1))  # a rebuild keeps layer.output in the current graph
    extractor = keras.Model(inputs=model.inputs,
                            outputs=[layer.output for layer in model.layers])
    x = x_data()
    features = extractor.predict(x, verbose=0)
    assert [f.shape for f in features] == [(6, 3), (6, 2), (6, 1)]
    (w1, b1), (w2, b2), (w3, b3) = [layer.get_weights() for layer in model.layers]
    h1 = np.maximum(x @ w1 + b1, 0)
    np.testing.assert_allclose(features[0], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(features[1], h1 @ w2 + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(features[2], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_feature_extraction_from_a_functional_model_by_name():
    lamina.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="tanh", name="hidden")(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    model = keras.Model(inputs, outputs)
    extractor = keras.Model(model.input, model.get_layer("hidden").output)
    x = x_data()
    kernel, bias = model.get_layer("hidden").get_weights()
    np.testing.assert_allclose(extractor.predict(x, verbose=0), np.tanh(x @ kernel + bias),
                               rtol=1e-5, atol=1e-6)


class LogisticEndpoint(keras.layers.Layer):
    """The endpoint layer of Keras's functional API guide: logits and targets in, a loss added."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, logits, targets=None, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return lamina.ops.sigmoid(logits)


def test_layer_called_on_two_tensors_trains_with_its_added_loss():
    lamina.utils.set_random_seed(0)
    inputs = keras.Input((3,), name="inputs")
    targets = keras.Input((2,), name="targets")
    logits = keras.layers.Dense(2)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    assert model.get_layer("predictions").input == [logits, targets]
    model.compile(optimizer=keras.optimizers.Adam(0.05))  # no loss: the layer adds it
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((32, 3)).astype("float32"),
            "targets": (rng.random((32, 2)) > 0.5).astype("float32")}
    history = model.fit(data, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probabilities = model.predict(data, verbose=0)
    z = np.log(probabilities / (1 - probabilities))
    t = data["targets"]
    bce = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert model.evaluate(data, verbose=0) == pytest.approx(bce, rel=1e-4)


def test_layer_with_keyword_tensor_and_config_round_trip():
    class Scale(keras.layers.Layer):
        def call(self, x, factor=None):
            return x * factor

    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = Scale(name="scale")(a, factor=b)
    pair = keras.layers.Add(name="add")([a, out])
    model = keras.Model([a, b], pair)
    x, f = x_data(d=3), x_data(d=3, seed=1)
    expected = x + x * f
    np.testing.assert_allclose(model.predict([x, f], verbose=0), expected, rtol=1e-6)
    config = model.get_config()
    scale_node = next(l for l in config["layers"] if l["name"] == "scale")["inbound_nodes"][0]
    assert scale_node["kwargs"]["factor"]["config"]["keras_history"] == ["b", 0, 0]
    rebuilt = keras.Model.from_config(config, custom_objects={"Scale": Scale})
    np.testing.assert_allclose(rebuilt.predict([x, f], verbose=0), expected, rtol=1e-6)


def test_two_positional_tensors_are_saved_as_two_args():
    class Difference(keras.layers.Layer):
        def call(self, a, b):
            return a - b

    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], Difference(name="diff")(a, b))
    node = next(l for l in model.get_config()["layers"] if l["name"] == "diff")
    assert [arg["config"]["keras_history"] for arg in node["inbound_nodes"][0]["args"]] == [
        ["a", 0, 0], ["b", 0, 0]]
    rebuilt = keras.Model.from_config(model.get_config(), custom_objects={"Difference": Difference})
    x, y = x_data(d=3), x_data(d=3, seed=1)
    np.testing.assert_allclose(rebuilt.predict([x, y], verbose=0), x - y, rtol=1e-6)
