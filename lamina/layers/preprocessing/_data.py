"""What the preprocessing layers share: reading adapt() data batch by batch, and turning
text or numbers into NumPy arrays (strings stay on the host, even on the GPU)."""
import itertools

import numpy as np

from lamina import backend
from lamina.autograd import Tensor
from lamina.data.dataset import Dataset
from lamina.data.py_dataset import PyDataset


def _batches(data, steps=None, list_is_data=True):
    """The batches of ``data`` for adapt(): one array, or each batch of a Dataset,
    PyDataset or iterable (the x of an (x, y) batch), as NumPy arrays. A list is the
    data itself, or (``list_is_data=False``, as Keras's Normalization) a list of batches."""
    if isinstance(data, Dataset):
        iterator = data.as_numpy_iterator()
    elif isinstance(data, PyDataset):
        iterator = iter(data)
    elif isinstance(data, (np.ndarray, Tensor)) or hasattr(data, "to_numpy") or (
            backend.is_array(data)) or (list_is_data and isinstance(data, (list, tuple))):
        return [_host(data)]
    elif hasattr(data, "__iter__"):
        iterator = iter(data)
    else:
        raise TypeError(f"Unsupported data type for adapt(): {type(data).__name__}. Expected a "
                        "NumPy array, a Tensor, a list, a pandas object, a lamina.data.Dataset, "
                        "a PyDataset or an iterable of batches.")
    if steps is not None:
        iterator = itertools.islice(iterator, steps)
    return (_host(b[0] if isinstance(b, tuple) else b) for b in iterator)


def _host(data):
    """NumPy array of ``data`` (a Tensor, a CuPy array, a pandas object or a list)."""
    if isinstance(data, Tensor):
        data = data.data
    if hasattr(data, "to_numpy"):
        data = data.to_numpy()
    return backend.to_numpy(data) if backend.is_array(data) else np.asarray(data)


def _strings(data, encoding="utf-8"):
    """A NumPy unicode array from text data (lists, pandas, bytes, object arrays)."""
    array = _host(data)
    if array.dtype.kind == "S" or (array.dtype == object and array.size and isinstance(
            array.reshape(-1)[0], bytes)):
        return np.vectorize(lambda b: b.decode(encoding) if isinstance(b, bytes) else str(b),
                            otypes=[str])(array) if array.size else array.astype(str)
    return array.astype(str) if array.dtype.kind != "U" else array
