"""Recurrent layers SimpleRNN, LSTM, GRU (and Masking): Keras's weights, options and masking."""
import numpy as np
import pytest

from lamina import backend, layers
from lamina.autograd import Tensor
from lamina.layers.embedding import Embedding
from lamina.layers.masking import Masking
from lamina.layers.recurrent import GRU, LSTM, SimpleRNN, _Cell
from lamina.models import Sequential
from lamina.ops import recurrent as recurrent_ops

RNNS = [SimpleRNN, LSTM, GRU]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def data(batch=3, steps=5, features=4, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


def f64(x):
    return Tensor(x, dtype="float64")


def test_lstm_matches_the_course_equations_on_its_own_weights():
    layer = LSTM(3, dtype="float64", bias_initializer="random_normal")
    x = data()
    y = layer(f64(x)).numpy()
    u = 3
    cell = layer.cell
    W, Uk, b = cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()

    def gate(k):  # W_k . [h, x] + b_k, from the layer's kernel/recurrent_kernel/bias slices
        return np.concatenate([Uk[:, k * u:(k + 1) * u], W[:, k * u:(k + 1) * u]]), \
            b[k * u:(k + 1) * u]

    (W_i, b_i), (W_f, b_f), (W_C, b_C), (W_o, b_o) = (gate(k) for k in range(4))
    h = C = np.zeros((3, u))
    for t in range(x.shape[1]):
        hx = np.concatenate([h, x[:, t]], axis=1)
        f = sigmoid(hx @ W_f + b_f)
        i = sigmoid(hx @ W_i + b_i)
        C_tilde = np.tanh(hx @ W_C + b_C)
        C = f * C + i * C_tilde
        o = sigmoid(hx @ W_o + b_o)
        h = o * np.tanh(C)
    np.testing.assert_allclose(y, h, rtol=1e-10, atol=1e-12)


def test_simple_rnn_and_gru_match_numpy_loops_of_keras_equations():
    x = data(seed=1)
    rnn = SimpleRNN(3, dtype="float64", bias_initializer="random_normal")
    y = rnn(f64(x)).numpy()
    W, Uk, b = (w.numpy() for w in rnn.weights)
    h = np.zeros((3, 3))
    for t in range(5):
        h = np.tanh(x[:, t] @ W + h @ Uk + b)
    np.testing.assert_allclose(y, h, rtol=1e-10)
    gru = GRU(3, dtype="float64", bias_initializer="random_normal")
    y = gru(f64(x)).numpy()
    W, Uk, b = (w.numpy() for w in gru.weights)
    h, u = np.zeros((3, 3)), 3
    for t in range(5):
        xw, hu = x[:, t] @ W + b[0], h @ Uk + b[1]
        z = sigmoid(xw[:, :u] + hu[:, :u])
        r = sigmoid(xw[:, u:2 * u] + hu[:, u:2 * u])
        h = z * h + (1 - z) * np.tanh(xw[:, 2 * u:] + r * hu[:, 2 * u:])
    np.testing.assert_allclose(y, h, rtol=1e-10)


@pytest.mark.parametrize("cls, n_states", [(SimpleRNN, 1), (LSTM, 2), (GRU, 1)])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shapes(cls, n_states, return_sequences, return_state):
    out = cls(6, return_sequences=return_sequences, return_state=return_state)(data())
    y_shape = (3, 5, 6) if return_sequences else (3, 6)
    if not return_state:
        assert isinstance(out, Tensor) and out.shape == y_shape and out.dtype == np.float32
        return
    assert isinstance(out, list) and len(out) == 1 + n_states
    assert out[0].shape == y_shape and all(s.shape == (3, 6) for s in out[1:])
    if return_sequences:
        np.testing.assert_array_equal(out[0].numpy()[:, -1], out[1].numpy())
    else:
        assert out[0] is out[1]


@pytest.mark.parametrize("cls, k, bias, cell", [
    (SimpleRNN, 1, (8,), "simple_rnn_cell"), (LSTM, 4, (32,), "lstm_cell"),
    (GRU, 3, (2, 24), "gru_cell")])
def test_weights_are_named_shaped_and_ordered_as_in_keras(cls, k, bias, cell):
    layers.clear_session()
    layer = cls(8)
    layer(data(features=5))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(5, k * 8), (8, k * 8), bias]
    name = layer.name
    assert [w.path for w in layer.weights] == [f"{name}/{cell}/kernel",
                                               f"{name}/{cell}/recurrent_kernel",
                                               f"{name}/{cell}/bias"]
    extra = 1 if cls is GRU else 0  # reset_after: a second (recurrent) bias
    assert layer.count_params() == k * 8 * (5 + 8 + 1 + extra)


def test_param_counts_equal_keras_for_the_usual_sizes():
    lstm, gru, rnn = LSTM(64), GRU(64), SimpleRNN(64)
    for layer in (lstm, gru, rnn):
        layer(np.zeros((1, 2, 128)))
    assert lstm.count_params() == 4 * 64 * (128 + 64 + 1) == 49408
    assert gru.count_params() == 3 * 64 * (128 + 64 + 2)
    assert rnn.count_params() == 64 * (128 + 64 + 1)
    gru_v1 = GRU(64, reset_after=False)
    gru_v1(np.zeros((1, 2, 128)))
    assert gru_v1.cell.bias.shape == (192,) and gru_v1.count_params() == 3 * 64 * (128 + 64 + 1)


def test_default_initializers_and_unit_forget_bias():
    layer = LSTM(4)
    layer(data())
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0] * 4 + [1] * 4 + [0] * 8)
    R = layer.cell.recurrent_kernel.numpy()
    np.testing.assert_allclose(R @ R.T, np.eye(4), atol=1e-5)  # orthogonal (4 x 16) rows
    off = LSTM(4, unit_forget_bias=False, use_bias=True)
    off(data())
    np.testing.assert_array_equal(off.cell.bias.numpy(), np.zeros(16))
    nobias = GRU(4, use_bias=False)
    nobias(data())
    assert [w.name for w in nobias.weights] == ["kernel", "recurrent_kernel"]


@pytest.mark.parametrize("cls", RNNS)
def test_one_training_step_changes_the_weights(cls):
    model = Sequential([cls(4, input_shape=(5, 3)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = [w.numpy() for w in model.weights]
    x, y = data(8, 5, 3), np.random.default_rng(1).standard_normal((8, 1))
    history = model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.allclose(a, w.numpy()) for a, w in zip(before, model.weights))


@pytest.mark.parametrize("cls", RNNS)
def test_config_round_trip_rebuilds_the_same_layer(cls):
    layer = cls(5, return_sequences=True, go_backwards=True, dropout=0.25,
                recurrent_dropout=0.5, activation="relu", kernel_regularizer="l2", seed=3)
    x = data()
    y = layer(x).numpy()
    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y, rtol=1e-6)
    assert config["units"] == 5 and config["activation"] == "relu"
    assert config["dropout"] == 0.25 and config["go_backwards"] and config["return_sequences"]


def test_keras_2_and_3_only_arguments_are_accepted():
    LSTM(2, implementation=1, unroll=True, time_major=False)(data())
    assert SimpleRNN(2, input_dim=4, input_length=5)._batch_input_shape == (None, 5, 4)
    GRU(2, use_cudnn="auto", zero_output_for_mask=True)(data())
    with pytest.raises(TypeError, match="unexpected keyword argument 'unit'"):
        LSTM(2, unit=3)


def test_invalid_units_and_inputs_are_reported():
    with pytest.raises(ValueError, match="units.*got 0"):
        GRU(0)
    layer = LSTM(2, name="enc")
    with pytest.raises(ValueError, match='"enc".*ndim=3.*\\(4, 3\\)'):
        layer(np.zeros((4, 3)))
    layer(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match='"enc".*value 3.*\\(1, 2, 4\\)'):
        layer(np.zeros((1, 2, 4)))


def test_go_backwards_reads_the_sequence_reversed():
    x = data()
    fwd = LSTM(4, dtype="float64")
    back = LSTM(4, dtype="float64", go_backwards=True, return_sequences=True)
    fwd(x)
    back(x)
    back.set_weights(fwd.get_weights())
    seq = back(x).numpy()
    np.testing.assert_allclose(seq[:, -1], fwd(x[:, ::-1]).numpy(), rtol=1e-12)


def test_initial_state_is_used_and_checked():
    x = data()
    layer = GRU(3, dtype="float64", return_state=True)
    h0 = np.random.default_rng(2).standard_normal((3, 3))
    out, h = layer(x, initial_state=[h0])
    # one step later, the same layer continues from its own final state
    out2, _ = layer(x[:, 1:], initial_state=[layer(x[:, :1])[1]])
    np.testing.assert_allclose(out2.numpy(), layer(x)[0].numpy(), rtol=1e-12)
    assert not np.allclose(out.numpy(), layer(x)[0].numpy())
    with pytest.raises(ValueError, match="expects 2 initial state\\(s\\) \\(h, c\\).*received 1"):
        LSTM(3)(x, initial_state=[h0])
    with pytest.raises(ValueError, match="initial state h of shape \\(3, 3\\).*\\(3, 2\\)"):
        layer(x, initial_state=[np.zeros((3, 2))])


@pytest.mark.parametrize("cls", RNNS)
def test_trailing_padding_does_not_change_the_result(cls):
    layers.clear_session()
    emb = Embedding(10, 4, mask_zero=True)
    rnn = cls(3)
    tokens = np.array([[3, 5, 2, 7], [4, 1, 9, 9]])
    padded = np.concatenate([tokens, np.zeros((2, 3), int)], axis=1)
    short = rnn(emb(tokens)).numpy()
    long = rnn(emb(padded)).numpy()
    np.testing.assert_allclose(long, short, rtol=1e-6)
    unmasked = cls.from_config(rnn.get_config())
    unmasked(np.zeros((1, 2, 4)))
    unmasked.set_weights(rnn.get_weights())
    assert not np.allclose(unmasked(emb(padded).detach()).numpy(), short)


def test_masked_steps_repeat_the_previous_output_and_the_mask_passes_on():
    x = data(2, 5, 3)
    x[0, 2:] = 0.0
    x[1, :2] = 0.0
    masking = Masking(0.0)
    rnn = LSTM(4, return_sequences=True)
    xm = masking(x)
    np.testing.assert_array_equal(backend.to_numpy(xm._keras_mask), [[1, 1, 0, 0, 0], [0, 0, 1, 1, 1]])
    y = rnn(xm)
    seq = y.numpy()
    np.testing.assert_array_equal(backend.to_numpy(y._keras_mask), backend.to_numpy(xm._keras_mask))
    np.testing.assert_array_equal(seq[0, 2], seq[0, 1])
    np.testing.assert_array_equal(seq[0, 4], seq[0, 1])
    np.testing.assert_array_equal(seq[1, :2], 0.0)  # zero initial state kept
    assert getattr(LSTM(2)(xm), "_keras_mask", None) is None  # no sequence, no mask
    zeros = LSTM(4, return_sequences=True, zero_output_for_mask=True)
    zeros(xm)
    zeros.set_weights(rnn.get_weights())
    zs = zeros(xm).numpy()
    np.testing.assert_array_equal(zs[0, 2:], 0.0)
    np.testing.assert_allclose(zs[1, 2:], seq[1, 2:], rtol=1e-6)


def test_masking_layer_zeroes_masked_steps_and_round_trips():
    x = np.array([[[1.0, 2.0], [-1.0, -1.0], [0.0, 3.0]]])
    m = Masking(mask_value=-1.0)
    y = m(x)
    np.testing.assert_array_equal(y.numpy(), [[[1, 2], [0, 0], [0, 3]]])
    np.testing.assert_array_equal(backend.to_numpy(y._keras_mask), [[True, False, True]])
    assert Masking.from_config(m.get_config()).mask_value == -1.0


@pytest.mark.parametrize("cls, options", [
    (SimpleRNN, {}), (LSTM, {}), (GRU, {}), (GRU, {"reset_after": False}),
    (LSTM, {"go_backwards": True, "use_bias": False})])
def test_the_step_loop_of_the_cells_agrees_with_the_fused_op(monkeypatch, cls, options):
    """The cell's one-step code (used for activations without a fused op) and the fused op
    give the same outputs and gradients, with a mask, dropout and return_state."""
    x = data(2, 4, 3)
    mask = np.array([[True, True, False, True], [False, True, True, True]])
    results = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(_Cell, "_fused_names", lambda self: None)
        layer = cls(2, dtype="float64", return_sequences=True, return_state=True,
                    dropout=0.5, recurrent_dropout=0.5, seed=11,
                    bias_initializer="random_normal", **options)
        layer.build((None, 4, 3))
        layer.set_weights([np.random.default_rng(i).standard_normal(w.shape)
                           for i, w in enumerate(layer.weights)])
        xt = Tensor(x, requires_grad=True, dtype="float64")
        outs = layer(xt, mask=mask, training=True)
        loss = sum(float(i + 1) * o.sum() for i, o in enumerate(outs))
        loss.backward()
        results.append([o.numpy() for o in outs] + [xt.grad.numpy()] +
                       [w.grad.numpy() for w in layer.weights])
    for fused, looped in zip(*results):
        np.testing.assert_allclose(looped, fused, rtol=1e-9, atol=1e-12)


def test_activations_without_a_fused_op_use_the_cell_loop_and_train():
    layer = LSTM(3, activation="softsign", recurrent_activation="hard_silu")
    assert layer.cell._fused_names() is None
    model = Sequential([layer, layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(data(4, 3, 2), np.ones((4, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert LSTM(3, activation="relu").cell._fused_names() == ["relu", "sigmoid"]


def test_dropout_masks_are_drawn_once_per_sequence_and_only_in_training():
    x = data(2, 6, 3).astype(np.float32)
    layer = LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=5)
    inference = layer(x).numpy()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), inference)
    trained = layer(x, training=True).numpy()
    assert not np.allclose(trained, inference)
    # the same seeded generator gives one (batch, features) and one (batch, units) mask
    rng = np.random.default_rng(5)
    dm = (rng.random((2, 3), dtype=np.float32) >= 0.5) / np.float32(0.5)
    rm = (rng.random((2, 4), dtype=np.float32) >= 0.5) / np.float32(0.5)
    expected = recurrent_ops.lstm(x, layer.cell.kernel, layer.cell.recurrent_kernel,
                                  layer.cell.bias, dropout_mask=dm,
                                  recurrent_dropout_mask=rm)[0].numpy()
    np.testing.assert_allclose(trained, expected, rtol=1e-6)


def test_regularizers_and_activity_regularizer_add_losses():
    layer = GRU(3, kernel_regularizer="l2", recurrent_regularizer="l1",
                activity_regularizer="l2")
    layer(data())
    assert len(layer.losses) == 3 and all(float(loss.numpy()) > 0 for loss in layer.losses)


def test_summary_shapes_in_a_sequential_model():
    model = Sequential([Embedding(100, 8, input_length=7, mask_zero=True),
                        LSTM(16, return_sequences=True), GRU(4)])
    assert model.layers[0].output_shape == (None, 7, 8)
    assert model.layers[1].output_shape == (None, 7, 16)
    assert model.output_shape == (None, 4)
    assert model.count_params() == 800 + 4 * 16 * (8 + 16 + 1) + 3 * 4 * (16 + 4 + 2)
