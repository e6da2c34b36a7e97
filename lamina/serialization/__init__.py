"""Object configs in Keras 3's format and the object registry.

This package sits low in the import order: it imports no layers or models. lamina's own
classes register themselves here when their module is imported; ``lamina.saving`` (the
file formats) builds on it.
"""
from lamina.serialization.object_registration import (CustomObjectScope, custom_object_scope,
                                                      get_custom_objects, get_registered_name,
                                                      get_registered_object,
                                                      register_keras_serializable)
from lamina.serialization.serialization_lib import (deserialize_keras_object,
                                                    serialize_keras_object)

__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "register_keras_serializable", "serialize_keras_object"]
