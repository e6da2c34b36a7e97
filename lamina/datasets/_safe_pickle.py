"""Reading the pickles inside Keras's dataset files without running code from them.

CIFAR's batches are pickled dicts, and IMDB's and Reuters's npz files hold ragged
``dtype=object`` arrays (pickle streams). ``pickle.load`` would call any function a
file names; ``RestrictedUnpickler`` only rebuilds NumPy arrays (dicts, lists, bytes,
strings and numbers need no function) and refuses everything else.
"""
import importlib
import io
import pickle
import zipfile

import numpy as np

# The only functions a file may name: what rebuilding a NumPy array calls, under the
# numpy < 2 and numpy >= 2 module names, and the str-to-bytes encoder that protocol 2
# pickles written by Python 3 use for bytes.
_ALLOWED = {
    ("_codecs", "encode"): ("_codecs", "encode"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays, dicts, lists, bytes, strings and numbers only."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"Refusing to deserialize `{module}.{name}` while loading a Keras dataset. "
                "The file may be corrupted or malicious.")
        module, name = _ALLOWED[(module, name)]
        if module == "numpy._core.multiarray" and not hasattr(np, "_core"):
            module = "numpy.core.multiarray"  # numpy < 2
        return getattr(importlib.import_module(module), name)


def load_pickle(data, encoding="ASCII"):
    """Unpickles ``data`` (bytes) with ``RestrictedUnpickler``."""
    return RestrictedUnpickler(io.BytesIO(data), encoding=encoding).load()


def _read_npy(buffer):
    """One ``.npy`` member: numeric arrays with pickling off, object arrays restricted."""
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:
        buffer.seek(0)
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            np.lib.format.read_array_header_1_0(buffer)
        elif version in ((2, 0), (3, 0)):
            np.lib.format.read_array_header_2_0(buffer)  # 3.0 differs only in the text encoding
        else:
            raise ValueError(f"Unsupported .npy format version {version}.")
        return RestrictedUnpickler(buffer).load()


def load_npz(path):
    """Reads every array of an ``.npz`` file into a dict, object arrays included.

    Args:
        path: the ``.npz`` file.

    Returns:
        ``{name: array}``.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                arrays[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    return arrays
