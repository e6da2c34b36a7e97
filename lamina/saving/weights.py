"""Weights in HDF5: Keras 3's layout (``.weights.h5``, inside ``.keras``) and Keras 2's legacy one.

Keras 3's layout follows the model's attributes: each layer's own variables sit in
``<path>/vars/0``, ``<path>/vars/1``, ... where the path is the attribute that holds the
layer (``hidden/vars``) or, inside a list such as a Sequential's ``layers``, the snake-case
class name numbered per list (``layers/dense``, ``layers/dense_1``). The optimizer's state is
in ``optimizer/vars``. Keras 2's legacy layout (``.h5``) keeps one group per layer name,
whose ``weight_names`` attribute lists the datasets in order.

Loading reads and checks every array first and assigns them only when all fit, so a bad
file leaves the model as it was.
"""
import warnings
import zlib

import numpy as np

from lamina import backend
from lamina.autograd import Variable
from lamina.layers.base import Layer
from lamina.models import Functional, Model, Sequential
from lamina.naming import snake_case
from lamina.optimizers import Optimizer
from lamina.saving import limits

FORMAT_VERSION = "3.15.1"   # the Keras version whose file layout lamina writes
CHECKSUM_ATTR = "lamina_crc32"  # a dataset attribute: the CRC-32 of its values
HDF5_OBJECT_HEADER_LIMIT = 64512
_skip = {}


# --- walking the model as Keras does ---
def _is_saveable(obj):
    return isinstance(obj, (Layer, Optimizer))


def _skiplist():
    """Attributes of a bare Layer: Keras never walks those of its base class either."""
    if "layer" not in _skip:
        _skip["layer"] = set(dir(Layer(name="saving_probe")))
    return _skip["layer"]


def _name_key(name):
    return "~" + name if name.startswith("_") else name


def model_layers(model):
    """A model's layers in the order Keras saves them (a functional model lists them so)."""
    return list(model.layers)


def _children(obj):
    if isinstance(obj, Optimizer):
        return
    if isinstance(obj, (Sequential, Functional)):
        yield "layers", model_layers(obj)
        if getattr(obj, "optimizer", None) is not None:
            yield "optimizer", obj.optimizer
        return
    names = set(vars(obj)) | ({"layers"} if isinstance(obj, Model) else set())
    skip = _skiplist()
    for name in sorted(names, key=_name_key):
        if name.startswith("__") or name in skip:
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # noqa: BLE001 -- a property that cannot be read holds no state
            continue
        yield name, value


def saveables(model):
    """(path, object) for the model, every nested layer and the optimizer, in Keras's order."""
    out, visited = [], set()

    def walk(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        for attr, child in _children(obj):
            child_path = f"{path}/{attr}" if path else attr
            if _is_saveable(child):
                walk(child, child_path)
            elif isinstance(child, (list, tuple, dict)):
                used = {}
                for item in (child.values() if isinstance(child, dict) else child):
                    if not _is_saveable(item):
                        continue
                    name = snake_case(type(item).__name__)
                    if name in used:
                        used[name] += 1
                        name = f"{name}_{used[name]}"
                    else:
                        used[name] = 0
                    walk(item, f"{child_path}/{name}")

    walk(model, "")
    return out


def own_variables(layer):
    """A layer's own weights (not its sub-layers'), trainable first, as Keras saves them."""
    own = layer._own_weights
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def _shape(w):
    return tuple(int(d) for d in w.shape)


# --- errors that name what did not fit ---
class WeightsMismatchError(ValueError):
    """The weights in a file do not fit the model."""


def unbuilt_error(model, filepath):
    """The error for a loaded model that could not be built, so its weights have no home."""
    return WeightsMismatchError(
        f"Model '{model.name}' ({type(model).__name__}) was rebuilt from '{filepath}' but not "
        "built, so its saved weights cannot be loaded: the file does not record the input "
        "shape it was built with (build_config). Build the model in code, call it on a batch, "
        "and use load_weights() instead.")


def _dataset(item, where):
    """``item`` if it is an HDF5 dataset of numbers, else a ValueError naming ``where``."""
    import h5py
    if not isinstance(item, h5py.Dataset):
        raise ValueError(f"The weights file holds a {type(item).__name__} at '{where}' where "
                         "an array was expected: it may be corrupt.")
    try:
        kind = item.dtype.kind
    except Exception as e:  # noqa: BLE001 -- h5py raises TypeError for dtypes NumPy lacks
        raise ValueError(f"The array at '{where}' in the weights file has a data type lamina "
                         f"cannot read ({type(e).__name__}: {e}).") from e
    if kind not in "fiub":
        raise ValueError(f"The array at '{where}' in the weights file has dtype {item.dtype}; "
                         "weights are numbers (float, int or bool).")
    return item


def _chunks_complete(dataset):
    """True when every chunk of a chunked dataset is stored, each at a valid position."""
    expected = 1
    for n, c in zip(dataset.shape, dataset.chunks):
        expected *= -(-n // c)
    if dataset.id.get_num_chunks() != expected:
        return False
    positions = set()
    for i in range(expected):
        offset = dataset.id.get_chunk_info(i).chunk_offset
        if any(o % c or o >= n for o, c, n in zip(offset, dataset.chunks, dataset.shape)):
            return False
        positions.add(offset)
    return len(positions) == expected


def _read(dataset, where, max_size=None):
    """The values of ``dataset``, checked (dtype; at most ``max_size`` elements) first."""
    dataset = _dataset(dataset, where)
    if max_size is not None and dataset.size > max_size:
        raise ValueError(f"The array at '{where}' in the weights file declares shape "
                         f"{dataset.shape} ({dataset.size} values), more than the limit of "
                         f"{max_size} values (the model's largest weight): the file is corrupt "
                         "or crafted.")
    if (dataset.compression is None and dataset.id.get_storage_size() < dataset.nbytes) or (
            dataset.chunks is not None and not _chunks_complete(dataset)):
        # NOTE: HDF5 returns the fill value (zeros) for data never written, so a damaged
        # pointer to the data would otherwise load as zeros without an error
        raise ValueError(f"The array at '{where}' in the weights file is not fully stored "
                         f"(shape {dataset.shape}, {dataset.id.get_storage_size()} bytes "
                         "stored, or a chunk missing): the file is truncated or corrupt.")
    try:
        values = np.asarray(dataset[()])
        expected = dataset.attrs.get(CHECKSUM_ATTR)  # only in files lamina wrote
    except Exception as e:  # noqa: BLE001 -- h5py raises OSError/KeyError/RuntimeError
        reason = ("its checksum (Fletcher-32) does not match: the bytes were damaged"
                  if isinstance(e, OSError) and dataset.fletcher32 else
                  "it may be truncated or corrupt")
        raise ValueError(f"Could not read the array at '{where}' in the weights file: "
                         f"{reason} ({type(e).__name__}: {e}).") from e
    if expected is not None and zlib.crc32(_bytes(values)) != expected:
        raise ValueError(f"The array at '{where}' in the weights file does not match the "
                         "checksum lamina wrote with it (CRC-32): the file was damaged.")
    return values


def _stored(group, where):
    """The datasets '0', '1', ... of a Keras 3 ``vars`` group, in order (not read yet)."""
    if group is None:
        return []
    if not hasattr(group, "keys"):
        raise ValueError(f"The weights file holds an array at '{where}' where a group was "
                         "expected: it may be corrupt.")
    keys = list(group.keys())
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=lambda k: (len(k), k)) != expected:
        raise ValueError(f"The weights group '{where}' has unexpected entries {sorted(keys)}; "
                         f"expected {expected}.")
    return [_dataset(group[k], f"{where}/{k}") for k in expected]


def _refuse(message, skip_mismatch, stacklevel):
    """Warns that the layer is skipped when ``skip_mismatch``, else raises the mismatch."""
    if not skip_mismatch:
        raise WeightsMismatchError(message)
    warnings.warn(message + " Skipping this layer.", stacklevel=stacklevel + 1)


def _mismatch(layer, weights, values, count_message, location):
    """Why the saved ``values`` cannot be loaded into ``weights``, or None if they can:
    ``count_message`` when their numbers differ, else the first weight whose shape differs
    (the saved value found ``location``)."""
    if len(values) != len(weights):
        return count_message
    for w, value in zip(weights, values):
        if value.shape != _shape(w):
            return (f"Layer '{layer.name}' weight '{w.name}' has shape {_shape(w)}, but the "
                    f"saved weight has shape {value.shape} ({location}).")
    return None


def _check_layer(layer, values, where, skip_mismatch, plan):
    own = own_variables(layer)
    count_message = (f"Layer '{layer.name}' expected {len(own)} variables "
                     f"{[w.name for w in own]}, but received {len(values)} variables during "
                     f"loading (from '{where}').")
    if not layer.built and own == []:
        count_message += " The layer is not built yet: build the model before loading weights."
    message = _mismatch(layer, own, values, count_message, f"at '{where}'")
    if message is not None:
        _refuse(message, skip_mismatch, stacklevel=4)
        return
    plan.extend((w, _read(v, f"{where}/{i}")) for i, (w, v) in enumerate(zip(own, values)))


def _bytes(values):
    """The values' bytes in C order, little-endian, as the checksum reads them."""
    return np.asarray(values, dtype=np.asarray(values).dtype.newbyteorder("<")).tobytes()


def write_array(group, name, value):
    """Writes ``value`` as dataset ``name`` with HDF5's Fletcher-32 checksum, so damaged bytes
    are detected when it is read (h5py and Keras read it as any dataset). Scalars and empty
    arrays cannot be chunked, which the filter needs: they are written plain.

    The CRC-32 of the values is kept as the dataset's attribute ``lamina_crc32`` (Keras
    ignores it), which ``_read`` checks."""
    value = np.asarray(value)
    checked = value.ndim > 0 and value.size > 0
    dataset = group.create_dataset(name, data=value, fletcher32=checked)
    # NOTE: Fletcher-32 guards the bytes of each chunk, not which chunk a damaged header
    # points to (another array's, with a valid checksum), and scalars cannot carry it; a
    # CRC of the values in the dataset's own header covers both
    dataset.attrs[CHECKSUM_ATTR] = np.uint32(zlib.crc32(_bytes(value)))


# --- Keras 3 layout ---
def write_keras_weights(h5, model):
    """Writes the model's (and its optimizer's) variables into an open h5py File."""
    for path, obj in saveables(model):
        group = h5.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = obj.name
        if isinstance(obj, Optimizer):
            values = obj.get_state()
        else:
            values = [backend.to_numpy(w.data) for w in own_variables(obj)]
        for i, value in enumerate(values):
            write_array(group, str(i), value)


def read_keras_weights(h5, model, skip_mismatch=False):
    """Reads and checks every array for ``model`` from a Keras 3 layout file.

    Returns:
        (plan, optimizer_values): plan is a list of (variable, array); optimizer_values the
        saved optimizer arrays (or None).

    Raises:
        WeightsMismatchError: naming the layer, the weight and both shapes.
    """
    plan, optimizer_values, used = [], None, set()
    for path, obj in saveables(model):
        key = f"{path}/vars" if path else "vars"
        if key not in h5 and "_layer_checkpoint_dependencies" in h5:  # tf-keras 2.13's .keras
            key = key.replace("layers", "_layer_checkpoint_dependencies", 1)
        group = h5.get(key)
        if isinstance(obj, Optimizer):
            if group is not None:
                limit = limits.array_limit(model)
                optimizer_values = [_read(d, f"{key}/{i}", limit)
                                    for i, d in enumerate(_stored(group, key))]
                used.add(key)
            continue
        values = _stored(group, key)
        used.add(key)
        _check_layer(obj, values, key, skip_mismatch, plan)
    extra = []
    h5.visititems(lambda name, item: extra.append(name) if (
        name.endswith("vars") and hasattr(item, "keys") and len(item) and name not in used
        and not name.startswith("optimizer")) else None)
    if extra and not skip_mismatch:
        raise WeightsMismatchError(
            f"The file holds weights that this model has no layer for: {extra}. The model's "
            f"layers read {sorted(used)}. Is it the same architecture?")
    return plan, optimizer_values


# --- Keras 2 legacy layout ---
def save_attributes(group, name, data):
    """Stores a list of strings as an HDF5 attribute, split into chunks if too large."""
    data = [d.encode("utf8") if isinstance(d, str) else d for d in data]
    array = np.asarray(data)
    chunks, n = [array], 1
    while any(c.nbytes > HDF5_OBJECT_HEADER_LIMIT for c in chunks):
        n += 1
        chunks = np.array_split(array, n)
    if n > 1:
        for i, chunk in enumerate(chunks):
            group.attrs[f"{name}{i}"] = chunk
    else:
        group.attrs[name] = data


def load_attributes(group, name):
    """Reads a list of strings written by ``save_attributes`` (Keras's chunked form too)."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, i = [], 0
        while f"{name}{i}" in group.attrs:
            values.extend(group.attrs[f"{name}{i}"])
            i += 1
    return [v.decode("utf8") if hasattr(v, "decode") else str(v) for v in values]


def _legacy_names(weights):
    names, seen = [], set()
    for w in weights:
        name = w.path or w.name
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    return names


def _save_subset(group, weights):
    names = _legacy_names(weights)
    save_attributes(group, "weight_names", names)
    for name, w in zip(names, weights):
        write_array(group, name, backend.to_numpy(w.data))


def write_legacy_weights(group, model):
    """Writes Keras 2's layout: ``layer_names`` and one group per layer (legacy ``.h5``)."""
    layers = model_layers(model)
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = "lamina"
    group.attrs["keras_version"] = FORMAT_VERSION
    for layer in sorted(layers, key=lambda layer: layer.name):
        _save_subset(group.create_group(layer.name), layer.trainable_weights +
                     layer.non_trainable_weights)
    _save_subset(group.create_group("top_level_model_weights"), own_variables(model))


def _load_subset(group, where):
    values = []
    for name in load_attributes(group, "weight_names"):
        if name not in group:
            raise ValueError(f"The weights file lists '{name}' under '{where}' but has no "
                             "such array: it may be truncated or corrupt.")
        values.append(_dataset(group[name], f"{where}/{name}"))
    return values


def read_legacy_weights(group, model, skip_mismatch=False, by_name=False):
    """Reads and checks every array of a Keras 2 layout group for ``model``.

    Layers are matched in order (layers without weights skipped), or by name with
    ``by_name=True``.

    Returns:
        a list of (variable, array).
    """
    saved = load_attributes(group, "layer_names")
    missing = [n for n in saved if n not in group]
    if missing:
        raise ValueError(f"The weights file lists layers {missing} that it has no group for: it "
                         "may be truncated or corrupt.")
    layers = model_layers(model)
    plan = []
    if by_name:
        by = {layer.name: layer for layer in layers}
        pairs = [(by[n], n) for n in saved if n in by]
    else:
        saved = [n for n in saved if load_attributes(group[n], "weight_names")]
        with_weights = [layer for layer in layers if layer.weights]
        if len(saved) != len(with_weights):
            raise WeightsMismatchError(
                f"Layer count mismatch when loading weights from file. Model expected "
                f"{len(with_weights)} layers with weights {[l.name for l in with_weights]}, "
                f"found {len(saved)} saved layers with weights {saved}.")
        pairs = list(zip(with_weights, saved))
    for layer, name in pairs:
        values = _load_subset(group[name], name)
        weights = layer.trainable_weights + layer.non_trainable_weights
        count_message = (f"Weight count mismatch for layer '{layer.name}' (saved as '{name}'): "
                         f"the layer has {len(weights)} weights {[w.name for w in weights]}, "
                         f"the file has {len(values)}.")
        message = _mismatch(layer, weights, values, count_message, f"layer '{name}' in the file")
        if message is not None:
            _refuse(message, skip_mismatch, stacklevel=3)
            continue
        plan.extend((w, _read(v, f"{name}/{w.name}")) for w, v in zip(weights, values))
    if "top_level_model_weights" in group:
        values = _load_subset(group["top_level_model_weights"], "top_level_model_weights")
        own = own_variables(model)
        if len(values) != len(own) and not skip_mismatch:
            raise WeightsMismatchError(f"Model '{model.name}' has {len(own)} weights of its own, "
                                       f"but the file has {len(values)}.")
        if len(values) == len(own):
            _check_layer(model, values, "top_level_model_weights", skip_mismatch, plan)
    return plan


# --- optimizer state ---
def optimizer_weight_names(optimizer):
    """Names of the optimizer's state arrays, as Keras 3's legacy ``.h5`` lists them."""
    n = len(optimizer.variables)
    names = [f"{optimizer.name}/iteration"]
    if isinstance(optimizer._learning_rate, Variable):
        names.append(f"{optimizer.name}/learning_rate")
    if optimizer.built:
        for group in optimizer._slot_groups():
            for v in optimizer._trainable_variables:
                path = str(v.path or v.name).replace("/", "_")
                names.extend(f"{optimizer.name}/{path}_{slot}" for slot in group)
        names.extend(f"{optimizer.name}/{a}" for a in optimizer._extra_state)
    if len(names) != n or len(set(names)) != n:
        names = [f"{optimizer.name}/variable_{i}" for i in range(n)]
    return names


def _unbuilt_count(optimizer):
    return 1 + isinstance(optimizer._learning_rate, Variable)


def restore_optimizer(model, values, keras2_names=None):
    """Puts saved optimizer arrays back, building the optimizer's slots first if needed.

    A count that does not fit warns and leaves the optimizer fresh, as Keras does; Keras 2's
    files (no learning rate stored; unused SGD momentum slots) are adapted.

    Returns:
        True when the state was restored.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or values is None:
        return False
    values = [np.asarray(v) for v in values]
    if keras2_names is not None and isinstance(optimizer._learning_rate, Variable) and not any(
            "learning_rate" in n for n in keras2_names):
        values.insert(1, np.asarray(float(optimizer._learning_rate), dtype=backend.floatx()))
    if len(values) > len(optimizer.variables) and not optimizer.built:
        optimizer.build(model.trainable_weights)
    if len(values) != len(optimizer.variables) and not optimizer._slot_groups():
        values = values[:_unbuilt_count(optimizer)]  # e.g. Keras 2 SGD's unused momentum slots
    if len(values) != len(optimizer.variables):
        warnings.warn(f"Skipping variable loading for optimizer '{optimizer.name}', because it "
                      f"has {len(optimizer.variables)} variables whereas the saved optimizer has "
                      f"{len(values)} variables. Training continues with a fresh optimizer.",
                      stacklevel=3)
        return False
    bad = [(tuple(np.shape(t)), v.shape) for t, v in zip(optimizer.variables, values)
           if tuple(np.shape(t)) != v.shape]
    if bad:
        warnings.warn(f"Skipping variable loading for optimizer '{optimizer.name}': a saved state "
                      f"array has shape {bad[0][1]} where the optimizer has {bad[0][0]}. "
                      "Training continues with a fresh optimizer.", stacklevel=3)
        return False
    optimizer.set_state(values)
    return True


def apply(plan):
    """Assigns every (variable, array) pair; call only after all were read and checked."""
    for w, value in plan:
        xp = backend.get_array_module(w.data)
        w.assign(xp.asarray(value, dtype=w.data.dtype))  # onto the weight's device
