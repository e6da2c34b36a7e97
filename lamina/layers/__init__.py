"""Keras layers."""
from lamina.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from lamina.layers.base import KerasTensor, Layer, clear_session
from lamina.layers.convolutional import (Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D,
                                         SeparableConv2D, SeparableConvolution2D)
from lamina.layers.core import Activation, Dense, Lambda
from lamina.layers.embedding import Embedding
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.masking import Masking
from lamina.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                   Subtract, add, average, concatenate, dot, maximum, minimum,
                                   multiply, subtract)
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.layers.pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
                                   GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                   MaxPooling1D, MaxPooling2D)
from lamina.layers.preprocessing import (CategoryEncoding, Discretization, Hashing,
                                         IntegerLookup, Normalization, RandomContrast,
                                         RandomCrop, RandomFlip, RandomRotation,
                                         RandomTranslation, RandomZoom, Rescaling, StringLookup,
                                         TextVectorization)
from lamina.layers.regularization import Dropout
from lamina.layers.reshaping import Flatten, Reshape
from lamina.layers.spatial import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D,
                                   ZeroPadding1D, ZeroPadding2D)
from lamina.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from lamina.layers.rnn import RNN
from lamina.layers.stacked_rnn_cells import StackedRNNCells
from lamina.layers.wrappers import Bidirectional, TimeDistributed
from lamina.serialization import deserialize_keras_object, serialize_keras_object
from lamina.serialization.object_registration import register_builtins

# Keras's other names for the same layers
Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = (MaxPooling1D, MaxPooling2D, AveragePooling1D,
                                              AveragePooling2D)
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D

# the aliases load too (each layer class registered itself under its own name)
register_builtins("layers", {name: obj for name, obj in dict(globals()).items()
                             if isinstance(obj, type) and issubclass(obj, Layer)})


def serialize(layer):
    """Returns the config dict of ``layer`` in Keras 3's format (``keras.layers.serialize``)."""
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuilds a layer from ``serialize``'s dict (or a Keras file's layer entry).

    Args:
        config: ``{"module", "class_name", "config", ...}`` (Keras 2's ``{"class_name",
            "config"}`` too).
        custom_objects: optional ``{name: class or function}`` for user layers.
    """
    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError("`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    return obj
