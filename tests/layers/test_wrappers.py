"""Bidirectional and TimeDistributed: Keras's shapes, parameter counts, values and configs."""
import numpy as np
import pytest

from lamina import backend, layers
from lamina.autograd import Tensor
from lamina.layers.embedding import Embedding
from lamina.layers.masking import Masking
from lamina.layers.recurrent import GRU, LSTM, SimpleRNN
from lamina.layers.wrappers import Bidirectional, TimeDistributed
from lamina.models import Sequential


def data(batch=2, steps=5, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features))


def test_bidirectional_lstm_param_count_and_weight_paths_equal_keras():
    layers.clear_session()
    bi = Bidirectional(LSTM(64))
    y = bi(np.zeros((1, 4, 128), np.float32))
    assert y.shape == (1, 128)
    assert bi.count_params() == 2 * (4 * 64 * (128 + 64 + 1)) == 98816
    assert [w.path for w in bi.weights] == [
        f"bidirectional/{d}_lstm/lstm_cell/{n}" for d in ("forward", "backward")
        for n in ("kernel", "recurrent_kernel", "bias")]
    assert bi.forward_layer.name == "forward_lstm" and not bi.forward_layer.go_backwards
    assert bi.backward_layer.name == "backward_lstm" and bi.backward_layer.go_backwards


@pytest.mark.parametrize("mode, shape", [("concat", (2, 8)), ("sum", (2, 4)), ("mul", (2, 4)),
                                         ("ave", (2, 4))])
def test_merge_modes(mode, shape):
    bi = Bidirectional(GRU(4, dtype="float64"), merge_mode=mode)
    x = Tensor(data(), dtype="float64")
    y = bi(x)
    assert y.shape == shape
    both = Bidirectional.from_config({**bi.get_config(), "merge_mode": None})
    both(x)
    both.set_weights(bi.get_weights())
    f, b = (t.numpy() for t in both(x))
    expected = {"concat": np.concatenate([f, b], -1), "sum": f + b, "mul": f * b,
                "ave": (f + b) / 2}[mode]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)


def test_bidirectional_values_are_a_forward_and_a_reversed_backward_rnn():
    x = Tensor(data(), dtype="float64")
    bi = Bidirectional(SimpleRNN(3, return_sequences=True, dtype="float64"))
    y = bi(x).numpy()
    assert y.shape == (2, 5, 6)
    fwd = SimpleRNN(3, return_sequences=True, dtype="float64")
    fwd(x)
    fwd.set_weights(bi.forward_layer.get_weights())
    back = SimpleRNN(3, return_sequences=True, dtype="float64")
    back(x)
    back.set_weights(bi.backward_layer.get_weights())
    np.testing.assert_allclose(y[..., :3], fwd(x).numpy(), rtol=1e-12)
    # the backward half, step t, has read the inputs from the end back to t
    np.testing.assert_allclose(y[..., 3:], back(Tensor(x.numpy()[:, ::-1], dtype="float64"))
                               .numpy()[:, ::-1], rtol=1e-12)


def test_bidirectional_return_state_and_initial_state():
    bi = Bidirectional(LSTM(3, return_state=True))
    out = bi(data())
    assert len(out) == 5 and out[0].shape == (2, 6)
    assert all(s.shape == (2, 3) for s in out[1:])
    np.testing.assert_array_equal(out[0].numpy()[:, :3], out[1].numpy())
    states = [np.full((2, 3), 0.5, np.float32)] * 4
    again = bi(data(), initial_state=states)
    assert not np.allclose(again[0].numpy(), out[0].numpy())
    none = Bidirectional(GRU(2, return_state=True), merge_mode=None)(data())
    assert len(none) == 4 and none[0].shape == none[1].shape == (2, 2)


def test_bidirectional_with_masking_ignores_padding_and_zeroes_masked_outputs():
    tokens = np.array([[4, 2, 7, 0, 0], [1, 3, 0, 0, 0]])
    emb = Embedding(8, 3, mask_zero=True)
    last = Bidirectional(LSTM(2))
    seq = Bidirectional(LSTM(2, return_sequences=True))
    a = last(emb(tokens)).numpy()
    b = last(emb(tokens[:, :3])).numpy()
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    y = seq(emb(tokens))
    np.testing.assert_array_equal(y.numpy()[0, 3:], 0.0)
    np.testing.assert_array_equal(y.numpy()[1, 2:], 0.0)
    np.testing.assert_array_equal(backend.to_numpy(y._keras_mask), tokens != 0)


def test_bidirectional_checks_its_arguments():
    with pytest.raises(ValueError, match="merge mode.*'max'"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="Layer` instance"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))


def test_bidirectional_custom_backward_layer_config_round_trip_and_training():
    bi = Bidirectional(LSTM(3, return_sequences=True),
                       backward_layer=GRU(3, go_backwards=True, return_sequences=True),
                       input_shape=(5, 3))
    model = Sequential([bi, layers.Flatten(), layers.Dense(1)])
    assert model.output_shape == (None, 1)
    model.compile(optimizer="adam", loss="mse")
    before = [w.numpy() for w in bi.weights]
    history = model.fit(data(4), np.ones((4, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(not np.allclose(a, w.numpy()) for a, w in zip(before, bi.weights))
    config = bi.get_config()
    assert config["layer"]["class_name"] == "LSTM"
    assert config["backward_layer"]["class_name"] == "GRU"
    clone = Bidirectional.from_config(config)
    assert clone.get_config()["backward_layer"] == config["backward_layer"]
    clone(data(4))
    clone.set_weights(bi.get_weights())
    np.testing.assert_allclose(clone(data(4)).numpy(), bi(data(4)).numpy(), rtol=1e-6)


def test_time_distributed_dense_shapes_params_values_and_paths():
    layers.clear_session()
    dense = layers.Dense(4)
    td = TimeDistributed(dense)
    x = data(2, 5, 3)
    y = td(x)
    assert y.shape == (2, 5, 4) and td.count_params() == 3 * 4 + 4
    assert [w.path for w in td.weights] == ["time_distributed/dense/kernel",
                                            "time_distributed/dense/bias"]
    for t in range(5):
        np.testing.assert_allclose(y.numpy()[:, t], dense(x[:, t]).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        TimeDistributed(layers.Dense(2))(np.zeros((2, 3)))


def test_time_distributed_passes_the_mask_on_and_round_trips():
    x = data(2, 4, 3)
    x[:, 3] = 0
    td = TimeDistributed(layers.Dense(2))
    y = td(Masking()(x))
    np.testing.assert_array_equal(backend.to_numpy(y._keras_mask), [[1, 1, 1, 0], [1, 1, 1, 0]])
    clone = TimeDistributed.from_config(td.get_config())
    assert clone.layer.units == 2 and clone.get_config() == td.get_config()
    model = Sequential([LSTM(3, return_sequences=True, input_shape=(4, 3)),
                        TimeDistributed(layers.Dense(1))])
    model.compile("sgd", "mse")
    assert model.output_shape == (None, 4, 1)
    assert np.isfinite(model.fit(x, np.ones((2, 4, 1)), verbose=0).history["loss"][0])
