"""Functional models: the wide & deep example, merge layers, shared layers, nesting, errors."""
import numpy as np
import pytest

import lamina
from lamina import keras


def housing_like(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8))
    y = X[:, :3].sum(axis=1, keepdims=True) + 0.5 * X[:, 5:6] ** 2
    return X[:, :5], X[:, 2:], y


def wide_and_deep():
    input_A = keras.layers.Input(shape=[5], name="wide_input")
    input_B = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.concatenate([input_A, hidden2])
    output = keras.layers.Dense(1, name="main_output")(concat)
    aux_output = keras.layers.Dense(1, name="aux_output")(hidden2)
    return keras.Model(inputs=[input_A, input_B], outputs=[output, aux_output])


def test_wide_and_deep_script():
    lamina.utils.set_random_seed(0)
    X_train_A, X_train_B, y_train = housing_like(600)
    X_valid_A, X_valid_B, y_valid = housing_like(200, seed=1)
    X_test_A, X_test_B, y_test = housing_like(200, seed=2)
    model = wide_and_deep()
    assert isinstance(model, lamina.models.Functional)
    assert model.count_params() == 210 + 930 + 36 + 31
    model.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1], optimizer="sgd")
    history = model.fit((X_train_A, X_train_B), (y_train, y_train), epochs=20, verbose=0,
                        validation_data=((X_valid_A, X_valid_B), (y_valid, y_valid)))
    assert list(history.history) == ["loss", "main_output_loss", "aux_output_loss", "val_loss",
                                     "val_main_output_loss", "val_aux_output_loss"]
    total_loss, main_loss, aux_loss = model.evaluate((X_test_A, X_test_B), (y_test, y_test),
                                                     verbose=0)
    assert total_loss == pytest.approx(0.9 * main_loss + 0.1 * aux_loss, rel=1e-4)
    assert main_loss < np.var(y_test)  # it learned something
    y_main, y_aux = model.predict((X_test_A, X_test_B), verbose=0)
    assert y_main.shape == (200, 1) and y_aux.shape == (200, 1)


def test_losses_metrics_and_inputs_as_dicts():
    X_A, X_B, y = housing_like(100)
    model = wide_and_deep()
    model.compile(optimizer="adam", loss={"main_output": "mse", "aux_output": "mae"},
                  loss_weights={"main_output": 1.0, "aux_output": 0.5},
                  metrics={"main_output": ["mae"]})
    logs = model.evaluate({"wide_input": X_A, "deep_input": X_B},
                          {"main_output": y, "aux_output": y}, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "main_output_loss", "aux_output_loss", "main_output_mae"}
    assert logs["loss"] == pytest.approx(logs["main_output_loss"] + 0.5 * logs["aux_output_loss"],
                                         rel=1e-4)


def test_summary_has_connected_to_column(capsys):
    keras.backend.clear_session()
    wide_and_deep().summary()
    out = capsys.readouterr().out
    assert "Connected to" in out and len(out.splitlines()[1]) == 98
    assert "['deep_input[0][0]']" in out and "'dense_1[0][0]']" in out
    assert "Total params: 1,207" in out


def test_shared_layer_shares_weights_and_models_nest():
    inp_a = keras.Input(shape=(4,))
    inp_b = keras.Input(shape=(4,))
    shared = keras.layers.Dense(3, name="shared")
    merged = keras.layers.Add()([shared(inp_a), shared(inp_b)])
    model = keras.Model([inp_a, inp_b], merged)
    assert model.count_params() == 15 and len(model.trainable_weights) == 2
    x = np.ones((2, 4))
    np.testing.assert_allclose(model.predict([x, x], verbose=0),
                               2 * shared(x).numpy(), rtol=1e-6)
    inner = keras.Sequential([keras.layers.Dense(4, input_shape=(4,))])
    outer_in = keras.Input(shape=(4,))
    outer = keras.Model(outer_in, keras.layers.Dense(1)(inner(outer_in)))
    assert outer.count_params() == 20 + 5
    outer.compile(optimizer="sgd", loss="mse")
    outer.fit(np.ones((8, 4)), np.ones((8, 1)), verbose=0)


@pytest.mark.parametrize("layer, expected", [
    (keras.layers.Add(), lambda a, b: a + b),
    (keras.layers.Subtract(), lambda a, b: a - b),
    (keras.layers.Multiply(), lambda a, b: a * b),
    (keras.layers.Average(), lambda a, b: (a + b) / 2),
    (keras.layers.Maximum(), np.maximum),
    (keras.layers.Minimum(), np.minimum),
    (keras.layers.Concatenate(axis=1), lambda a, b: np.concatenate([a, b], axis=1)),
    (keras.layers.Dot(axes=1), lambda a, b: (a * b).sum(axis=1, keepdims=True)),
])
def test_merge_layers(layer, expected):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(layer([a, b]).numpy(), expected(a, b), rtol=1e-5, atol=1e-6)


def test_merge_function_forms_build_graphs():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    for fn in (keras.layers.add, keras.layers.subtract, keras.layers.multiply,
               keras.layers.average, keras.layers.maximum, keras.layers.minimum):
        assert fn([a, b]).shape == (None, 3)
    assert keras.layers.concatenate([a, b]).shape == (None, 6)
    assert keras.layers.dot([a, b], axes=1).shape == (None, 1)


def test_dot_gradients_match_pytorch():
    import torch
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    ta = lamina.Tensor(a, requires_grad=True, dtype="float64")
    tb = lamina.Tensor(b, requires_grad=True, dtype="float64")
    out = keras.layers.Dot(axes=1, dtype="float64")([ta, tb])
    g = rng.standard_normal(out.shape)
    out.backward(g)
    pa, pb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    pout = torch.einsum("nij,nik->njk", pa, pb)
    pout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), pout.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ta.grad.numpy(), pa.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(tb.grad.numpy(), pb.grad.numpy(), rtol=1e-10)


def test_graph_building_errors_name_the_layer_and_shapes():
    a, b = keras.Input(shape=(5,)), keras.Input(shape=(4, 3))
    with pytest.raises(ValueError, match=r"Concatenate.*\(None, 5\), \(None, 4, 3\)"):
        keras.layers.Concatenate(name="join")([a, b])
    dense = keras.layers.Dense(2, name="head")
    dense(keras.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r'"head".*value 3.*\(1, 7\)'):
        dense(keras.Input(shape=(7,)))
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, keras.layers.Dense(1)(keras.Input(shape=(2,))))


def test_wrong_number_of_inputs_and_targets():
    model = wide_and_deep()
    model.compile(optimizer="sgd", loss="mse")
    X_A, X_B, y = housing_like(10)
    with pytest.raises(ValueError, match="expects 2 input"):
        model.predict(X_A, verbose=0)
    with pytest.raises(ValueError, match="2 outputs"):
        model.fit((X_A, X_B), y, verbose=0)


def test_one_output_in_a_list_gives_one_array_and_one_tensor():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(2)(inputs)])
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    out = model(x)
    assert isinstance(out, lamina.Tensor) and out.shape == (5, 2)
    pred = model.predict(x, verbose=0)
    assert isinstance(pred, np.ndarray) and pred.shape == (5, 2)
    np.testing.assert_allclose(pred, out.numpy(), rtol=1e-6)
    model.compile(optimizer="sgd", loss=["mse"])
    assert model.fit(x, [np.zeros((5, 2))], verbose=0).history["loss"][0] > 0
