"""Hashing: FarmHash Fingerprint64 and SipHash-2-4 in plain Python give Keras's bins."""
import random

import farmhash
import numpy as np
import pytest

from lamina import keras
from lamina.layers.preprocessing._hash import fingerprint64, siphash24

L = keras.layers
LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


def test_fingerprint64_equals_the_c_library_on_every_length_path():
    rng = random.Random(0)
    for n in list(range(0, 140)) + [255, 256, 1000]:  # the 0-16, 17-32, 33-64 and >64 paths
        data = bytes(rng.randrange(256) for _ in range(n))
        assert fingerprint64(data) == farmhash.fingerprint64(data), n
    assert fingerprint64("héllo") == farmhash.fingerprint64("héllo".encode())


def test_siphash24_reference_vector():
    key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)  # the SipHash paper's key 00..0f
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


def test_hashing_examples_of_keras():
    assert np.asarray(L.Hashing(num_bins=3)(LETTERS).numpy()).ravel().tolist() == [1, 0, 1, 1, 2]
    assert L.Hashing(num_bins=3, salt=133)(LETTERS).numpy().ravel().tolist() == [0, 0, 2, 1, 0]
    masked = L.Hashing(num_bins=3, mask_value="")
    assert masked([["A"], ["B"], [""], ["C"], ["D"]]).numpy().ravel().tolist() == [1, 1, 0, 2, 2]
    # TensorFlow's own example of to_hash_bucket_fast
    assert L.Hashing(3)(np.array(["Hello", "TensorFlow", "2.x"])).numpy().tolist() == [0, 2, 2]
    # integers hash as their decimal text; floats are cast to integers first
    ints = L.Hashing(5)(np.array([[7], [123456789]])).numpy().ravel().tolist()
    assert ints == [fingerprint64("7") % 5, fingerprint64("123456789") % 5]
    assert L.Hashing(5)(np.array([7.9])).numpy().tolist() == [fingerprint64("7") % 5]


def test_hashing_output_modes_and_config():
    bins = L.Hashing(4)(np.array([["a", "b", "a"]])).numpy()[0]
    multi = L.Hashing(4, output_mode="multi_hot")(np.array([["a", "b", "a"]])).numpy()
    count = L.Hashing(4, output_mode="count")(np.array([["a", "b", "a"]])).numpy()
    np.testing.assert_array_equal(multi[0], np.isin(np.arange(4), bins).astype(float))
    np.testing.assert_array_equal(count[0], np.bincount(bins, minlength=4))
    one_hot = L.Hashing(4, output_mode="one_hot")(np.array([["a"], ["b"]])).numpy()
    np.testing.assert_array_equal(one_hot, np.eye(4)[bins[:2]])
    layer = L.Hashing(7, salt=[1, 2], mask_value="-")
    clone = L.Hashing.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.salt == [1, 2]
    inp = keras.Input(shape=(2,), dtype="string")
    assert L.Hashing(6, output_mode="multi_hot")(inp).shape == (None, 6)


def test_hashing_rejects_bad_arguments_with_keras_wording():
    with pytest.raises(ValueError, match="cannot be `None` or non-positive values. Received: "
                                         "num_bins=0"):
        L.Hashing(0)
    with pytest.raises(ValueError, match="Expected one of .* Received: output_mode=tf_idf"):
        L.Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="tuple of size 2 integers, or a single integer. "
                                         "Received: salt=abc"):
        L.Hashing(3, salt="abc")
    with pytest.raises(ValueError, match="`dtype` should be an integer type"):
        L.Hashing(3, dtype="float32")
