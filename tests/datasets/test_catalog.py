"""lamina.datasets.load: the TensorFlow-Datasets-style catalogue and its split syntax.

Data comes from the offline folder (LAMINA_DATA_DIR, set in conftest.py); no test
reaches the network.
"""
import os

import numpy as np
import pytest

from lamina.autograd import Tensor
from lamina.data import Dataset, TensorSpec
from lamina.datasets import _files, catalog, iris, load

DATA_DIR = os.environ.get("LAMINA_DATA_DIR")
needs_data = pytest.mark.skipif(not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "iris")),
                                reason="the offline data folder (LAMINA_DATA_DIR) is not available")




SIZES = {"train": 150, "test": 40}


@pytest.mark.parametrize("split, expected", [
    ("train", [("train", 0, 150)]),
    ("train[:80%]", [("train", 0, 120)]),
    ("train[80%:]", [("train", 120, 150)]),
    ("train[:100]", [("train", 0, 100)]),
    ("train[-10:]", [("train", 140, 150)]),
    ("train[10%:20%]", [("train", 15, 30)]),
    ("train[-10%:]", [("train", 135, 150)]),
    ("train[:50%]+test", [("train", 0, 75), ("test", 0, 40)]),
    ("test[:33%]", [("test", 0, 13)]),  # 13.2 rounds to the closest row
    ("test[:35%]", [("test", 0, 14)]),
    ("all", [("train", 0, 150), ("test", 0, 40)]),
    (" train [ :10 ] ", [("train", 0, 10)]),
])
def test_split_syntax(split, expected):
    assert catalog.parse_split(split, SIZES) == expected


@pytest.mark.parametrize("split, message", [
    ("validation", r"Unknown split 'validation'. Should be one of \['test', 'train'\]"),
    ("train[:80]%", "Unrecognized split format"),
    ("train[:abc]", "Invalid slice boundary 'abc'"),
    ("train[:120%]", "Invalid slice boundary '120%'"),
    ("train[:500]", "out of range for 150 examples"),
])
def test_bad_splits_are_named(split, message):
    with pytest.raises(ValueError, match=message):
        catalog.parse_split(split, SIZES)


def test_unknown_dataset_lists_the_names():
    with pytest.raises(ValueError, match=r"Dataset 'irises' not found. Available datasets: "
                                         r"\['iris', 'mnist', 'fashion_mnist'"):
        load("irises")


@needs_data
def test_iris_splits_are_shuffled_in_the_documented_order():
    train = load("iris", split="train[:80%]")
    test = load("iris", split="train[80%:]")
    assert isinstance(train, Dataset) and len(train) == 120 and len(test) == 30
    assert train.element_spec == {"features": TensorSpec((4,), "float32"),
                                  "label": TensorSpec((), "int64")}
    rows = list(train.as_numpy_iterator()) + list(test.as_numpy_iterator())
    x, y = iris.arrays()
    permutation = np.random.RandomState(catalog.SHUFFLE_SEED).permutation(150)
    np.testing.assert_array_equal(permutation, catalog.order("iris"))
    np.testing.assert_array_equal([r["label"] for r in rows], y[permutation])
    np.testing.assert_array_equal(np.stack([r["features"] for r in rows]), x[permutation])
    # Representative slices: every species in both parts, none far from a third.
    train_counts = np.bincount([r["label"] for r in rows[:120]], minlength=3)
    test_counts = np.bincount([r["label"] for r in rows[120:]], minlength=3)
    assert train_counts.min() >= 35 and test_counts.min() >= 8


@needs_data
def test_as_supervised_batch_size_and_with_info():
    ds = load("iris", split="train[:100]", as_supervised=True, batch_size=32)
    batches = list(ds.as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(32, 4), (32, 4), (32, 4), (4, 4)]
    whole = load("iris", split="train", batch_size=-1)
    assert isinstance(whole["features"], Tensor) and whole["features"].shape == (150, 4)
    assert catalog.as_numpy(whole)["label"].dtype == np.int64
    splits, info = load("iris", with_info=True)
    assert set(splits) == {"train"} and info.splits["train"].num_examples == 150
    assert info.features["label"].num_classes == 3
    assert info.features["label"].int2str(2) == "virginica"
    assert info.supervised_keys == ("features", "label")
    assert "RandomState(3)" in info.row_order
    first, second = load("iris", split=["train[:10]", "train[10:20]"])
    assert len(first) == len(second) == 10


@needs_data
def test_image_datasets_as_tfds_gives_them():
    train, test = load("fashion_mnist", split=["train[:50%]+test", "test"], as_supervised=True)
    assert len(train) == 40000 and len(test) == 10000
    image, label = next(test.as_numpy_iterator())
    assert image.shape == (28, 28, 1) and image.dtype == np.uint8
    assert label.dtype == np.int64 and label == 9  # the first test image is an ankle boot
    mnist_train = load("mnist", split="train[:3]")
    assert [int(e["label"]) for e in mnist_train.as_numpy_iterator()] == [5, 0, 4]


@needs_data
def test_tables_as_examples():
    airline = load("airline_satisfaction", split="train[:5]")
    spec = airline.element_spec
    assert set(spec) == {"features", "label"} and len(spec["features"]) == 22
    assert spec["features"]["Class"].dtype.kind == "U"
    assert spec["features"]["Arrival Delay in Minutes"] == TensorSpec((), "float32")
    housing = load("california_housing", split="train[:10]", as_supervised=True)
    assert housing.element_spec == (TensorSpec((8,), "float32"), TensorSpec((), "float32"))
    pima = load("pima_diabetes", split="train", as_supervised=True, batch_size=-1)
    assert pima[0].shape == (768, 8) and int(pima[1].numpy().sum()) == 268


def test_missing_data_with_download_false_never_tries_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "nowhere"))

    def fail(url, *args, **kwargs):
        raise AssertionError(f"tried to download {url}")

    monkeypatch.setattr(_files, "_urlopen", fail)
    for name, wanted in (("iris", "iris.csv"), ("mnist", "train-images-idx3-ubyte.gz"),
                         ("airline_satisfaction", "Invistico_Airline.csv")):
        with pytest.raises(FileNotFoundError, match="download=False") as info:
            load(name, split="train", download=False)
        assert wanted in str(info.value)
        assert os.path.join(str(tmp_path / "nowhere"), name) in str(info.value)
