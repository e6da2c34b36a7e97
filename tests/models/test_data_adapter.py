"""keras.utils.pack_x_y_sample_weight / unpack_x_y_sample_weight, as Keras 3 packs batches."""
import numpy as np
import pytest

from lamina import keras

x, y, w = np.ones((4, 2)), np.zeros(4), np.full(4, 0.5)


def test_pack_follows_keras():
    pack = keras.utils.pack_x_y_sample_weight
    assert pack(x) is x
    assert pack((x, x)) == ((x, x),)   # a tuple of inputs is wrapped, so it is not read as (x, y)
    packed = pack(x, y)
    assert isinstance(packed, tuple) and len(packed) == 2 and packed[1] is y
    assert len(pack(x, y, w)) == 3 and pack(x, y, w)[2] is w


def test_unpack_is_the_inverse_and_names_a_bad_length():
    unpack = keras.utils.unpack_x_y_sample_weight
    for parts in [(x, None, None), (x, y, None), (x, y, w)]:
        packed = keras.utils.pack_x_y_sample_weight(*parts)
        assert all(a is b for a, b in zip(unpack(packed), parts))
    assert unpack([x, y])[1] is y and unpack((x,))[0] is x
    with pytest.raises(ValueError, match="length 4"):
        unpack((x, y, w, w))

