"""Turns what users pass to fit/evaluate/predict into batches.

Arrays (NumPy, lists, pandas, Tensors) are sliced into batches here. A
``lamina.data.Dataset``, a Python generator or a ``PyDataset`` already yields
batches: each is unpacked into (x, y, sample_weight) and moved to the backend.
"""
import itertools
import math
import types
import warnings

import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.data.dataset import INFINITE_CARDINALITY, Dataset
from lamina.data.py_dataset import PyDataset, iterate_batches

DEFAULT_BATCH_SIZE = 32


def to_array(data):
    """Converts one input to a NumPy array (pandas, lists and Tensors included)."""
    if data is None:
        return None
    if isinstance(data, Tensor):
        return data.numpy()
    if hasattr(data, "to_numpy"):  # pandas DataFrame / Series
        return data.to_numpy()
    data = backend.to_numpy(data) if backend.is_array(data) else np.asarray(data)
    if data.dtype == object:
        raise TypeError(f"Cannot convert data of dtype object (shape {data.shape}) to a tensor; "
                        "expected numbers.")
    return data


def _arrays(data):
    """One array-like, or a list/tuple/dict of them (several inputs or outputs), as NumPy."""
    if isinstance(data, (list, tuple, dict)) and any(
            hasattr(leaf, "shape") for leaf in tree.flatten(data)):
        return tree.map_structure(to_array, data)
    return to_array(data)


def check_positive_int(name, value):
    """Raises Keras's error for a count (``batch_size``, ``steps``, ...) that is not a
    positive integer; None passes (it means the default)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Argument `{name}` should be a positive integer. "
                         f"Received: {name}={value!r}")


def standardize(x, y=None, sample_weight=None):
    """Converts x, y, sample_weight (array-likes, or lists/dicts of them for models with
    several inputs or outputs) to NumPy arrays with the same number of samples.

    A 1-D x becomes one feature per sample, as Keras 2 does (``predict([10.0])``).
    """
    if batched_kind(x) is not None:
        raise ValueError("Argument `validation_split` is only supported for tensors or NumPy "
                         f"arrays. Found incompatible type in the input: [{type(x)}]")
    x = _arrays(x)
    if x is None:
        raise ValueError("Expected input data `x`, received None.")
    if isinstance(x, np.ndarray) and x.ndim == 1:
        x = x.reshape(-1, 1)
    y, sample_weight = _arrays(y), to_array(sample_weight)
    check_lengths(x, y, sample_weight)
    return x, y, sample_weight


def adapt(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
          class_weight=None):
    """Returns the batches that fit/evaluate/predict iterate over.

    Args:
        x, y, sample_weight: the user's data: arrays, or a Dataset, generator or PyDataset
            yielding batches ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` (then ``y``
            and ``sample_weight`` must be None).
        batch_size: samples per batch for arrays (None: 32); must be None for a Dataset,
            generator or PyDataset, which make their own batches.
        steps: batches per epoch (default: the whole data once). With a Dataset,
            generator or PyDataset, each epoch goes on where the last one stopped.
        shuffle: reshuffle arrays each epoch (for a PyDataset: the order of its batches).
        class_weight: optional {class: weight}, turned into sample weights.

    Returns:
        an iterable of (x,), (x, y) or (x, y, sample_weight) batches of backend arrays;
        ``.steps`` is the number of steps per epoch (None when unknown; ``len()`` then 0).
    """
    kind = batched_kind(x)
    if kind is None:
        x, y, sample_weight = standardize(x, y, sample_weight)
        sample_weight = _with_class_weight(y, sample_weight, class_weight)
        return ArrayBatches(x, y, sample_weight, batch_size or DEFAULT_BATCH_SIZE, shuffle, steps)
    name = {"dataset": "lamina.data.Dataset", "generator": "Python generator",
            "py_dataset": "PyDataset"}[kind]
    if y is not None:
        raise_unsupported_arg("y", "the targets", name)
    if sample_weight is not None:
        raise_unsupported_arg("sample_weights", "the sample weights", name)
    if batch_size is not None:
        raise ValueError("The `batch_size` argument must not be specified for the given input "
                         f"type. Received input: {x!r}, batch_size: {batch_size}")
    if kind == "generator" and class_weight is not None:
        raise ValueError("Argument `class_weight` is not supported for Python generator "
                         f"inputs. Received: class_weight={class_weight}")
    return BatchStream(x, kind, steps, shuffle=bool(shuffle) and kind == "py_dataset",
                       class_weight=class_weight)


def raise_unsupported_arg(arg_name, arg_description, input_type):
    """Keras's error for ``y`` or ``sample_weight`` given next to a dataset."""
    raise ValueError(f"When providing `x` as a {input_type}, `{arg_name}` should not be "
                     f"passed. Instead, {arg_description} should be included as part of the "
                     f"{input_type}.")


def batched_kind(x):
    """'dataset', 'generator' or 'py_dataset' for inputs that yield batches, else None."""
    if isinstance(x, Dataset):
        return "dataset"
    if isinstance(x, PyDataset):
        return "py_dataset"
    if isinstance(x, (types.GeneratorType, map, filter, itertools.islice)):
        return "generator"
    return None


def num_steps(batches):
    """Steps per epoch of what ``adapt`` returned, or None when unknown."""
    return getattr(batches, "steps", None)


def single_batch(x, y=None, sample_weight=None, class_weight=None):
    """The whole of x, y, sample_weight as one batch (train_on_batch and friends)."""
    x, y, sample_weight = standardize(x, y, sample_weight)
    sample_weight = _with_class_weight(y, sample_weight, class_weight)
    return next(iter(ArrayBatches(x, y, sample_weight, len(tree.flatten(x)[0]))))


def _with_class_weight(y, sample_weight, class_weight):
    """Sample weights multiplied by the weight of each sample's class, if class_weight is given."""
    if class_weight is None:
        return sample_weight
    if y is None:
        raise ValueError("`class_weight` needs targets `y`.")
    cw = class_weights_to_sample_weights(y, class_weight)
    return cw if sample_weight is None else sample_weight * cw


def unpack_validation_data(validation_data):
    """Splits ``validation_data`` into (x, y, sample_weight); a Dataset, generator or
    PyDataset is passed on whole, as x."""
    if batched_kind(validation_data) is not None:
        return validation_data, None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError("`validation_data` should be a tuple (x_val, y_val) or "
                         f"(x_val, y_val, val_sample_weight), a Dataset, a generator or a "
                         f"PyDataset; received {type(validation_data)}"
                         f" of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}.")
    return (tuple(validation_data) + (None,))[:3]


def to_batch(array):
    """Moves one batch to the active backend; float64 becomes floatx as in Keras."""
    if array.dtype == np.float64 and backend.floatx() != "float64":
        array = array.astype(backend.floatx())
    return backend.to_device(array)


def check_lengths(x, y=None, sample_weight=None):
    """Raises a Keras-style error when x, y and sample_weight differ in length."""
    sizes = {}
    for name, data in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if data is not None:
            sizes[name] = [len(a) for a in tree.flatten(data)]
    if len({n for lengths in sizes.values() for n in lengths}) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous. Make sure all arrays contain the "
                         f"same number of samples.\n{detail}")
    return sizes["x"][0]


def class_weights_to_sample_weights(y, class_weight):
    """Per-sample weights from a {class index: weight} dict (labels sparse or one-hot)."""
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1), dtype=np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[labels]


def train_validation_split(arrays, validation_split):
    """Splits off the LAST ``validation_split`` fraction, before any shuffling (as Keras does)."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_split}")
    n = len(tree.flatten(arrays[0])[0])
    at = int(math.floor(n * (1.0 - validation_split)))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={validation_split} leaves no samples for "
                         f"{'training' if at == 0 else 'validation'} out of {n}.")
    train = tuple(tree.map_structure(lambda a: None if a is None else a[:at], d) for d in arrays)
    val = tuple(tree.map_structure(lambda a: None if a is None else a[at:], d) for d in arrays)
    return train, val


class ArrayBatches:
    """Batches of (x, y, sample_weight) arrays, shuffled each epoch if asked.

    Args:
        x, y, sample_weight: NumPy arrays of equal length (y and sample_weight may be None).
        batch_size: samples per batch; the last batch may be smaller.
        shuffle: reshuffle the samples at the start of each epoch.
        steps: batches per epoch (default: enough to see every sample once).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False, steps=None):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = check_lengths(x, y, sample_weight)
        if self.n == 0:
            raise ValueError("Expected input data to be non-empty; received 0 samples.")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = steps or math.ceil(self.n / self.batch_size)
        self._order = None
        self._position = 0

    def __len__(self):
        return self.steps

    def _take(self, data, index):
        if data is None:
            return None
        if isinstance(data, np.ndarray):
            return to_batch(data[index])
        return tree.map_structure(lambda a: to_batch(a[index]), data)

    def __iter__(self):
        for _ in range(self.steps):
            if self._position >= self.n:
                self._position = 0
            if self._position == 0 and self.shuffle:
                self._order = backend.rng(np).permutation(self.n)
            stop = min(self._position + self.batch_size, self.n)
            index = self._order[self._position:stop] if self.shuffle else slice(self._position, stop)
            self._position = stop
            x, y, sample_weight = (self._take(self.x, index), self._take(self.y, index),
                                   self._take(self.sample_weight, index))
            # weights without targets are kept (Keras's packing would drop them)
            yield ((x, y, sample_weight) if y is None and sample_weight is not None
                   else pack_x_y_sample_weight(x, y, sample_weight))


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """One batch as ``fit`` takes it (``keras.utils.pack_x_y_sample_weight``): x alone (or
    ``(x,)`` when x is a tuple or list) when there is no ``y``, else ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Splits one batch given as x, (x,), (x, y), (x, y, sample_weight) or a list of them.

    Returns:
        ``(x, y, sample_weight)``, None for the parts not given.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple) or hasattr(data, "_fields"):
        return data, None, None
    if len(data) > 3:
        raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                         f"`(x, y, sample_weight)`, found a tuple of length {len(data)}: "
                         f"{str(data)[:200]}")
    return (data + (None, None))[:3]


def _leaf_to_batch(leaf):
    if isinstance(leaf, Tensor):
        leaf = leaf.data
    elif hasattr(leaf, "to_numpy"):
        leaf = leaf.to_numpy()
    elif not backend.is_array(leaf):
        leaf = np.asarray(leaf)
    return to_batch(leaf)


class BatchStream:
    """Batches read from a Dataset, a generator or a PyDataset, as backend arrays.

    Each epoch reads one pass of the data; with ``steps``, each epoch reads ``steps``
    batches and the next epoch goes on from there (as Keras does), starting a new pass
    once a pass of known length is used up. A generator can be read only once.

    Args:
        data: the Dataset, generator or PyDataset.
        kind: 'dataset', 'generator' or 'py_dataset'.
        steps: batches per epoch; None: one pass.
        shuffle: (PyDataset) visit its batches in a new random order each epoch.
        class_weight: optional {class: weight}, turned into sample weights from each y.
    """

    def __init__(self, data, kind, steps=None, shuffle=False, class_weight=None):
        self.data, self.kind = data, kind
        self.shuffle, self.class_weight = shuffle, class_weight
        self.user_steps = steps
        self.num_batches, infinite = self._pass_length()
        if infinite and steps is None:
            raise ValueError(
                "When passing an infinitely repeating dataset, please specify how many steps "
                "to draw from it: `steps_per_epoch` in fit, `steps` in evaluate and predict, "
                "`validation_steps` for validation data.")
        self.steps = steps or self.num_batches
        self.exhausted = False  # set when the data ran out before `steps` batches
        self._iterator = None
        self._seen = 0

    def _pass_length(self):
        """(batches in one pass or None if unknown, whether the data is endless)."""
        if self.kind == "dataset":
            n = self.data._cardinality()
            return (n, False) if n >= 0 else (None, n == INFINITE_CARDINALITY)
        if self.kind == "py_dataset":
            n = self.data.num_batches
            return (int(n), False) if n is not None else (None, True)
        return None, False

    def __len__(self):
        return self.steps or 0

    def _new_pass(self):
        if self.kind == "dataset":
            return self.data._elements()
        if self.kind == "py_dataset":
            n = self.num_batches
            indices = itertools.count() if n is None else range(n)
            if self.shuffle and n:
                indices = backend.rng(np).permutation(n).tolist()
            return iterate_batches(self.data, indices)
        return self.data  # a generator goes on from where it is

    def __iter__(self):
        if self.kind == "py_dataset":
            self.data.on_epoch_begin()
        try:
            if self.user_steps is None:
                count = 0
                for element in self._new_pass():
                    count += 1
                    yield self._convert(element)
                if count == 0 and self.kind == "generator":
                    self._out_of_data()
                if self.steps is None:  # learnt: the next epochs' progress bars know it
                    self.steps = count
                return
            yield from self._some_steps()
        finally:
            if self.kind == "py_dataset":
                self.data.on_epoch_end()

    def _some_steps(self):
        if self._iterator is None:
            self._iterator, self._seen = iter(self._new_pass()), 0
        for _ in range(self.user_steps):
            if self.num_batches is not None and self._seen >= self.num_batches:
                self._out_of_data()
                break
            try:
                element = next(self._iterator)
            except StopIteration:
                self._out_of_data()
                self._iterator = None
                return
            self._seen += 1
            yield self._convert(element)
        if self.num_batches is not None and self._seen >= self.num_batches:
            self._iterator = None

    def _out_of_data(self):
        self.exhausted = True
        warnings.warn("Your input ran out of data; interrupting training. Make sure that your "
                      "dataset or generator can generate at least `steps_per_epoch * epochs` "
                      "batches. You may need to use the `.repeat()` function when building "
                      "your dataset.", stacklevel=3)

    def _convert(self, element):
        x, y, sample_weight = unpack_x_y_sample_weight(element)
        if self.class_weight is not None and y is not None:
            if sample_weight is not None:
                raise ValueError("You cannot specify `class_weight` and `sample_weight` at the "
                                 "same time.")
            sample_weight = class_weights_to_sample_weights(to_array(y), self.class_weight)
        batch = tuple(None if part is None else tree.map_structure(_leaf_to_batch, part)
                      for part in (x, y, sample_weight))
        # as ArrayBatches: (x,), (x, y) or (x, y, sample_weight), whichever are present
        return batch if batch[2] is not None else batch[:2] if batch[1] is not None else batch[:1]
