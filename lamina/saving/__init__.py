"""Saving and loading models and weights in Keras's file formats.

``save_model`` / ``load_model`` read and write Keras 3's ``.keras`` zip and Keras 2's legacy
``.h5``; ``save_weights`` / ``load_weights`` read and write ``.weights.h5`` (Keras 3), legacy
``.h5`` and any other file name. Files written by real Keras load too. Loading never
unpickles data or imports modules named in a file, and refuses Lambda layers unless
``safe_mode=False``. h5py is imported where a file is read or written, so that
``import lamina`` stays fast. Object configs and the registry live in
``lamina.serialization``; they are re-exported here, as ``keras.saving`` has them.
"""
from lamina.saving.saving_api import load_model, load_weights, save_model, save_weights
from lamina.serialization import (CustomObjectScope, custom_object_scope,
                                  deserialize_keras_object, get_custom_objects,
                                  get_registered_name, get_registered_object,
                                  register_keras_serializable, serialize_keras_object)

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object", "load_model",
           "load_weights", "register_keras_serializable", "save_model", "save_weights",
           "serialize_keras_object"]
