"""Inputs with unknown axes (None): keras.Input(shape=(None,)), (None, 8), (None, None, 3)."""
import io

import numpy as np
import pytest

from lamina import keras

L = keras.layers


def summary_text(model):
    out = io.StringIO()
    model.summary(print_fn=lambda line: out.write(line + "\n"))
    return out.getvalue()


def text_model():
    inp = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(50, 8, mask_zero=True)(inp)
    x = L.LSTM(6, return_sequences=True)(x)
    x = L.Conv1D(5, 3, padding="same")(x)
    x = L.GlobalMaxPooling1D()(x)
    return keras.Model(inp, L.Dense(1)(x))


def test_symbolic_shapes_keep_unknown_axes_as_none():
    inp = keras.Input(shape=(None,), dtype="int32")
    e = L.Embedding(50, 8)(inp)
    assert inp.shape == (None, None) and e.shape == (None, None, 8)
    assert L.Conv1D(4, 3)(e).shape == (None, None, 4)        # valid padding: still unknown
    assert L.Conv1D(4, 3, strides=2)(e).shape == (None, None, 4)
    assert L.GRU(3)(e).shape == (None, 3)
    assert L.SimpleRNN(3, return_sequences=True)(e).shape == (None, None, 3)
    assert L.GlobalAveragePooling1D()(e).shape == (None, 8)
    assert L.MaxPooling1D()(e).shape == (None, None, 8)
    img = keras.Input(shape=(None, None, 3))
    c = L.Conv2D(4, 3, strides=2)(img)
    assert c.shape == (None, None, None, 4)
    assert L.GlobalMaxPooling2D()(L.MaxPooling2D()(c)).shape == (None, 4)
    seq = keras.Input(shape=(None, 8))
    a, b = L.LSTM(4, return_sequences=True)(seq), L.GRU(4, return_sequences=True)(seq)
    assert L.Concatenate()([a, b]).shape == (None, None, 8)
    assert L.Add()([a, b]).shape == (None, None, 4)
    assert L.Masking()(seq).shape == (None, None, 8)
    # a known axis stays known next to an unknown one
    assert L.Concatenate(axis=1)([seq, keras.Input(shape=(3, 8))]).shape == (None, None, 8)


def test_summary_shows_none_for_unknown_axes():
    text = summary_text(text_model())
    assert "(None, None)" in text and "(None, None, 8)" in text and "(None, None, 6)" in text
    assert "(None, 5)" in text
    seq = keras.Sequential([keras.Input(shape=(None, 8)), L.SimpleRNN(3, return_sequences=True),
                            L.GlobalAveragePooling1D()])
    text = summary_text(seq)
    assert "(None, None, 3)" in text and "(None, 3)" in text


def test_fit_and_predict_on_sequences_of_several_lengths():
    model = text_model()
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    for steps in (4, 9, 17):
        x = rng.integers(1, 50, (8, steps))
        history = model.fit(x, rng.random((8, 1)), epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert model.predict(x[:3], verbose=0).shape == (3, 1)


def test_padding_with_a_mask_gives_the_result_of_the_unpadded_sequence():
    inp = keras.Input(shape=(None,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(inp)
    out = L.GRU(3)(L.LSTM(5, return_sequences=True)(x))
    model = keras.Model(inp, out)
    short = np.array([[3, 7, 1]])
    padded = np.array([[3, 7, 1, 0, 0, 0]])
    np.testing.assert_allclose(model.predict(short, verbose=0), model.predict(padded, verbose=0),
                               rtol=1e-6)


def test_images_of_several_sizes_through_a_fully_convolutional_model():
    inp = keras.Input(shape=(None, None, 3))
    x = L.Conv2D(4, 3, activation="relu")(inp)
    x = L.MaxPooling2D()(x)
    out = L.Dense(2, activation="softmax")(L.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, out)
    assert "(None, None, None, 4)" in summary_text(model)
    model.compile("adam", "categorical_crossentropy")
    rng = np.random.default_rng(1)
    for h, w in ((12, 12), (20, 15)):
        model.fit(rng.random((4, h, w, 3)), np.eye(2)[rng.integers(0, 2, 4)], verbose=0)
        assert model.predict(rng.random((2, h, w, 3)), verbose=0).shape == (2, 2)


def test_a_model_with_unknown_axes_saves_and_loads(tmp_path):
    model = text_model()
    x = np.random.default_rng(2).integers(1, 50, (2, 7))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert "(None, None, 6)" in summary_text(loaded)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)



def test_a_layer_that_needs_an_unknown_axis_says_so():
    flat = L.Flatten()(keras.Input(shape=(None, 4)))
    assert flat.shape == (None, None)
    with pytest.raises(ValueError, match="'dense.*' \\(Dense\\) needs to know the size of an axis "
                                         "that is unknown \\(None\\) in its input shape "
                                         "\\(None, None\\)"):
        L.Dense(2)(flat)
