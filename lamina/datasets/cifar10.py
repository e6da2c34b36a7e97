"""CIFAR-10: 60,000 32x32 colour images in 10 classes (Krizhevsky, 2009)."""
import tarfile

import numpy as np

from lamina.datasets import _files
from lamina.datasets._files import DataFile
from lamina.datasets._safe_pickle import load_pickle

ARCHIVE = "cifar-10-python.tar.gz"
FILES = {ARCHIVE: DataFile("6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                           "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")}
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]


def read_batches(archive, folder, names, label_key):
    """Reads pickled CIFAR batches from the tarball, without extracting it.

    The batches are Python pickles: they are read with a restricted unpickler that only
    rebuilds NumPy arrays, dicts, lists and bytes, so a tampered file cannot run code.

    Args:
        archive: path of the ``.tar.gz``.
        folder: the folder inside it ('cifar-10-batches-py').
        names: batch file names, in order.
        label_key: 'labels', 'fine_labels' or 'coarse_labels'.

    Returns:
        uint8 images (n, 32, 32, 3) (channels last) and uint8 labels (n, 1).
    """
    images, labels = [], []
    with tarfile.open(archive, "r:gz") as tar:
        for name in names:
            member = tar.extractfile(f"{folder}/{name}")
            batch = load_pickle(member.read(), encoding="bytes")
            batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
            data = np.asarray(batch["data"], dtype=np.uint8)
            images.append(data.reshape(len(data), 3, 32, 32))
            labels.append(np.asarray(batch[label_key], dtype=np.uint8))
    x = np.concatenate(images).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), np.concatenate(labels).reshape(-1, 1)


def load_data(cache_dir=None):
    """Loads CIFAR-10: 50,000 training and 10,000 test 32x32 colour images of 10 classes.

    Reads Keras's file, ``cifar-10-python.tar.gz`` (sha256-checked), from
    ``$LAMINA_DATA_DIR/cifar10/`` or the cache folder, else downloads it from the CIFAR
    homepage. Label ``i`` is ``CLASS_NAMES[i]``.

    Args:
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3), uint8 labels (50000, 1) and (10000, 1), as Keras.
    """
    path = _files.fetch("cifar10", FILES, cache_dir=cache_dir)[ARCHIVE]
    folder = "cifar-10-batches-py"
    train = read_batches(path, folder, [f"data_batch_{i}" for i in range(1, 6)], "labels")
    test = read_batches(path, folder, ["test_batch"], "labels")
    return train, test
