"""Configs as Keras 3.15 writes them (every key of each layer's get_config, a DTypePolicy
dtype) load into the preprocessing and recurrent layers."""
import numpy as np

from lamina import keras
from lamina.serialization import deserialize_keras_object


def policy(name="float32"):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def keras_layer(class_name, **config):
    return deserialize_keras_object({"module": "keras.layers", "class_name": class_name,
                                     "config": {"trainable": True, "dtype": policy(), **config},
                                     "registered_name": None})


def test_preprocessing_layer_configs_of_keras_3_load():
    text = keras_layer(
        "TextVectorization", name="text_vectorization", max_tokens=None,
        standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
        output_mode="int", output_sequence_length=3, pad_to_max_tokens=False, sparse=False,
        ragged=False, vocabulary=["cat", "dog"], idf_weights=None, encoding="utf-8",
        vocabulary_size=4)
    np.testing.assert_array_equal(text(["Dog, cat!"]).numpy(), [[3, 2, 0]])
    lookup = keras_layer(
        "StringLookup", name="string_lookup", invert=False, max_tokens=None, num_oov_indices=1,
        oov_token="[UNK]", mask_token=None, output_mode="int", sparse=False,
        pad_to_max_tokens=False, idf_weights=None, vocabulary=["a", "b"], vocabulary_size=3,
        oov_method="floormod", salt=None, encoding="utf-8")
    np.testing.assert_array_equal(lookup(np.array(["b", "x"])).numpy(), [2, 0])
    integers = keras_layer(
        "IntegerLookup", name="integer_lookup", invert=False, max_tokens=None,
        num_oov_indices=1, oov_token=-1, mask_token=None, output_mode="one_hot", sparse=False,
        pad_to_max_tokens=False, vocabulary_dtype="int64", idf_weights=None, vocabulary=[7],
        vocabulary_size=2, oov_method="floormod", salt=None)
    np.testing.assert_array_equal(integers(np.array([7, 8])).numpy(), [[0, 1], [1, 0]])
    hashing = deserialize_keras_object({
        "module": "keras.layers", "class_name": "Hashing", "registered_name": None,
        "config": {"name": "hashing", "trainable": True, "dtype": policy("int64"),
                   "num_bins": 3, "salt": None, "mask_value": None, "output_mode": "int",
                   "sparse": False}})
    assert hashing([["A"], ["B"]]).numpy().ravel().tolist() == [1, 0]
    bins = keras_layer("Discretization", name="discretization", bin_boundaries=[0.0, 1.0],
                       num_bins=None, epsilon=0.01, output_mode="int", sparse=False)
    assert bins(np.array([-1.0, 0.5, 2.0])).numpy().tolist() == [0, 1, 2]
    flip = keras_layer("RandomFlip", name="random_flip", data_format="channels_last",
                       seed=None, mode="horizontal")
    rotation = keras_layer("RandomRotation", name="random_rotation",
                           data_format="channels_last", factor=[-0.1, 0.1], fill_mode="reflect",
                           fill_value=0.0, interpolation="bilinear", seed=None)
    zoom = keras_layer("RandomZoom", name="random_zoom", data_format="channels_last",
                       height_factor=0.2, width_factor=None, fill_mode="reflect",
                       interpolation="bilinear", seed=None, fill_value=0.0)
    crop = keras_layer("RandomCrop", name="random_crop", data_format="channels_last", height=2,
                       width=2, seed=1337)
    contrast = keras_layer("RandomContrast", name="random_contrast",
                           data_format="channels_last", factor=[0.0, 0.2],
                           value_range=[0, 255], seed=None)
    x = np.ones((1, 4, 4, 3), "float32")
    for layer in (flip, rotation, zoom, contrast):
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert crop(x).shape == (1, 2, 2, 3) and rotation.factor == (-0.1, 0.1)


def test_rnn_of_a_cell_config_of_keras_3_loads():
    cell = {"module": "keras.layers", "class_name": "GRUCell", "registered_name": None,
            "config": {"name": "gru_cell", "trainable": True, "dtype": policy(), "units": 3,
                       "activation": "tanh", "recurrent_activation": "sigmoid",
                       "use_bias": True, "kernel_initializer": {
                           "module": "keras.initializers", "class_name": "GlorotUniform",
                           "config": {"seed": None}, "registered_name": None},
                       "recurrent_initializer": {
                           "module": "keras.initializers", "class_name": "Orthogonal",
                           "config": {"gain": 1.0, "seed": None}, "registered_name": None},
                       "bias_initializer": {"module": "keras.initializers",
                                            "class_name": "Zeros", "config": {},
                                            "registered_name": None},
                       "kernel_regularizer": None, "recurrent_regularizer": None,
                       "bias_regularizer": None, "kernel_constraint": None,
                       "recurrent_constraint": None, "bias_constraint": None, "dropout": 0.0,
                       "recurrent_dropout": 0.0, "reset_after": True, "seed": None}}
    rnn = keras_layer("RNN", name="rnn", return_sequences=True, return_state=False,
                      go_backwards=False, stateful=False, unroll=False,
                      zero_output_for_mask=False, cell=cell)
    assert rnn(np.zeros((2, 5, 4), "float32")).shape == (2, 5, 3)
    stacked = keras_layer("StackedRNNCells", name="stacked_rnn_cells", cells=[cell, cell])
    assert keras.layers.RNN(stacked)(np.zeros((2, 5, 4), "float32")).shape == (2, 3)
