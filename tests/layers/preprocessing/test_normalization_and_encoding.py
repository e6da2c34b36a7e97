"""Normalization, Rescaling, CategoryEncoding and StringLookup basics (the course's uses)."""
import numpy as np
import pytest

import lamina
from lamina.autograd import Tensor, gradcheck
from lamina.data import Dataset
from lamina.layers import Dense
from lamina.layers.preprocessing import CategoryEncoding, Normalization, Rescaling, StringLookup


def arr(t):
    return lamina.backend.to_numpy(t.data)


# --- Normalization ---

def test_normalization_adapt_matches_numpy_and_keras_examples(xp):
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(500, 4)) * [1, 10, 0.1, 5]
    layer = Normalization()
    layer.adapt(data)
    out = arr(layer(data))
    assert out.shape == (500, 4) and out.dtype == np.float32
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-4)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and int(layer.count.item()) == 500
    np.testing.assert_allclose(arr(layer.adapt_mean), data.mean(0), rtol=1e-6)
    # Keras's documented examples.
    scalar = Normalization(axis=None)
    scalar.adapt(np.array([1., 2., 3., 4., 5.], dtype="float32"))
    np.testing.assert_allclose(arr(scalar(np.array([1., 2., 3.]))), [-1.4142135, -0.70710677, 0.],
                               rtol=1e-6)
    fixed = Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(arr(fixed(np.array([[1.], [2.], [3.]])))[:, 0],
                               [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    inverse = Normalization(invert=True)
    inverse.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
    np.testing.assert_allclose(arr(inverse(np.array([[1., 2., 3.]]))), [[2., 10., 8.]])
    constant = Normalization()
    constant.adapt(np.ones((4, 2)))
    assert np.all(np.isfinite(arr(constant(np.ones((1, 2))))))  # std floored at epsilon


def test_normalization_adapts_on_datasets_and_batches_the_same():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(300, 3)).astype(np.float32) * 4 + 1
    on_arrays = Normalization()
    on_arrays.adapt(data)
    for source in (Dataset.from_tensor_slices(data).batch(64),           # batches
                   Dataset.from_tensor_slices(data),                     # single rows
                   Dataset.from_tensor_slices((data, np.zeros(300))).batch(50),  # (x, y)
                   [data[:100], data[100:]]):                            # any iterable
        layer = Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(arr(layer.adapt_mean), arr(on_arrays.adapt_mean), rtol=1e-5)
        np.testing.assert_allclose(arr(layer.adapt_variance), arr(on_arrays.adapt_variance),
                                   rtol=1e-5)
    with pytest.raises(ValueError, match="incompatible shape"):
        on_arrays.adapt(np.zeros((10, 5)))
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=1.0)


def test_normalization_gradient_and_torch_parity():
    rng = np.random.default_rng(2)
    layer = Normalization(dtype="float64")
    layer.adapt(rng.normal(size=(50, 3)) * 3)
    x = rng.normal(size=(4, 3))
    assert gradcheck(lambda t: layer(t), x)
    import torch
    mean, var = arr(layer.adapt_mean), arr(layer.adapt_variance)
    tx = torch.tensor(x, requires_grad=True)
    ty = (tx - torch.tensor(mean)) / torch.sqrt(torch.tensor(var))
    g = rng.normal(size=(4, 3))
    ty.backward(torch.tensor(g))
    t = Tensor(x, requires_grad=True, dtype="float64")
    y = layer(t)
    y.backward(Tensor(g, dtype="float64"))
    np.testing.assert_allclose(arr(y), ty.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(arr(t.grad), tx.grad.numpy(), rtol=1e-10)


def test_normalization_in_a_model_trains_the_rest_and_round_trips():
    rng = np.random.default_rng(3)
    x = rng.normal(50, 20, size=(64, 3)).astype(np.float32)
    y = (x[:, 0] > 50).astype(np.int64)
    norm = Normalization()
    norm.adapt(x)
    model = lamina.Sequential([lamina.layers.Input((3,)), norm, Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
    assert [w.name for w in model.non_trainable_weights] == ["mean", "variance", "count"]
    before = [w.numpy() for w in model.weights]
    history = model.fit(x, y, epochs=1, verbose=0)
    after = [w.numpy() for w in model.weights]
    assert np.isfinite(history.history["loss"][0])
    for b, a, w in zip(before, after, model.weights):
        assert np.array_equal(b, a) == (not w.trainable)  # only Dense's weights move
    config = Normalization(axis=None, mean=2.0, variance=4.0, invert=True).get_config()
    clone = Normalization.from_config(config)
    assert (clone.axis, clone.input_mean, clone.input_variance) == ((), 2.0, 4.0) and clone.invert
    np.testing.assert_allclose(arr(clone(np.array([1.0]))), [4.0])


# --- Rescaling ---

def test_rescaling_images_and_config(xp):
    layer = Rescaling(1.0 / 255)
    out = layer(np.array([[0, 51, 255]], dtype=np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(arr(out), [[0.0, 0.2, 1.0]], rtol=1e-6)
    shifted = Rescaling(1.0 / 127.5, offset=-1)
    np.testing.assert_allclose(arr(shifted(np.array([0.0, 127.5, 255.0]))), [-1, 0, 1], rtol=1e-6)
    per_channel = Rescaling([1.0, 2.0, 3.0])
    np.testing.assert_allclose(arr(per_channel(np.ones((2, 3)))), [[1, 2, 3]] * 2)
    clone = Rescaling.from_config(shifted.get_config())
    assert (clone.scale, clone.offset) == (1.0 / 127.5, -1.0)


def test_rescaling_gradient_and_torch_parity():
    layer = Rescaling(0.5, offset=2.0, dtype="float64")
    x = np.random.default_rng(4).normal(size=(3, 2))
    assert gradcheck(lambda t: layer(t), x)
    import torch
    np.testing.assert_allclose(arr(layer(x)), (torch.tensor(x) * 0.5 + 2.0).numpy())


# --- CategoryEncoding ---

def test_category_encoding_modes_as_keras_documents(xp):
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(arr(one_hot([3, 2, 0, 1])), np.eye(4)[[3, 2, 0, 1]])
    np.testing.assert_array_equal(arr(one_hot(np.array([[1], [3]]))), np.eye(4)[[1, 3]])
    multi = CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    np.testing.assert_array_equal(arr(multi([[0, 1], [0, 0], [1, 2], [3, 1]])),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    count = CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(arr(count([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=weights)),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]],
                               rtol=1e-6)
    np.testing.assert_array_equal(arr(count([[0, 0, 3]])), [[2, 0, 0, 1]])
    assert one_hot([1]).dtype == np.float32
    with pytest.raises(ValueError, match=r"0 <= values < num_tokens.*received 4"):
        one_hot([4])
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(3, output_mode="bins")
    clone = CategoryEncoding.from_config(count.get_config())
    assert (clone.num_tokens, clone.output_mode) == (4, "count")


# --- StringLookup ---

def test_string_lookup_as_keras_documents():
    vocab = ["a", "b", "c", "d"]
    layer = StringLookup(vocabulary=vocab)
    np.testing.assert_array_equal(arr(layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))),
                                  [[1, 3, 4], [4, 0, 2]])
    two_oov = StringLookup(vocabulary=vocab, num_oov_indices=2)
    out = arr(two_oov(np.array(["a", "b", "z", "m"])))
    assert out[:2].tolist() == [2, 3] and set(out[2:].tolist()) <= {0, 1}
    one_hot = StringLookup(vocabulary=vocab, output_mode="one_hot")
    np.testing.assert_array_equal(arr(one_hot(["a", "b", "c", "d", "z"])),
                                  np.eye(5)[[1, 2, 3, 4, 0]])
    multi = StringLookup(vocabulary=vocab, output_mode="multi_hot")
    np.testing.assert_array_equal(arr(multi([["a", "c", "d", "d"], ["d", "z", "b", "z"]])),
                                  [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    count = StringLookup(vocabulary=vocab, output_mode="count")
    np.testing.assert_array_equal(arr(count([["a", "c", "d", "d"], ["d", "z", "b", "z"]])),
                                  [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    inverse = StringLookup(vocabulary=vocab, invert=True)
    assert arr(inverse(np.array([[1, 3, 4], [4, 0, 2]]))).tolist() == [["a", "c", "d"],
                                                                       ["d", "[UNK]", "b"]]
    masked = StringLookup(vocabulary=vocab, mask_token="")
    np.testing.assert_array_equal(arr(masked(["a", "", "z"])), [2, 0, 1])
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    strict = StringLookup(vocabulary=vocab, num_oov_indices=0)
    with pytest.raises(ValueError, match=r"found OOV values \['z'\]"):
        strict(["a", "z"])


def test_string_lookup_adapt_orders_by_frequency_then_string():
    layer = StringLookup()
    layer.adapt(np.array(["b", "a", "b", "c", "a", "d", "d", "e", "b"]))
    # b: 3; a and d: 2 (ties in reverse sort order, as Keras); c, e: 1.
    assert layer.get_vocabulary() == ["[UNK]", "b", "d", "a", "e", "c"]
    assert layer.vocabulary_size() == 6
    limited = StringLookup(max_tokens=3)
    limited.adapt(Dataset.from_tensor_slices(np.array(["x", "y", "y", "z", "z", "z"])).batch(2))
    assert limited.get_vocabulary() == ["[UNK]", "z", "y"]
    clone = StringLookup.from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    with pytest.raises(ValueError, match="repeated term"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="the `idf_weights` argument must also be provided"):
        StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(RuntimeError, match="no vocabulary"):
        StringLookup()(["a"])


def test_string_lookup_and_category_encoding_on_airline_columns(xp):
    import pandas as pd
    frame = pd.DataFrame({"Class": ["Eco", "Business", "Eco Plus", "Eco", "Business", "Eco"],
                          "Customer Type": ["Loyal Customer", "disloyal Customer"] * 3})
    lookup = StringLookup(num_oov_indices=0)
    lookup.adapt(frame["Class"])
    assert lookup.get_vocabulary() == ["Eco", "Business", "Eco Plus"]
    index = lookup(frame["Class"])
    np.testing.assert_array_equal(arr(index), [0, 1, 2, 0, 1, 0])
    encoded = CategoryEncoding(num_tokens=lookup.vocabulary_size(), output_mode="one_hot")(index)
    np.testing.assert_array_equal(arr(encoded), np.eye(3)[[0, 1, 2, 0, 1, 0]])
    one_hot = StringLookup(output_mode="one_hot")
    one_hot.adapt(frame["Customer Type"].to_numpy())
    assert arr(one_hot(frame["Customer Type"])).shape == (6, 3)  # [UNK] + 2 types
