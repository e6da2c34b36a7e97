"""Models: Model (compile/fit/evaluate/predict), Sequential and Functional."""
from lamina.models.cloning import clone_model
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.serialization import deserialize_keras_object


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by ``model.save`` (lamina's or Keras's '.keras' or '.h5' files).

    Args:
        filepath: path of the file.
        custom_objects: {name: class or function} for user-defined objects in the file.
        compile: restore the compile settings and optimizer state.
        safe_mode: refuse to run code stored in the file (Lambda layers).
    """
    from lamina import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    """Rebuilds a model (without weights) from ``model.to_json()``'s string.

    Args:
        json_string: the JSON text.
        custom_objects: optional ``{name: class or function}`` for user objects.
    """
    import json
    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Same as ``model.save(filepath)``."""
    model.save(filepath, overwrite=overwrite, include_optimizer=include_optimizer)
