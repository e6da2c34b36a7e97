"""Preprocessing layers: numbers (Normalization, Rescaling, Discretization), categories
(StringLookup, IntegerLookup, Hashing, CategoryEncoding), text (TextVectorization) and
image augmentation (RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
RandomContrast, RandomCrop).

They turn raw features into what a network wants. Each works on NumPy data, on Tensors,
and inside a ``lamina.data`` pipeline; the ones that learn something from the data do it
in ``adapt(data)``, before training.
"""
from lamina.layers.preprocessing.category_encoding import CategoryEncoding
from lamina.layers.preprocessing.discretization import Discretization
from lamina.layers.preprocessing.hashing import Hashing
from lamina.layers.preprocessing.image_augmentation import (RandomContrast, RandomCrop,
                                                            RandomFlip, RandomRotation,
                                                            RandomTranslation, RandomZoom)
from lamina.layers.preprocessing.integer_lookup import IntegerLookup
from lamina.layers.preprocessing.normalization import Normalization
from lamina.layers.preprocessing.rescaling import Rescaling
from lamina.layers.preprocessing.string_lookup import StringLookup
from lamina.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "Normalization",
           "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation",
           "RandomZoom", "Rescaling", "StringLookup", "TextVectorization"]
