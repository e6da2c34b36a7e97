"""save_model / load_model / save_weights / load_weights: pick the format, check the file.

Formats are recognised by content, not only by name: a zip is a ``.keras`` model, an HDF5
file is a legacy ``.h5`` model or a weights file (Keras 3's or Keras 2's layout).
"""
import contextlib
import os
import warnings
import zipfile


from lamina.saving import keras_zip, legacy_h5
from lamina.saving import weights as weights_io
from lamina.saving.atomic import atomic_path

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _is_legacy_name(path):
    return path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5")


def file_kind(filepath):
    """'zip', 'hdf5', 'dir', 'missing' or 'unknown', from the file's first bytes."""
    if os.path.isdir(filepath):
        return "dir"
    if not os.path.exists(filepath):
        return "missing"
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head[:4] == b"PK\x03\x04" or zipfile.is_zipfile(filepath):
        return "zip"
    import h5py
    if head == _HDF5_SIGNATURE or h5py.is_hdf5(filepath):
        return "hdf5"
    return "unknown"


def _not_found(filepath):
    if os.path.exists(f"{filepath}.index"):
        return ValueError(f"'{filepath}' is a TensorFlow checkpoint ({filepath}.index), which "
                          "lamina cannot read. Save weights with lamina (any file name works).")
    return ValueError(f"File not found: filepath={filepath}. Please ensure the file is an "
                      "accessible `.keras` zip file, `.h5` file or weights file.")


def _unknown(filepath, what):
    with open(filepath, "rb") as f:
        head = f.read(16)
    return ValueError(f"Cannot load '{filepath}': it is not a {what} (expected a .keras zip "
                      f"archive or an HDF5 file; the file starts with {head!r}). It may be "
                      "truncated, corrupt, or another kind of file.")


# errors a malformed file can raise from deep inside h5py, json or a layer's constructor
_MALFORMED = (TypeError, KeyError, IndexError, AttributeError, UnicodeError, RecursionError,
              OverflowError, OSError, RuntimeError, EOFError, zipfile.BadZipFile)


@contextlib.contextmanager
def _errors_name_the_file(path):
    """Turns a raw error from a malformed file into a ValueError that names the file."""
    try:
        yield
    except UnicodeError as e:  # a ValueError whose message cannot be changed
        raise ValueError(f"Cannot load '{path}': a name or text in it is not valid UTF-8 "
                         f"(it may be corrupt). {type(e).__name__}: {e}") from e
    except ValueError as e:
        if path not in str(e):
            e.args = (f"Cannot load '{path}': {e}",) + e.args[1:]
        raise
    except MemoryError as e:
        raise ValueError(f"Cannot load '{path}': it asks for more memory than is available "
                         "(it may be corrupt or crafted).") from e
    except _MALFORMED as e:
        if isinstance(e, FileNotFoundError) and not os.path.exists(path):
            raise
        raise ValueError(f"Cannot load '{path}': the file is malformed ({type(e).__name__}: "
                         f"{e}). It may be truncated, corrupt, or written by an unknown "
                         "program.") from e


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """Saves a model: architecture, weights, compile settings and optimizer state.

    Args:
        model: a built lamina model.
        filepath: ``*.keras`` (Keras 3 zip) or ``*.h5`` (Keras 2 legacy HDF5); any other
            name gets the ``.keras`` zip format.
        overwrite: replace an existing file (else raise FileExistsError).
        include_optimizer: for ``.h5``, also save the compile settings and optimizer state.
        save_format: Keras 2's 'h5' forces the legacy format, 'keras' the zip; 'tf'
            (TensorFlow SavedModel) is not supported.
    """
    path = os.fspath(filepath)
    if save_format not in (None, "h5", "keras"):
        raise ValueError(f"Unknown save_format={save_format!r}: lamina writes 'keras' (the "
                         "Keras 3 zip) or 'h5' (legacy HDF5); TensorFlow's SavedModel ('tf') "
                         "is not supported.")
    if path.endswith(".weights.h5"):
        raise ValueError(f"'{path}' names a weights file; use model.save_weights() for it, or "
                         "save the whole model as '.keras' or '.h5'.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists; pass overwrite=True to replace it.")
    if not model.built:
        warnings.warn(f"Model '{model.name}' is saved before it was built, so it has no weights "
                      "yet. Call it on data (or fit it) before saving.", stacklevel=2)
    if save_format == "h5" or (save_format is None and _is_legacy_name(path)):
        legacy_h5.save_legacy(model, path, include_optimizer)
    else:
        keras_zip.save_keras(model, path)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by lamina or by Keras (``.keras``, or legacy ``.h5``).

    Args:
        filepath: path of the file.
        custom_objects: optional ``{name: class or function}`` for your own layers, losses...
        compile: compile the model as it was when saved (optimizer state included).
        safe_mode: refuse Lambda layers, whose code is stored in the file.

    Returns:
        the model, ready to predict and, if compiled, to resume training.
    """
    path = os.fspath(filepath)
    kind = file_kind(path)
    if kind == "missing":
        raise _not_found(path)
    if kind == "dir":
        raise ValueError(f"'{path}' is a directory (a TensorFlow SavedModel?), which lamina "
                         "cannot load. Save the model as '.keras' or '.h5'.")
    with _errors_name_the_file(path):
        if kind == "zip":
            return keras_zip.load_keras(path, custom_objects, compile, safe_mode)
        if kind == "hdf5":
            return legacy_h5.load_legacy(path, custom_objects, compile, safe_mode)
    raise _unknown(path, "model file")


def save_weights(model, filepath, overwrite=True):
    """Saves the model's weights (and its optimizer's state, as Keras 3 does).

    Args:
        model: a lamina model.
        filepath: ``*.weights.h5`` (Keras 3 layout), ``*.h5`` (Keras 2 legacy layout), or any
            other name such as 'my_checkpoint.ckpt' (Keras 3 layout, one HDF5 file).
        overwrite: replace an existing file (else raise FileExistsError).
    """
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        raise ValueError(f"'{path}' names a whole-model file; use model.save() for it, or a "
                         "name ending in '.weights.h5' for weights only.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists; pass overwrite=True to replace it.")
    with atomic_path(path) as tmp:
        import h5py
        with h5py.File(tmp, "w") as h5:
            if _is_legacy_name(path):
                weights_io.write_legacy_weights(h5, model)
            else:
                weights_io.write_keras_weights(h5, model)


def _read_weights(h5, model, path, skip_mismatch, by_name):
    """(plan, optimizer values, optimizer names) read from any supported HDF5 layout."""
    if "layer_names" in h5.attrs or "model_weights" in h5:
        group = h5["model_weights"] if "model_weights" in h5 else h5
        plan = weights_io.read_legacy_weights(group, model, skip_mismatch, by_name)
        names, values = legacy_h5.read_optimizer_weights(h5, path, model)
        return plan, values, names
    if "vars" in h5 or "layers" in h5:
        plan, values = weights_io.read_keras_weights(h5, model, skip_mismatch)
        return plan, values, None
    raise ValueError(f"Cannot load weights from '{path}': it is an HDF5 file but holds no "
                     f"weights in a layout lamina knows (its groups: {list(h5.keys())[:10]}).")


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Loads weights saved by ``save_weights`` (or by Keras) into ``model``.

    Every array is read and checked before any is assigned: on an error the model keeps
    its weights. Reads ``.weights.h5``, legacy ``.h5`` (weights or whole model), ``.keras``
    and files saved under any other name.

    Args:
        model: a built model with the same architecture.
        filepath: path of the file.
        skip_mismatch: warn and skip layers whose weights do not fit, instead of raising.
        by_name: for legacy ``.h5`` files, match layers by name instead of by order.

    Raises:
        ValueError: the file is missing, corrupt, or its weights do not fit, naming the layer
            and both shapes.
    """
    path = os.fspath(filepath)
    kind = file_kind(path)
    if kind == "missing":
        raise _not_found(path)
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet, so it has no weights to load "
                         "into. Build it first: call it on a batch of data, or give the first "
                         "layer an input shape.")
    with _errors_name_the_file(path):
        _load_weights(model, path, kind, skip_mismatch, by_name)


def _load_weights(model, path, kind, skip_mismatch, by_name):
    if kind == "zip":
        data = keras_zip.read_weights(path, keras_zip.weights_limit(model))
        h5 = keras_zip.open_weights(data, path)
    elif kind == "hdf5":
        try:
            import h5py
            h5 = h5py.File(path, "r")
        except OSError as e:
            raise ValueError(f"Cannot load weights from '{path}': it is not a readable HDF5 "
                             f"file (it may be truncated or corrupt). {e}") from e
    else:
        raise _unknown(path, "weights file")
    with h5:
        try:
            plan, optimizer_values, names = _read_weights(h5, model, path, skip_mismatch,
                                                          by_name)
        except (OSError, KeyError, RuntimeError) as e:
            raise ValueError(f"Cannot read the weights in '{path}' (it may be truncated or "
                             f"corrupt). {type(e).__name__}: {e}") from e
    weights_io.apply(plan)
    if getattr(model, "compiled", False) and optimizer_values is not None:
        weights_io.restore_optimizer(model, optimizer_values, keras2_names=names)
