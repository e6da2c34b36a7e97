"""CIFAR-100: 60,000 32x32 colour images in 100 classes grouped in 20 superclasses."""
from lamina.datasets import _files
from lamina.datasets._files import DataFile
from lamina.datasets.cifar10 import read_batches

ARCHIVE = "cifar-100-python.tar.gz"
FILES = {ARCHIVE: DataFile("85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                           "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz")}


def load_data(label_mode="fine", cache_dir=None):
    """Loads CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

    Reads ``cifar-100-python.tar.gz`` (sha256-checked, Keras's file) from
    ``$LAMINA_DATA_DIR/cifar100/`` or the cache folder, else downloads it.

    Args:
        label_mode: 'fine' (100 classes) or 'coarse' (20 superclasses).
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (50000, 32, 32, 3) and
        (10000, 32, 32, 3), uint8 labels (50000, 1) and (10000, 1).
    """
    if label_mode not in ["fine", "coarse"]:
        raise ValueError('`label_mode` must be one of `"fine"`, `"coarse"`. '
                         f"Received: label_mode={label_mode}.")
    path = _files.fetch("cifar100", FILES, cache_dir=cache_dir)[ARCHIVE]
    key = f"{label_mode}_labels"
    return (read_batches(path, "cifar-100-python", ["train"], key),
            read_batches(path, "cifar-100-python", ["test"], key))
