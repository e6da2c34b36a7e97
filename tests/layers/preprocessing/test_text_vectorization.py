"""TextVectorization: standardize, split, ngrams, output modes, vocabulary, saving, and
string data through fit / predict / lamina.data."""
import numpy as np
import pytest

from lamina import keras
from lamina.data import Dataset

L = keras.layers
TEXTS = ["The cat sat.", "The dog sat on the cat!", "A dog ran"]


def arr(t):
    return np.asarray(t.numpy())


def test_keras_examples():
    layer = L.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    np.testing.assert_array_equal(arr(layer(["foo qux bar", "qux baz"])),
                                  [[4, 1, 3, 0], [1, 2, 0, 0]])
    given = L.TextVectorization(max_tokens=5000, output_sequence_length=4,
                                vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    np.testing.assert_array_equal(arr(given(["earth wind and also fire"])), [[2, 3, 4, 1]])


def test_standardize_split_and_ngrams():
    def words(layer, text):
        return [layer.get_vocabulary()[i] for i in arr(layer([text]))[0] if i]

    default = L.TextVectorization()
    default.adapt(["Hello, World! It's ÉTÉ"])
    # lowercasing is ASCII only (TensorFlow's strings.lower), punctuation is Keras's set
    assert sorted(default.get_vocabulary(False)) == ["hello", "its", "world", "ÉtÉ"]
    lower = L.TextVectorization(standardize="lower")
    lower.adapt(["Hello, World!"])
    assert sorted(lower.get_vocabulary(False)) == ["hello,", "world!"]
    chars = L.TextVectorization(split="character", standardize=None)
    chars.adapt(["abca"])
    assert chars.get_vocabulary(False) == ["a", "c", "b"]
    assert words(chars, "cab") == ["c", "a", "b"]
    bigrams = L.TextVectorization(ngrams=2)
    bigrams.adapt(["a b c"])
    assert set(bigrams.get_vocabulary(False)) == {"a", "b", "c", "a b", "b c"}
    assert words(bigrams, "b c a") == ["b", "c", "a", "b c", "[UNK]"]  # unigrams, then pairs
    only_pairs = L.TextVectorization(ngrams=(2,), split="whitespace")
    only_pairs.adapt(["x y z"])
    assert sorted(only_pairs.get_vocabulary(False)) == ["x y", "y z"]
    custom = L.TextVectorization(standardize=lambda s: np.char.upper(s),
                                 split=lambda s: [t.split("-") for t in s])
    custom.adapt(["a-b-a"])
    assert custom.get_vocabulary(False) == ["A", "B"]
    whole = L.TextVectorization(split=None)
    whole.adapt(np.array([["New York"], ["Paris"], ["New York"]]))
    np.testing.assert_array_equal(arr(whole(np.array([["New York"], ["Rome"]]))), [[2], [1]])


def test_multi_hot_count_and_tf_idf_by_hand():
    multi = L.TextVectorization(output_mode="multi_hot")
    multi.adapt(TEXTS)
    vocab = multi.get_vocabulary()
    assert vocab[0] == "[UNK]" and "" not in vocab
    expected = np.zeros(len(vocab))
    expected[[vocab.index("the"), vocab.index("cat"), 0]] = 1
    np.testing.assert_array_equal(arr(multi(["the cat the zebra"]))[0], expected)
    count = L.TextVectorization(output_mode="count", vocabulary=multi.get_vocabulary(False))
    got = arr(count(["the cat the zebra"]))[0]
    assert got[vocab.index("the")] == 2 and got[vocab.index("cat")] == 1 and got[0] == 1
    tf_idf = L.TextVectorization(output_mode="tf_idf", pad_to_max_tokens=True, max_tokens=12)
    tf_idf.adapt(TEXTS)
    vocab = tf_idf.get_vocabulary()
    out = arr(tf_idf(["the the dog zebra"]))[0]
    assert out.shape == (12,)
    idf = {w: np.log(1 + 3 / (1 + sum(w in t.lower().replace(".", "").replace("!", "").split()
                                       for t in TEXTS))) for w in vocab[1:]}
    assert out[vocab.index("the")] == pytest.approx(2 * idf["the"], rel=1e-6)
    assert out[vocab.index("dog")] == pytest.approx(idf["dog"], rel=1e-6)
    assert out[0] == pytest.approx(np.mean(list(idf.values())), rel=1e-6)  # OOV: the mean idf


def test_vocabulary_get_set_and_save_load(tmp_path):
    layer = L.TextVectorization(max_tokens=6, output_sequence_length=5)
    layer.adapt(TEXTS)
    assert layer.vocabulary_size() == 6
    inp = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inp, layer(inp))
    path = str(tmp_path / "text.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(np.array([["the dog sat"]]), verbose=0),
                                  model.predict(np.array([["the dog sat"]]), verbose=0))
    assert loaded.layers[-1].get_vocabulary() == layer.get_vocabulary()
    other = L.TextVectorization()
    other.set_vocabulary(["x", "y"])
    assert other.get_vocabulary() == ["", "[UNK]", "x", "y"]
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("p\nq\n")
    other.set_vocabulary(str(vocab_file))
    assert other.get_vocabulary(include_special_tokens=False) == ["p", "q"]
    tf_idf = L.TextVectorization(output_mode="tf_idf")
    tf_idf.adapt(TEXTS)
    clone = L.TextVectorization.from_config(tf_idf.get_config())
    np.testing.assert_allclose(arr(clone(["a cat ran"])), arr(tf_idf(["a cat ran"])), rtol=1e-6)


def test_string_inputs_through_fit_predict_and_lamina_data():
    vectorize = L.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(TEXTS)
    inp = keras.Input(shape=(1,), dtype="string")
    x = L.Embedding(20, 4)(vectorize(inp))
    out = L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(x))
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy")
    texts = np.array([[t] for t in TEXTS * 2])
    labels = np.array([1., 0., 1., 1., 0., 1.])
    history = model.fit(texts, labels, epochs=2, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(texts, verbose=0).shape == (6, 1)
    ds = Dataset.from_tensor_slices((texts, labels)).batch(3)
    model.fit(ds, epochs=1, verbose=0)
    # vectorizing inside the pipeline, as Keras's guides do with tf.data
    mapped = Dataset.from_tensor_slices((np.array(TEXTS), labels[:3])).batch(3).map(
        lambda t, y: (vectorize(t), y))
    tokens, _ = next(iter(mapped.as_numpy_iterator()))
    np.testing.assert_array_equal(tokens, arr(vectorize(TEXTS)))
    one_by_one = Dataset.from_tensor_slices(np.array(TEXTS)).map(vectorize).batch(3)
    np.testing.assert_array_equal(next(iter(one_by_one.as_numpy_iterator())), tokens)


def test_bad_arguments_and_inputs_are_named():
    with pytest.raises(ValueError, match="Unknown value for `standardize` argument of "
                                         "TextVectorization.*Received: standardize=upper"):
        L.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="`ngrams` must be None, an integer, or a tuple of "
                                         "integers. Received: ngrams=\\[1, 2\\]"):
        L.TextVectorization(ngrams=[1, 2])
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set if "
                                         "`output_mode` is not 'int'"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(TypeError, match="TextVectorization layer .* expects strings, but "
                                        "received float64 values"):
        L.TextVectorization(vocabulary=["a"])(np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match="the last shape dimension must be 1"):
        L.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
