"""keras.utils.pad_sequences (and the Keras 2 path keras.preprocessing.sequence)."""
import numpy as np
import pytest

from lamina import keras


def test_keras_examples_and_options():
    pad = keras.utils.pad_sequences
    sequences = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad(sequences), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad(sequences, value=-1), [[-1, -1, 1], [-1, 2, 3],
                                                             [4, 5, 6]])
    np.testing.assert_array_equal(pad(sequences, padding="post"), [[1, 0, 0], [2, 3, 0],
                                                                   [4, 5, 6]])
    np.testing.assert_array_equal(pad(sequences, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    np.testing.assert_array_equal(pad(sequences, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    assert pad(sequences).dtype == np.int32
    assert pad([[0.5], []], dtype="float32").tolist() == [[0.5], [0.0]]  # empty: all padding
    vectors = pad([np.ones((2, 3)), np.ones((1, 3))])
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].sum() == 0
    words = pad([["a", "b"], ["c"]], dtype=object, value="")
    assert words.tolist() == [["a", "b"], ["", "c"]]
    assert keras.preprocessing.sequence.pad_sequences is pad


def test_bad_input_is_reported_with_keras_wording():
    pad = keras.utils.pad_sequences
    with pytest.raises(ValueError, match="`sequences` must be a list of iterables. Found "
                                         "non-iterable: 3"):
        pad([[1], 3])
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        pad([[1]], padding="middle")
    with pytest.raises(ValueError, match="You should set `dtype=object` for variable length "
                                         "strings"):
        pad([["a"]], value="x")
    with pytest.raises(ValueError, match="Shape of sample \\(2,\\) of sequence at position 1"):
        pad([np.ones((1, 3)), np.ones((1, 2))])
