"""A dataset catalogue in the style of TensorFlow Datasets: ``load(name, split=...)``.

>>> train = load("iris", split="train[:80%]")          # a lamina.data.Dataset
>>> for example in train.take(1):
...     print(example)   # {'features': <Tensor: shape=(4,) ...>, 'label': <Tensor: ...>}

Names: ``iris``, ``mnist``, ``fashion_mnist``, ``pima_diabetes``,
``california_housing``, ``airline_satisfaction``. Elements are dicts: ``features``
and ``label`` for the tables (for ``airline_satisfaction``, ``features`` is a dict of
its 22 columns, the text columns as strings), ``image`` (28, 28, 1) uint8 and
``label`` for the images; ``as_supervised=True`` gives ``(features, label)`` tuples.

Split syntax, as TFDS: ``'train'``, ``'train[:80%]'``, ``'train[80%:]'``,
``'train[:100]'``, ``'train[-10%:]'``, ``'train[:50%]+test'``, ``'all'``, or a list
of these (a list of datasets comes back). Percent boundaries round to the closest
row (``round(percent * rows / 100)``).

Row order (documented, fixed): the tables' files are sorted in ways that would make
slices unrepresentative (Iris by species), so each table's rows come in the order
``numpy.random.RandomState(SHUFFLE_SEED).permutation(rows)`` of the file's rows
(``SHUFFLE_SEED = 3``, chosen so that the 80/20 slices of Iris hold each species in
near equal shares; ``order(name)`` returns it). The image sets keep the order of
their official files, which is already mixed. The tables have one split, ``train``;
the image sets ``train`` and ``test``.

``read_csv(name)`` returns a table's file as a pandas DataFrame, rows and column
names as in the file (plus ``housing``: the Hands-On Machine Learning version of
California housing).
"""
import re

import numpy as np

from lamina import tree
from lamina.data import Dataset, TensorSpec, structure
from lamina.datasets import (_files, airline_satisfaction, california_housing, fashion_mnist,
                             iris, mnist, pima_diabetes)
from lamina.datasets._files import DataFile

SHUFFLE_SEED = 3


class ClassLabel:
    """An integer label with class names, as ``tfds.features.ClassLabel``.

    Args:
        names: the class names (index i is ``names[i]``).
        num_classes: the number of classes when there are no names ("0", "1", ...).
    """

    def __init__(self, names=None, num_classes=None):
        self.names = list(names) if names is not None else [str(i) for i in range(num_classes)]
        self.num_classes = len(self.names)
        self.shape, self.dtype = (), np.dtype("int64")

    def int2str(self, index):
        """The name of class ``index``."""
        return self.names[int(index)]

    def str2int(self, name):
        """The index of class ``name``."""
        if name not in self.names:
            raise ValueError(f"Invalid string class label {name!r}; expected one of {self.names}.")
        return self.names.index(name)

    def __repr__(self):
        return f"ClassLabel(shape=(), dtype=int64, num_classes={self.num_classes})"


class SplitInfo:
    """Name and size of one split."""

    def __init__(self, name, num_examples):
        self.name, self.num_examples = name, num_examples

    def __repr__(self):
        return f"<SplitInfo num_examples={self.num_examples}>"


class DatasetInfo:
    """What ``load(..., with_info=True)`` returns next to the data: the features, the
    splits and their sizes, the supervised keys, the source and the files used."""

    def __init__(self, name, description, homepage, features, supervised_keys, splits,
                 row_order):
        self.name, self.description, self.homepage = name, description, homepage
        self.features, self.supervised_keys = features, supervised_keys
        self.splits = splits
        self.row_order = row_order

    def __repr__(self):
        splits = ", ".join(f"'{k}': {v!r}" for k, v in self.splits.items())
        return (f"DatasetInfo(name={self.name!r}, homepage={self.homepage!r}, features="
                f"{self.features}, supervised_keys={self.supervised_keys}, splits={{{splits}}}, "
                f"row_order={self.row_order!r})")


def order(name, rows=None):
    """The documented row order of a table: ``RandomState(SHUFFLE_SEED).permutation(rows)``."""
    rows = rows if rows is not None else {"iris": 150, "pima_diabetes": 768,
                                          "california_housing": 20640,
                                          "airline_satisfaction": 129880}[name]
    return np.random.RandomState(SHUFFLE_SEED).permutation(rows)


# --- the catalogue: name -> (builder of {split: columns}, features, supervised keys) ---

def _table(name, x, y):
    permutation = order(name, len(x))
    return {"train": {"features": x[permutation], "label": y[permutation]}}


def _iris(cache_dir, download):
    return _table("iris", *iris.arrays(cache_dir, download))


def _pima(cache_dir, download):
    return _table("pima_diabetes", *pima_diabetes.arrays(cache_dir, download))


def _california(cache_dir, download):
    return _table("california_housing", *california_housing.arrays(cache_dir, download))


def _airline(cache_dir, download):
    table = airline_satisfaction.load_table(cache_dir, download)
    permutation = order("airline_satisfaction", len(table["Age"]))
    features = {}
    for column_name, column in table.items():
        if column_name == airline_satisfaction.LABEL:
            continue
        if column.dtype == np.float64:
            column = column.astype(np.float32)
        features[column_name] = column[permutation]
    label = (table[airline_satisfaction.LABEL] == "satisfied").astype(np.int64)[permutation]
    return {"train": {"features": features, "label": label}}


def _images(module, layouts):
    def build(cache_dir, download):
        if not download:  # only check that the files are on disk: never download
            _files.fetch(module.__name__.rsplit(".", 1)[-1], layouts, cache_dir, download=False)
        (x_train, y_train), (x_test, y_test) = module.load_data(cache_dir=cache_dir)
        return {"train": {"image": x_train[..., None], "label": y_train.astype(np.int64)},
                "test": {"image": x_test[..., None], "label": y_test.astype(np.int64)}}
    return build


_IMAGE = {"image": TensorSpec((28, 28, 1), "uint8")}
_CATALOG = {
    "iris": (_iris, {"features": TensorSpec((4,), "float32"),
                     "label": ClassLabel(iris.CLASS_NAMES)}, iris.HOMEPAGE),
    "mnist": (_images(mnist, [mnist.IDX_FILES, {"mnist.npz": DataFile(mnist.NPZ_SHA256)}]),
              {**_IMAGE, "label": ClassLabel(num_classes=10)}, "http://yann.lecun.com/exdb/mnist/"),
    "fashion_mnist": (_images(fashion_mnist, [fashion_mnist.FILES]),
                      {**_IMAGE, "label": ClassLabel(fashion_mnist.CLASS_NAMES)},
                      "https://github.com/zalandoresearch/fashion-mnist"),
    "pima_diabetes": (_pima, {"features": TensorSpec((8,), "float32"),
                              "label": ClassLabel(num_classes=2)}, pima_diabetes.HOMEPAGE),
    "california_housing": (_california, {"features": TensorSpec((8,), "float32"),
                                         "label": TensorSpec((), "float32")},
                           california_housing.HOMEPAGE),
    "airline_satisfaction": (_airline, None, airline_satisfaction.HOMEPAGE),
}
_CSV = {"iris": iris.read_csv, "pima_diabetes": pima_diabetes.read_csv,
        "california_housing": california_housing.read_csv,
        "airline_satisfaction": airline_satisfaction.read_csv,
        "housing": california_housing.read_geron_csv}


def list_builders():
    """The names ``load`` accepts."""
    return list(_CATALOG)


def _entry(name):
    if not isinstance(name, str):
        raise TypeError(f"Dataset name must be a string, received {type(name).__name__}.")
    key = name.split(":")[0].strip().lower()  # 'mnist:3.0.1' -> 'mnist' (no versions here)
    if key not in _CATALOG:
        raise ValueError(f"Dataset {name!r} not found. Available datasets: {list_builders()}")
    return key, _CATALOG[key]


_PIECE = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(?:\[(?P<start>[^:\]]*):(?P<stop>[^\]]*)\])?$")


def parse_split(split, sizes):
    """Turns a split string into (split name, start, stop) row ranges.

    Args:
        split: e.g. ``'train[:80%]'`` or ``'train[:50%]+test'``.
        sizes: ``{split name: number of rows}``.

    Returns:
        A list of (name, start, stop) tuples, in order.
    """
    if not isinstance(split, str):
        raise TypeError(f"A split must be a string such as 'train[:80%]', received {split!r}.")
    pieces = []
    for text in split.replace(" ", "").split("+"):
        match = _PIECE.match(text)
        if not match:
            raise ValueError(f"Unrecognized split format: {text!r} in {split!r}. Expected e.g. "
                             "'train', 'train[:80%]', 'train[10:20]' or 'train[:50%]+test'.")
        name = match["name"]
        names = list(sizes) if name == "all" else [name]
        for n in names:
            if n not in sizes:
                raise ValueError(f"Unknown split {n!r}. Should be one of {sorted(sizes)}.")
            rows = sizes[n]
            start = _boundary(match["start"], rows, split)
            stop = _boundary(match["stop"], rows, split)
            start, stop, _ = slice(start, stop).indices(rows)
            pieces.append((n, start, max(start, stop)))
    return pieces


def _boundary(text, rows, split):
    if text is None or text == "":
        return None
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not -100 <= percent <= 100:
                raise ValueError
            return int(round(percent * rows / 100))  # TFDS's default "closest" rounding
        value = int(text)
    except ValueError:
        raise ValueError(f"Invalid slice boundary {text!r} in split {split!r}: expected an "
                         "integer or a percentage between -100% and 100%.") from None
    if abs(value) > rows:
        raise ValueError(f"Requested slice boundary {value} in split {split!r} is out of range "
                         f"for {rows} examples.")
    return value


def _rows(columns, pieces):
    """The rows of ``pieces`` from ``{split: columns}`` (a view for a single range)."""
    if len(pieces) == 1:
        name, start, stop = pieces[0]
        return tree.map_structure(lambda a: a[start:stop], columns[name], lists_are_leaves=True)
    parts = [tree.map_structure(lambda a, s=start, e=stop: a[s:e], columns[name],
                                lists_are_leaves=True) for name, start, stop in pieces]
    return tree.map_structure(lambda *arrays: np.concatenate(arrays), *parts, lists_are_leaves=True)


def load(name, split=None, data_dir=None, batch_size=None, shuffle_files=False, download=True,
         as_supervised=False, with_info=False, **kwargs):
    """Loads a dataset of the catalogue as a ``lamina.data.Dataset``, as ``tfds.load``.

    Args:
        name: 'iris', 'mnist', 'fashion_mnist', 'pima_diabetes', 'california_housing'
            or 'airline_satisfaction'.
        split: a split string (see the module docstring), a list of them, or None for
            a dict of every split.
        data_dir: cache root for downloads instead of $LAMINA_CACHE_DIR or ``~/.lamina``
            (files in $LAMINA_DATA_DIR are used first).
        batch_size: batch the dataset; -1 returns the whole split as Tensors instead.
        shuffle_files: accepted for compatibility: each split is one file in a fixed
            order (shuffle the Dataset with ``.shuffle``).
        download: if False, use only files already on disk.
        as_supervised: elements as ``(features, label)`` tuples instead of dicts.
        with_info: also return a ``DatasetInfo``.

    Returns:
        A Dataset (or a list or dict of them), and the DatasetInfo if ``with_info``.
    """
    key, (build, features, homepage) = _entry(name)
    columns = build(data_dir, download)
    sizes = {s: len(tree.flatten(c, lists_are_leaves=True)[0]) for s, c in columns.items()}

    def make(spec):
        rows = _rows(columns, parse_split(spec, sizes))
        if as_supervised:
            rows = (rows["features"] if "features" in rows else rows["image"], rows["label"])
        if batch_size == -1:
            return structure.to_tensors(rows)
        dataset = Dataset.from_tensor_slices(rows)
        return dataset.batch(batch_size) if batch_size else dataset

    if split is None:
        result = {s: make(s) for s in columns}
    elif isinstance(split, (list, tuple)):
        result = [make(s) for s in split]
    else:
        result = make(split)
    if not with_info:
        return result
    if features is None:  # the airline table: one spec per column
        first = columns["train"]
        features = {"features": {k: TensorSpec((), str(v.dtype))
                                 for k, v in first["features"].items()},
                    "label": ClassLabel(airline_satisfaction.CLASS_NAMES)}
    supervised = ("image" if "image" in columns["train"] else "features", "label")
    row_order = ("file order" if "image" in columns["train"] else
                 f"numpy.random.RandomState({SHUFFLE_SEED}).permutation(rows) of the file")
    info = DatasetInfo(key, (_CATALOG_DOC.get(key) or ""), homepage, features, supervised,
                       {s: SplitInfo(s, n) for s, n in sizes.items()}, row_order)
    return result, info


_CATALOG_DOC = {"iris": iris.__doc__, "mnist": mnist.__doc__,
                "fashion_mnist": fashion_mnist.__doc__, "pima_diabetes": pima_diabetes.__doc__,
                "california_housing": california_housing.__doc__,
                "airline_satisfaction": airline_satisfaction.__doc__}


def as_numpy(data):
    """A Dataset as an iterator of NumPy elements, or Tensors (``batch_size=-1``) as NumPy."""
    if isinstance(data, Dataset):
        return data.as_numpy_iterator()
    return structure.to_numpy(data)


def read_csv(name, cache_dir=None, download=True):
    """A table's file as a pandas DataFrame, rows and column names as in the file.

    Args:
        name: 'iris', 'pima_diabetes', 'california_housing' (StatLib's file, column
            names from its .domain file), 'airline_satisfaction', or 'housing' (the
            Hands-On Machine Learning version of California housing).
        cache_dir: cache root instead of $LAMINA_CACHE_DIR or ``~/.lamina``.
        download: if False, use only files already on disk.

    Returns:
        A pandas DataFrame.
    """
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError("read_csv needs pandas: pip install pandas (or use "
                          f"lamina.datasets.load({name!r}) without it).") from None
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _CSV:
        raise ValueError(f"No CSV table named {name!r}. Available tables: {list(_CSV)}"
                         + (f"; {name} is an image dataset: use load({name!r}) or "
                            f"keras.datasets.{name}.load_data()" if key in _CATALOG else ""))
    return _CSV[key](cache_dir, download)
