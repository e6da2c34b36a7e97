"""Keras 2's legacy HDF5 model file (``model.save("x.h5")``).

Root attributes ``model_config`` and ``training_config`` (JSON), the weights in group
``model_weights`` (one group per layer) and the optimizer's state in ``optimizer_weights``.
"""
import json
import os
import warnings

import numpy as np

from lamina.layers.base import memory_budget
from lamina.saving import limits
from lamina.saving import weights as weights_io
from lamina.saving.atomic import atomic_path
from lamina.models import Model
from lamina.serialization.serialization_lib import (build_from_config, compile_from_config,
                                                    deserialize_keras_object,
                                                    serialize_keras_object)


def _legacy_entry(entry):
    """A layer entry as Keras's legacy format writes it: no module, registered class name."""
    out = {"class_name": entry.get("registered_name") or entry["class_name"],
           "config": entry["config"]}
    for key in ("name", "inbound_nodes"):
        if key in entry:
            out[key] = entry[key]
    return out


def model_config(model):
    """``{"class_name", "config"}`` of a model in Keras's legacy layout."""
    full = serialize_keras_object(model)
    config = dict(full["config"])
    if isinstance(config.get("layers"), list):
        config["layers"] = [_legacy_entry(e) for e in config["layers"]]
    out = _legacy_entry(full)
    out["config"] = config
    build = full.get("build_config")
    if build is not None and not isinstance(config.get("layers"), list):
        out["build_config"] = build  # lamina's addition, for subclassed models
    return out


def training_config(model):
    """Keras's ``training_config``: the compile arguments and ``optimizer_config``."""
    compiled = model.get_compile_config() if model.compiled else None
    if compiled is None:
        return None
    compiled = serialize_keras_object(compiled)
    optimizer = compiled.pop("optimizer")
    compiled["optimizer_config"] = {"class_name": optimizer["registered_name"] or
                                    optimizer["class_name"], "config": optimizer["config"]}
    return compiled


def save_legacy(model, filepath, include_optimizer=True):
    """Writes ``model`` to a legacy ``.h5`` file (atomically).

    Args:
        model: a built lamina model.
        filepath: destination path.
        include_optimizer: also save the compile settings and the optimizer's state.
    """
    config = json.dumps(model_config(model))
    train = training_config(model) if include_optimizer else None
    with atomic_path(filepath) as tmp:
        import h5py
        with h5py.File(tmp, "w") as f:
            f.attrs["backend"] = _text("lamina")
            f.attrs["keras_version"] = _text(weights_io.FORMAT_VERSION)
            f.attrs["model_config"] = _text(config)
            if train is not None:
                f.attrs["training_config"] = _text(json.dumps(train))
            weights_io.write_legacy_weights(f.create_group("model_weights"), model)
            optimizer = getattr(model, "optimizer", None)
            if include_optimizer and optimizer is not None:
                group = f.create_group("optimizer_weights")
                names = weights_io.optimizer_weight_names(optimizer)
                weights_io.save_attributes(group, "weight_names", names)
                for name, value in zip(names, optimizer.get_state()):
                    weights_io.write_array(group, name, value)


def _text(value):
    """A string attribute stored in the object header (fixed-length bytes) when it fits.

    NOTE: h5py stores a str as a variable-length string in the file's global heap, and a
    damaged heap can make libhdf5 loop forever when the attribute is read (found by
    tests/saving/test_fuzz.py); in the header a damaged byte only changes the text. Keras
    reads both forms. Past HDF5's 64 KB header limit the heap is the only place."""
    data = value.encode("utf-8")
    return np.bytes_(data) if len(data) < 60_000 else value


def _json_attr(f, name, filepath):
    if name not in f.attrs:
        return None
    attr = f.attrs.get_id(name)
    if attr.get_storage_size() > limits.MAX_CONFIG_BYTES:
        raise limits.refuse(filepath, f"its {name} attribute",
                            f"stores {attr.get_storage_size()} bytes, over the limit of "
                            f"{limits.MAX_CONFIG_BYTES} bytes")
    value = f.attrs[name]
    if isinstance(value, np.ndarray) and value.shape in ((), (1,)):
        value = value.reshape(()).item()
    if not isinstance(value, (str, bytes)):
        raise ValueError(f"Cannot load '{filepath}': its {name} attribute is not a JSON string "
                         f"(found {type(value).__name__}); the file may be corrupt.")
    return limits.parse_config(value, filepath, f"{name} attribute")


def read_optimizer_weights(f, filepath, model=None):
    """(names, arrays) of the saved optimizer state, or (None, None); with ``model``, no
    array may be larger than its largest weight."""
    if "optimizer_weights" not in f:
        return None, None
    group = f["optimizer_weights"]
    names = weights_io.load_attributes(group, "weight_names")
    values = []
    for name in names:
        if name not in group:
            raise ValueError(f"Cannot load '{filepath}': optimizer state '{name}' is listed but "
                             "missing (the file may be truncated or corrupt).")
        limit = None if model is None else limits.array_limit(model)
        values.append(weights_io._read(group[name], f"optimizer_weights/{name}", limit))
    return names, values


def load_legacy(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds a model from a legacy ``.h5`` file (Keras 2 or Keras 3 wrote it).

    Args:
        filepath: path of the file.
        custom_objects: optional ``{name: class or function}`` for user objects.
        compile: compile the model as saved (``training_config``).
        safe_mode: refuse Lambda layers (code stored in the file).

    Returns:
        the model.
    """
    try:
        import h5py
        f = h5py.File(filepath, "r")
    except OSError as e:
        raise ValueError(f"Cannot load '{filepath}': it is not a readable HDF5 file (it may be "
                         f"truncated or corrupt). {type(e).__name__}: {e}") from e
    with f:
        config = _json_attr(f, "model_config", filepath)
        if config is None:
            raise ValueError(f"No model config found in the file at '{filepath}': it holds "
                             "weights only. Build the model in code and call "
                             "model.load_weights() instead.")
        with memory_budget(os.path.getsize(filepath) + limits.MEMORY_SLACK, filepath):
            model = deserialize_keras_object(config, custom_objects, safe_mode, kind="models")
        if not isinstance(model, Model):
            raise ValueError(f"'{filepath}' does not hold a model: its model_config describes "
                             f"a {type(model).__name__}.")
        if config.get("build_config"):
            with memory_budget(os.path.getsize(filepath) + limits.MEMORY_SLACK, filepath):
                build_from_config(model, config["build_config"])
        if "model_weights" not in f:
            raise ValueError(f"Cannot load '{filepath}': it has no model_weights group.")
        try:
            plan = weights_io.read_legacy_weights(f["model_weights"], model)
            names, optimizer_values = read_optimizer_weights(f, filepath, model)
        except weights_io.WeightsMismatchError as e:
            raise weights_io.unbuilt_error(model, filepath) if not model.built else e
        except (OSError, KeyError, RuntimeError) as e:
            raise ValueError(f"Cannot read the weights in '{filepath}' (it may be truncated or "
                             f"corrupt). {type(e).__name__}: {e}") from e
        train = _json_attr(f, "training_config", filepath) if compile else None
    weights_io.apply(plan)
    if train is not None:
        compile_config = {k: v for k, v in train.items() if k != "optimizer_config"}
        compile_config["optimizer"] = train.get("optimizer_config")
        compile_from_config(model, compile_config, custom_objects, safe_mode)
        if getattr(model, "compiled", False):
            weights_io.restore_optimizer(model, optimizer_values, keras2_names=names)
    elif compile:
        warnings.warn(f"No training configuration found in '{filepath}', so the model was "
                      "*not* compiled. Compile it manually.", stacklevel=3)
    return model
