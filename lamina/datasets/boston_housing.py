"""Boston housing (StatLib): 506 areas of Boston in the 1970s, 13 features and the median
house value in k$. The data has an ethical problem (feature "B"); prefer
california_housing except to discuss it."""
import numpy as np

from lamina.datasets import _files
from lamina.datasets._files import DataFile

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
NPZ_SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113, cache_dir=None):
    """Loads Keras's ``boston_housing.npz``, shuffled and split as Keras does.

    Args:
        path: file name of the npz.
        test_split: fraction of the rows in the test set.
        seed: seed of the shuffle.
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: x (n, 13) floats, y (n,) prices in k$.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    npz = _files.fetch("boston_housing", {path: DataFile(NPZ_SHA256, ORIGIN + "boston_housing.npz")},
                       cache_dir=cache_dir)[path]
    with np.load(npz, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return _files.shuffle_split(x, y, test_split, seed)
