"""The Keras 3 ``.keras`` file: a zip of metadata.json, config.json and model.weights.h5."""
import datetime
import io
import json
import os
import tempfile
import zipfile
import zlib


from lamina.layers.base import memory_budget
from lamina.saving import limits
from lamina.saving import weights as weights_io
from lamina.saving.atomic import atomic_path
from lamina.models import Model
from lamina.serialization import deserialize_keras_object, serialize_keras_object

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"


def _metadata():
    import lamina
    return {"keras_version": weights_io.FORMAT_VERSION, "lamina_version": lamina.__version__,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}


def weights_bytes(model):
    """The model's weights (and optimizer state) as the bytes of a Keras 3 layout HDF5 file."""
    buffer = io.BytesIO()
    import h5py
    with h5py.File(buffer, "w") as h5:
        weights_io.write_keras_weights(h5, model)
    return buffer.getvalue()


def save_keras(model, filepath):
    """Writes ``model`` to a ``.keras`` zip (atomically: the old file survives a crash).

    Args:
        model: a built lamina model.
        filepath: destination path.
    """
    config = serialize_keras_object(model)
    try:
        config_json = json.dumps(config)
    except TypeError as e:
        raise TypeError(f"The config of model '{model.name}' is not JSON-serializable: {e}. "
                        "Every get_config() must return plain values (numbers, strings, lists, "
                        "dicts) or serializable lamina objects.") from e
    data = weights_bytes(model)
    with atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(METADATA_FILENAME, json.dumps(_metadata()))
            zf.writestr(CONFIG_FILENAME, config_json)
            zf.writestr(WEIGHTS_FILENAME, data)


def _corrupt(filepath, what, error):
    return ValueError(f"Cannot load '{filepath}': {what} (it may be truncated or corrupt). "
                      f"{type(error).__name__}: {error}")


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
               RuntimeError)


def _check_entries(zf, filepath):
    names = zf.namelist()
    if CONFIG_FILENAME not in names:
        raise ValueError(f"'{filepath}' is a zip archive but not a Keras model file: it "
                         f"has no {CONFIG_FILENAME} (its entries: {names[:10]}).")
    if WEIGHTS_FILENAME not in names:
        other = [n for n in names if n.startswith("model.weights")]
        detail = (f"its weights are stored as {other[0]}, which lamina does not read "
                  "(save them as .h5)" if other else f"it has no {WEIGHTS_FILENAME}")
        raise ValueError(f"Cannot load '{filepath}': {detail}.")


def read_config(filepath):
    """Returns (config dict, declared size of the weights entry) of a ``.keras`` file, within
    the limits of ``lamina.saving.limits``."""
    try:
        with zipfile.ZipFile(filepath, "r") as zf:
            _check_entries(zf, filepath)
            config_json = limits.read_member(zf, CONFIG_FILENAME, limits.MAX_CONFIG_BYTES,
                                             filepath)
            weights_size = zf.getinfo(WEIGHTS_FILENAME).file_size
    except _ZIP_ERRORS as e:
        raise _corrupt(filepath, "it is not a complete .keras zip archive", e) from e
    config = limits.parse_config(config_json, filepath, CONFIG_FILENAME)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot load '{filepath}': its {CONFIG_FILENAME} does not describe a "
                         f"model (expected a dict with 'class_name', got {str(config)[:200]}).")
    return config, weights_size


def read_weights(filepath, limit):
    """The bytes of the weights entry of a ``.keras`` file, refused beyond ``limit`` bytes."""
    try:
        with zipfile.ZipFile(filepath, "r") as zf:
            _check_entries(zf, filepath)
            return limits.read_member(zf, WEIGHTS_FILENAME, limit, filepath)
    except _ZIP_ERRORS as e:
        raise _corrupt(filepath, "it is not a complete .keras zip archive", e) from e


def weights_limit(model):
    """The most bytes a weights file for ``model`` needs: its weights, up to four optimizer
    slots each, and the HDF5 bookkeeping."""
    nbytes = sum(int(w.data.nbytes) for w in model.weights)
    return 5 * nbytes + limits.MEMORY_SLACK


def open_weights(data, filepath):
    """Opens the bytes of model.weights.h5 as an h5py File."""
    try:
        import h5py
        return h5py.File(io.BytesIO(data), "r")
    except OSError as e:
        raise _corrupt(filepath, f"its {WEIGHTS_FILENAME} is not a readable HDF5 file", e) from e


def load_keras(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds a model from a ``.keras`` file: architecture, weights, compile settings and
    optimizer state.

    Args:
        filepath: path of the file.
        custom_objects: optional ``{name: class or function}`` for user objects.
        compile: compile the model as it was when saved.
        safe_mode: refuse Lambda layers (code stored in the file).

    Returns:
        the model.
    """
    config, weights_size = read_config(filepath)
    if not compile:
        config = {k: v for k, v in config.items() if k != "compile_config"}
    with memory_budget(weights_size + limits.MEMORY_SLACK, filepath):
        model = deserialize_keras_object(config, custom_objects, safe_mode, kind="models")
    if not isinstance(model, Model):
        raise ValueError(f"'{filepath}' does not hold a model: its config describes a "
                         f"{type(model).__name__}.")
    data = read_weights(filepath, weights_limit(model))
    with open_weights(data, filepath) as h5:
        try:
            plan, optimizer_values = weights_io.read_keras_weights(h5, model)
        except weights_io.WeightsMismatchError as e:
            raise weights_io.unbuilt_error(model, filepath) if not model.built else e
    weights_io.apply(plan)
    if compile and getattr(model, "compiled", False):
        weights_io.restore_optimizer(model, optimizer_values)
    return model


def model_to_bytes(model):
    """The ``.keras`` file of ``model``, as bytes (what pickling a model stores)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        save_keras(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data):
    """The model in ``model_to_bytes``'s output. Unpickling runs code from its data anyway,
    so Lambda layers are allowed here (``safe_mode=False``), as in Keras."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return load_keras(path, safe_mode=False)
