"""StringLookup and IntegerLookup: the examples of Keras's docstrings, OOV buckets, TF-IDF,
adapt, and bad inputs."""
import numpy as np
import pytest

from lamina import keras
from lamina.layers.preprocessing._hash import fingerprint64

L = keras.layers
VOCAB = [12, 36, 1138, 42]
DATA = np.array([[12, 1138, 42], [42, 1000, 36]])
ENCODE = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])


def arr(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def test_integer_lookup_examples_of_keras():
    np.testing.assert_array_equal(arr(L.IntegerLookup(vocabulary=VOCAB)(DATA)),
                                  [[1, 3, 4], [4, 0, 2]])
    adapted = L.IntegerLookup()
    adapted.adapt(DATA)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    np.testing.assert_array_equal(arr(adapted(DATA)), [[5, 2, 1], [1, 3, 4]])
    two_oov = L.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(arr(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]]))),
                                  [[2, 4, 5], [1, 0, 3]])  # 37 % 2 == 1, 1000 % 2 == 0
    oov = np.array([100, 300, 700, 1100, 1700, 2000])
    floormod = L.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4)
    farmhash = L.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4, oov_method="farmhash")
    np.testing.assert_array_equal(arr(floormod(oov)), [0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(arr(farmhash(oov)), [3, 3, 2, 2, 0, 1])
    np.testing.assert_array_equal(
        arr(L.IntegerLookup(vocabulary=VOCAB, output_mode="one_hot")(np.array(VOCAB + [7]))),
        np.eye(5)[[1, 2, 3, 4, 0]])
    np.testing.assert_array_equal(
        arr(L.IntegerLookup(vocabulary=VOCAB, output_mode="multi_hot")(ENCODE)),
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(
        arr(L.IntegerLookup(vocabulary=VOCAB, output_mode="count")(ENCODE)),
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tf_idf = L.IntegerLookup(output_mode="tf_idf", vocabulary=VOCAB,
                             idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(arr(tf_idf(ENCODE)), [[0, 0.25, 0, 0.6, 0.8],
                                                     [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    with_oov = L.IntegerLookup(output_mode="tf_idf", vocabulary=[-1] + VOCAB,
                               idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(arr(with_oov(ENCODE)), [[0, 0.25, 0, 0.6, 0.8],
                                                       [1.8, 0, 0.75, 0, 0.4]], rtol=1e-6)
    forward = L.IntegerLookup(vocabulary=VOCAB)
    inverse = L.IntegerLookup(vocabulary=forward.get_vocabulary(), invert=True)
    np.testing.assert_array_equal(arr(inverse(forward(DATA))), [[12, 1138, 42], [42, -1, 36]])


def test_integer_lookup_mask_token_and_config_round_trip():
    layer = L.IntegerLookup(vocabulary=VOCAB, mask_token=0)
    np.testing.assert_array_equal(arr(layer(np.array([12, 0, 7]))), [2, 0, 1])
    assert layer.get_vocabulary() == [0, -1] + VOCAB
    adapted = L.IntegerLookup(max_tokens=3)
    adapted.adapt(np.array([5, 5, 5, 9, 9, 1]))
    assert adapted.get_vocabulary() == [-1, 5, 9]
    clone = L.IntegerLookup.from_config(adapted.get_config())
    np.testing.assert_array_equal(arr(clone(np.array([1, 9, 5]))), [0, 2, 1])
    config = adapted.get_config()
    assert config["vocabulary_dtype"] == "int64" and config["oov_method"] == "floormod"


def test_string_lookup_spreads_oov_strings_over_keras_farmhash_buckets():
    layer = L.StringLookup(vocabulary=["a", "b"], num_oov_indices=3)
    words = np.array(["zebra", "yak", "x", "a"])
    expected = [fingerprint64(w) % 3 for w in ["zebra", "yak", "x"]] + [3]
    np.testing.assert_array_equal(arr(layer(words)), expected)
    salted = L.StringLookup(vocabulary=["a"], num_oov_indices=3, salt=133)
    assert salted.get_config()["salt"] == [133, 133]
    assert arr(salted(np.array(["A", "B", "C", "D", "E"]))).tolist() == [0, 0, 2, 1, 0]


def test_string_lookup_tf_idf_from_adapt():
    docs = np.array([["a", "b"], ["a", "c"], ["a", "a"]])
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = np.log(1 + 3 / (1 + np.array([3.0, 1.0, 1.0])))  # a in 3 documents, b and c in 1
    out = arr(layer(np.array([["a", "a", "b", "z"]])))
    np.testing.assert_allclose(out, [[idf.mean(), 2 * idf[0], 0, idf[2]]], rtol=1e-6)
    clone = L.StringLookup.from_config(layer.get_config())
    np.testing.assert_allclose(arr(clone(np.array([["a", "a", "b", "z"]]))), out, rtol=1e-6)


def test_lookups_name_the_kind_of_input_they_expect():
    with pytest.raises(TypeError, match="StringLookup layer .* expects strings, but received "
                                        "int64 values.*IntegerLookup"):
        L.StringLookup(vocabulary=["a"])(np.array([1, 2]))
    with pytest.raises(TypeError, match="IntegerLookup layer .* expects integers, but received "
                                        "strings.*StringLookup"):
        L.IntegerLookup(vocabulary=[1])(np.array(["a"]))
    with pytest.raises(TypeError, match="float64 values with fractions"):
        L.IntegerLookup(vocabulary=[1])(np.array([1.5]))
    np.testing.assert_array_equal(arr(L.IntegerLookup(vocabulary=[3])(np.array([3.0]))), [1])
    with pytest.raises(ValueError, match="Unknown value for `output_mode` argument of "
                                         "IntegerLookup.*Received: output_mode=dense"):
        L.IntegerLookup(output_mode="dense")
    with pytest.raises(ValueError, match="If `max_tokens` is set for `IntegerLookup`, it must be "
                                         "greater than 1. Received: max_tokens=1"):
        L.IntegerLookup(max_tokens=1)
    with pytest.raises(ValueError, match="`salt` can only be used when `oov_method='farmhash'`"):
        L.IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="`idf_weights` should only be set if `output_mode` is"):
        L.StringLookup(vocabulary=["a"], idf_weights=[1.0])
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        L.StringLookup(vocabulary=["a"]).adapt(["b"])
    with pytest.raises(RuntimeError, match="has no vocabulary: pass .vocabulary=. or call"):
        L.IntegerLookup(output_mode="multi_hot")(np.array([[1]]))


def test_string_categories_through_a_functional_model():
    lookup = L.StringLookup(output_mode="one_hot")
    lookup.adapt(np.array(["Eco", "Business", "Eco Plus", "Eco"]))
    inp = keras.Input(shape=(1,), dtype="string")
    encoded = lookup(inp)
    assert encoded.shape == (None, 4)
    model = keras.Model(inp, L.Dense(1, activation="sigmoid")(encoded))
    model.compile("adam", "binary_crossentropy")
    x = np.array([["Eco"], ["Business"], ["Eco Plus"], ["Unknown"]])
    model.fit(x, np.array([0., 1., 1., 0.]), epochs=2, verbose=0)
    assert model.predict(x, verbose=0).shape == (4, 1)


def test_a_vocabulary_file_named_in_a_config_needs_safe_mode_off(tmp_path):
    from lamina.serialization import deserialize_keras_object
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n")
    config = {"module": "keras.layers", "class_name": "StringLookup", "registered_name": None,
              "config": {"name": "lookup", "vocabulary": str(path)}}
    with pytest.raises(ValueError, match="Requested the loading of a vocabulary file outside "
                                         "of the model archive.*vocab.txt"):
        deserialize_keras_object(config)
    layer = deserialize_keras_object(config, safe_mode=False)
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    assert L.StringLookup(vocabulary=str(path)).get_vocabulary() == ["[UNK]", "a", "b"]
