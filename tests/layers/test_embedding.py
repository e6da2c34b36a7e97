"""Embedding: lookup, Keras weight, mask_zero, index errors, training, config."""
import numpy as np
import pytest

from lamina import backend, layers
from lamina.autograd import Tensor
from lamina.layers.embedding import Embedding
from lamina.models import Sequential


def test_lookup_shape_weight_name_and_default_initializer():
    layers.clear_session()
    emb = Embedding(50, 4)
    idx = np.array([[1, 2, 3], [4, 5, 49]])
    y = emb(idx)
    assert y.shape == (2, 3, 4) and y.dtype == np.float32
    assert [w.path for w in emb.weights] == ["embedding/embeddings"]
    assert emb.embeddings.shape == (50, 4) and emb.count_params() == 200
    table = emb.embeddings.numpy()
    np.testing.assert_array_equal(y.numpy(), table[idx])
    assert np.abs(table).max() <= 0.05 and table.std() > 0.01  # 'uniform': +-0.05


def test_float_indices_are_cast_and_higher_rank_inputs_work():
    emb = Embedding(10, 2)
    np.testing.assert_array_equal(emb(np.array([[1.0, 7.0]])).numpy(),
                                  emb(np.array([[1, 7]])).numpy())
    assert emb(np.zeros((2, 3, 4), int)).shape == (2, 3, 4, 2)


def test_out_of_range_indices_name_the_value_and_input_dim():
    emb = Embedding(10, 3, name="words")
    with pytest.raises(ValueError, match="'words'.*index 12.*input_dim=10"):
        emb(np.array([[1, 12]]))
    with pytest.raises(ValueError, match="index -1.*input_dim=10"):
        emb(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="output_dim=0"):
        Embedding(10, 0)


def test_mask_zero_gives_a_mask_and_by_default_there_is_none():
    idx = np.array([[3, 0, 1], [0, 0, 2]])
    masked = Embedding(5, 2, mask_zero=True)(idx)
    np.testing.assert_array_equal(backend.to_numpy(masked._keras_mask), idx != 0)
    assert getattr(Embedding(5, 2)(idx), "_keras_mask", None) is None


def test_gradient_sums_over_repeated_indices():
    emb = Embedding(6, 3, dtype="float64")
    idx = np.array([[1, 1, 5], [2, 1, 0]])
    gy = np.random.default_rng(0).standard_normal((2, 3, 3))
    emb(idx).backward(gy)
    expected = np.zeros((6, 3))
    np.add.at(expected, idx, gy)
    np.testing.assert_allclose(emb.embeddings.grad.numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(expected[3:5], 0.0)


def test_one_training_step_updates_only_the_rows_used():
    model = Sequential([Embedding(20, 4, input_length=3), layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = model.layers[0].embeddings.numpy()
    x = np.array([[1, 2, 3], [3, 4, 5]])
    history = model.fit(x, np.ones((2, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = model.layers[0].embeddings.numpy()
    changed = np.flatnonzero(np.any(after != before, axis=1))
    np.testing.assert_array_equal(changed, [1, 2, 3, 4, 5])


def test_input_length_sets_the_input_shape_as_in_keras_2():
    model = Sequential([Embedding(1000, 64, input_length=10)])
    assert model.output_shape == (None, 10, 64)
    assert Embedding(10, 2)._batch_input_shape is None


def test_config_round_trip_and_initial_weights():
    emb = Embedding(7, 3, mask_zero=True, embeddings_regularizer="l2",
                   embeddings_initializer="ones", name="emb")
    config = emb.get_config()
    assert config["input_dim"] == 7 and config["output_dim"] == 3 and config["mask_zero"]
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    table = np.arange(21, dtype=np.float32).reshape(7, 3)
    given = Embedding(7, 3, weights=[table])
    np.testing.assert_array_equal(given(np.array([[6]])).numpy(), [[table[6]]])
    clone(np.array([[1]]))
    assert len(clone.losses) == 1 and float(clone.losses[0].numpy()) == pytest.approx(0.01 * 21)


def test_embedding_output_feeds_gradients_back_through_an_rnn():
    from lamina.layers.recurrent import LSTM
    emb, lstm = Embedding(9, 3), LSTM(2)
    out = lstm(emb(np.array([[1, 2, 3, 0]])))
    out.sum().backward()
    grad = emb.embeddings.grad.numpy()
    assert np.abs(grad[[0, 1, 2, 3]]).sum() > 0 and np.all(grad[4:] == 0)
    assert isinstance(out, Tensor)
