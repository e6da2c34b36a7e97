"""RNN(cell) over built-in and custom cells, StackedRNNCells, cells called directly, and
stateful recurrent layers."""
import io

import numpy as np
import pytest
import torch

from lamina import keras, ops
from lamina.autograd import Tensor, gradcheck
from lamina.saving import register_keras_serializable

L = keras.layers


def data(batch=3, steps=5, features=4, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


def f64(x):
    return Tensor(x, dtype="float64")


@register_keras_serializable(package="test_rnn")
class MinimalRNNCell(L.Layer):
    """The cell of Keras's RNN docstring: h = x W + h_prev U, state_size an int."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform", name="recurrent_kernel")

    def call(self, inputs, states):
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@register_keras_serializable(package="test_rnn")
class TwoStateCell(L.Layer):
    """A cell with two states of different sizes: a running sum of x and a tanh memory."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, 2 * units]
        self.output_size = 2 * units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.mix = self.add_weight(shape=(self.units, 2 * self.units), name="mix")

    def call(self, inputs, states):
        total = states[0] + ops.matmul(inputs, self.kernel)
        memory = ops.tanh(states[1] + ops.matmul(total, self.mix))
        return memory, [total, memory]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_rnn_over_a_custom_cell_matches_a_numpy_loop():
    x = data()
    layer = L.RNN(MinimalRNNCell(6, dtype="float64"), return_sequences=True, return_state=True)
    seq, h = layer(f64(x))
    W, U = layer.cell.kernel.numpy(), layer.cell.recurrent_kernel.numpy()
    expected, state = [], np.zeros((3, 6))
    for t in range(5):
        state = x[:, t] @ W + state @ U
        expected.append(state)
    np.testing.assert_allclose(seq.numpy(), np.stack(expected, 1), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), state, rtol=1e-12)
    assert [w.path for w in layer.weights] == [f"{layer.name}/{layer.cell.name}/kernel",
                                               f"{layer.name}/{layer.cell.name}/recurrent_kernel"]


def test_a_cell_with_two_states_of_different_sizes():
    x = data(2, 4, 3, seed=1)
    layer = L.RNN(TwoStateCell(2, dtype="float64"), return_state=True, go_backwards=True)
    out, total, memory = layer(f64(x))
    assert out.shape == (2, 4) and total.shape == (2, 2) and memory.shape == (2, 4)
    K, M = layer.cell.kernel.numpy(), layer.cell.mix.numpy()
    t_state, m_state = np.zeros((2, 2)), np.zeros((2, 4))
    for t in reversed(range(4)):
        t_state = t_state + x[:, t] @ K
        m_state = np.tanh(m_state + t_state @ M)
    np.testing.assert_allclose(total.numpy(), t_state, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), m_state, rtol=1e-12)
    inp = keras.Input((None, 3))
    assert L.RNN(TwoStateCell(2), return_sequences=True)(inp).shape == (None, None, 4)


@pytest.mark.parametrize("cell_cls, layer_cls", [(L.SimpleRNNCell, L.SimpleRNN),
                                                 (L.LSTMCell, L.LSTM), (L.GRUCell, L.GRU)])
def test_rnn_over_a_built_in_cell_equals_the_layer(cell_cls, layer_cls):
    x = data(seed=2)
    rnn = L.RNN(cell_cls(4, dtype="float64"), return_sequences=True)
    layer = layer_cls(4, dtype="float64", return_sequences=True)
    rnn(f64(x))
    layer(f64(x))
    layer.set_weights(rnn.get_weights())
    np.testing.assert_allclose(rnn(f64(x)).numpy(), layer(f64(x)).numpy(), rtol=1e-12)
    assert [w.shape for w in rnn.weights] == [w.shape for w in layer.weights]


def test_cells_called_directly_return_output_and_new_states():
    x = np.random.default_rng(3).standard_normal((2, 3))
    lstm = L.LSTMCell(4, dtype="float64", bias_initializer="random_normal")
    h0, c0 = np.full((2, 4), 0.1), np.full((2, 4), -0.2)
    out, (h, c) = lstm(f64(x), [h0, c0])
    W, U, b = (w.numpy() for w in lstm.weights)
    z = x @ W + h0 @ U + b
    i, f, g, o = np.split(z, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_ref = sig(f) * c0 + sig(i) * np.tanh(g)
    np.testing.assert_allclose(c.numpy(), c_ref, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), sig(o) * np.tanh(c_ref), rtol=1e-12)
    assert lstm.state_size == [4, 4] and lstm.output_size == 4
    simple = L.SimpleRNNCell(4)
    out, state = simple(x.astype("float32"), np.zeros((2, 4), "float32"))  # one state, not a list
    assert isinstance(state, Tensor) and np.allclose(out.numpy(), state.numpy())
    out, states = L.GRUCell(3)(x.astype("float32"), [np.zeros((2, 3), "float32")])
    assert isinstance(states, list) and states[0].shape == (2, 3)
    assert L.GRUCell(3).state_size == 3
    with pytest.raises(ValueError, match="expects 2 state\\(s\\) \\(h, c\\).*received 1"):
        lstm(f64(x), [h0])


def test_stacked_cells_match_two_pytorch_lstm_layers():
    x = data(2, 6, 3, seed=4)
    cells = [L.LSTMCell(5, dtype="float64"), L.LSTMCell(4, dtype="float64")]
    layer = L.RNN(L.StackedRNNCells(cells), return_sequences=True, return_state=True)
    seq, (h1, c1), (h2, c2) = layer(f64(x))
    torch_lstm = [torch.nn.LSTM(3, 5, batch_first=True).double(),
                  torch.nn.LSTM(5, 4, batch_first=True).double()]
    with torch.no_grad():
        for cell, t in zip(cells, torch_lstm):
            t.weight_ih_l0.copy_(torch.tensor(cell.kernel.numpy().T))
            t.weight_hh_l0.copy_(torch.tensor(cell.recurrent_kernel.numpy().T))
            t.bias_ih_l0.copy_(torch.tensor(cell.bias.numpy()))
            t.bias_hh_l0.zero_()
        y1, (th1, tc1) = torch_lstm[0](torch.tensor(x))
        y2, (th2, tc2) = torch_lstm[1](y1)
    np.testing.assert_allclose(seq.numpy(), y2.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c1.numpy(), tc1[0].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h2.numpy(), th2[0].numpy(), rtol=1e-10, atol=1e-12)
    # a list of cells is stacked too; state_size is nested
    stacked = L.RNN([L.GRUCell(3), MinimalRNNCell(2)])
    assert isinstance(stacked.cell, L.StackedRNNCells)
    assert stacked.cell.state_size == [3, 2] and stacked.cell.output_size == 2
    assert stacked(data()).shape == (3, 2)


def test_gradients_through_rnn_of_a_custom_cell():
    cell = MinimalRNNCell(3, dtype="float64")
    layer = L.RNN(cell, return_sequences=True)
    x = f64(data(2, 3, 2, seed=5) * 0.5)
    layer(x)

    def run(kernel, recurrent_kernel, inputs):
        cell.kernel, cell.recurrent_kernel = kernel, recurrent_kernel
        return layer(inputs)
    gradcheck(run, cell.kernel.numpy(), cell.recurrent_kernel.numpy(), x.numpy())


def test_masked_steps_keep_the_states_in_the_generic_loop():
    x = data(2, 5, 3, seed=7)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = L.RNN(MinimalRNNCell(4, dtype="float64"), return_sequences=True)
    full = layer(f64(x), mask=mask).numpy()
    short = layer(f64(x[:1, :3])).numpy()
    np.testing.assert_allclose(full[0, 3:], np.repeat(short[:, -1:], 2, axis=1)[0])
    zeroed = L.RNN(layer.cell, return_sequences=True, zero_output_for_mask=True)
    np.testing.assert_array_equal(zeroed(f64(x), mask=mask).numpy()[0, 3:], 0)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_stateful_layers_continue_from_the_previous_batch(cls):
    x = data(2, 6, 3, seed=8)
    plain = cls(4, dtype="float64")
    stateful = cls(4, dtype="float64", stateful=True)
    plain(f64(x))
    stateful(f64(x[:, :1]))
    stateful.reset_states()
    stateful.set_weights(plain.get_weights())
    stateful(f64(x[:, :2]))
    second = stateful(f64(x[:, 2:])).numpy()  # starts from the states after x[:, :2]
    np.testing.assert_allclose(second, plain(f64(x)).numpy(), rtol=1e-10)
    assert len(stateful.states) == (2 if cls is L.LSTM else 1)
    assert stateful.weights == stateful.trainable_weights  # the states are not weights
    stateful.reset_states()
    np.testing.assert_array_equal(stateful.states[0].numpy(), 0)
    np.testing.assert_allclose(stateful(f64(x)).numpy(), plain(f64(x)).numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match="Expected batch size: 2\n- Received batch size: 3"):
        stateful(f64(data(3, 2, 3)))
    with pytest.raises(AttributeError, match="not stateful"):
        plain.reset_states()


def test_bidirectional_over_stateful_layers_and_custom_cells():
    x = data(2, 4, 3, seed=11)
    both = L.Bidirectional(L.GRU(3, stateful=True))
    first = both(x).numpy()
    assert both.stateful and not np.allclose(both(x).numpy(), first)
    both.reset_states()
    np.testing.assert_allclose(both(x).numpy(), first, rtol=1e-6)
    custom = L.Bidirectional(L.RNN(MinimalRNNCell(2)), merge_mode="sum")
    assert custom(x).shape == (2, 2)


def test_a_stateful_model_fits_and_predicts_batch_after_batch():
    model = keras.Sequential([L.LSTM(4, stateful=True, batch_input_shape=(2, 3, 1)),
                              L.Dense(1)])
    x = np.random.default_rng(9).random((6, 3, 1)).astype("float32")
    model.compile("adam", "mse")
    model.fit(x, x[:, -1], batch_size=2, epochs=2, shuffle=False, verbose=0)
    lstm = model.layers[0]
    assert lstm.states[0].shape == (2, 4) and np.abs(lstm.states[0].numpy()).sum() > 0
    lstm.reset_states()
    first = model.predict(x[:2], batch_size=2, verbose=0)
    again = model.predict(x[:2], batch_size=2, verbose=0)  # continues: a different result
    assert not np.allclose(first, again)
    lstm.reset_states()
    np.testing.assert_allclose(model.predict(x[:2], batch_size=2, verbose=0), first, rtol=1e-6)


def test_sequential_starting_with_embedding_input_length_builds():
    model = keras.Sequential([L.Embedding(100, 8, input_length=10), L.LSTM(4),
                              L.Dense(1, activation="sigmoid")])
    assert model.built
    out = io.StringIO()
    model.summary(print_fn=lambda line: out.write(line + "\n"))
    text = out.getvalue()
    assert "(None, 10, 8)" in text and "(None, 4)" in text and "Total params: 1,013" in text


def test_rnn_of_custom_and_stacked_cells_saves_and_loads(tmp_path):
    inp = keras.Input((None, 3))
    x = L.RNN(L.StackedRNNCells([L.LSTMCell(4), MinimalRNNCell(3)]), return_sequences=True)(inp)
    out = L.RNN(TwoStateCell(2))(x)
    model = keras.Model(inp, out)
    path = str(tmp_path / "rnn.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    x = data(2, 5, 3, seed=10).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    config = model.layers[1].get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == ["LSTMCell",
                                                                           "MinimalRNNCell"]
    restored = L.RNN.from_config(model.layers[2].get_config())
    assert isinstance(restored.cell, TwoStateCell) and restored.cell.units == 2


def test_bad_cells_are_reported_with_keras_wording():
    with pytest.raises(ValueError, match="should have a `call` method. Received: cell=3"):
        L.RNN(3)
    with pytest.raises(ValueError, match="should have a `state_size` attribute"):
        L.RNN(L.Dense(3))
    with pytest.raises(ValueError, match="All cells must have a `state_size`"):
        L.StackedRNNCells([L.LSTMCell(2), L.Dense(2)])
    with pytest.raises(ValueError, match="expected ndim=3"):
        L.RNN(L.LSTMCell(2))(np.zeros((2, 3)))
