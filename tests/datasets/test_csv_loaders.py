"""The table loaders (iris, pima_diabetes, california_housing, airline_satisfaction):
``load_data()`` arrays as keras.datasets gives them, ``read_csv`` DataFrames, the
offline folder, checksums, downloads; and the pandas-friendly train_test_split.

Real data comes from the offline folder (LAMINA_DATA_DIR, set in conftest.py). No
test reaches the network: the URL opener refuses, or serves only file:// URLs.
"""
import hashlib
import os
import sys
import tarfile

import numpy as np
import pytest

from lamina.data import train_test_split
from lamina.datasets import (_files, airline_satisfaction, california_housing, iris,
                             pima_diabetes, read_csv)
from lamina.datasets._files import DataFile

DATA_DIR = os.environ.get("LAMINA_DATA_DIR")
needs_data = pytest.mark.skipif(
    not DATA_DIR or not os.path.isdir(os.path.join(DATA_DIR, "airline_satisfaction")),
    reason="the offline data folder (LAMINA_DATA_DIR) is not available")





def keras_split(x, y, test_split=0.2, seed=113):
    """keras.datasets.california_housing's shuffle and split, written out."""
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    at = int(len(x) * (1 - test_split))
    return (x[indices][:at], y[indices][:at]), (x[indices][at:], y[indices][at:])


def assert_split(result, expected):
    for a, b in zip(result, expected):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


@needs_data
def test_iris():
    x, y = iris.arrays()
    assert x.shape == (150, 4) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    assert list(y[:50]) == [0] * 50 and y[-1] == 2  # the file is sorted by species
    (x_train, y_train), (x_test, y_test) = iris.load_data()
    assert x_train.shape == (120, 4) and x_test.shape == (30, 4)
    assert_split(iris.load_data(test_split=0.3, seed=1), keras_split(x, y, 0.3, 1))
    frame = read_csv("iris")
    assert list(frame.columns) == iris.COLUMNS and frame["species"].iloc[-1] == "virginica"


@needs_data
def test_pima_diabetes():
    frame = read_csv("pima_diabetes")
    assert frame.shape == (768, 9) and list(frame.columns) == pima_diabetes.FEATURES + ["Outcome"]
    assert frame["Outcome"].value_counts().to_dict() == {0: 500, 1: 268}
    x, y = pima_diabetes.arrays()
    np.testing.assert_allclose(x[0], [6, 148, 72, 35, 0, 33.6, 0.627, 50], rtol=1e-6)
    assert_split(pima_diabetes.load_data(), keras_split(x, y))
    (x_train, _), (x_test, _) = pima_diabetes.load_data()
    assert x_train.shape == (614, 8) and x_test.shape == (154, 8)


@needs_data
def test_airline_satisfaction():
    frame = read_csv("airline_satisfaction")
    assert frame.shape == (129880, 23)
    assert frame["satisfaction"].value_counts().to_dict() == {"satisfied": 71087,
                                                              "dissatisfied": 58793}
    assert frame["Arrival Delay in Minutes"].isna().sum() == 393
    x, y = airline_satisfaction.arrays()
    names = airline_satisfaction.feature_names()
    assert x.shape == (129880, 22) and names == list(frame.columns[1:]) and y.sum() == 71087
    assert np.isnan(x[:, names.index("Arrival Delay in Minutes")]).sum() == 393
    cls = x[:, names.index("Class")]
    expected = frame["Class"].map({"Business": 0, "Eco": 1, "Eco Plus": 2}).to_numpy()
    np.testing.assert_array_equal(cls, expected)
    (x_train, y_train), (x_test, _) = airline_satisfaction.load_data()
    assert x_train.shape == (103904, 22) and x_test.shape == (25976, 22)


@needs_data
def test_california_housing():
    x, y = california_housing.arrays()
    assert x.shape == (20640, 8) and y.shape == (20640,)
    np.testing.assert_allclose(x[0], [-122.23, 37.88, 41, 880, 129, 322, 126, 8.3252], rtol=1e-6)
    assert y[0] == 452600 and 14999 <= y.min() and y.max() <= 500001
    assert_split(california_housing.load_data(), keras_split(x, y))
    (x_small, _), (x_small_test, _) = california_housing.load_data(version="small")
    assert x_small.shape == (480, 8) and x_small_test.shape == (120, 8)
    with pytest.raises(ValueError, match="'small', 'large'"):
        california_housing.load_data(version="medium")
    frame = read_csv("california_housing")
    assert list(frame.columns) == ["longitude", "latitude", "housingMedianAge", "totalRooms",
                                   "totalBedrooms", "population", "households", "medianIncome",
                                   "medianHouseValue"]
    geron = read_csv("housing")
    assert geron.shape == (20640, 10) and geron["total_bedrooms"].isna().sum() == 207
    assert geron["ocean_proximity"].iloc[0] == "NEAR BAY"


@needs_data
def test_california_housing_from_statlibs_archive(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "california_housing"
    folder.mkdir(parents=True)
    with tarfile.open(folder / "cal_housing.tgz", "w:gz") as tar:
        for name in ("cal_housing.data", "cal_housing.domain"):
            tar.add(os.path.join(DATA_DIR, "california_housing", name),
                    arcname=f"CaliforniaHousing/{name}")
    digest = hashlib.sha256((folder / "cal_housing.tgz").read_bytes()).hexdigest()
    monkeypatch.setattr(california_housing, "SKLEARN_ARCHIVE",
                        {"cal_housing.tgz": DataFile(digest)})
    expected = california_housing.arrays()
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "data"))
    for a, b in zip(california_housing.arrays(), expected):
        np.testing.assert_array_equal(a, b)


def test_california_housing_downloads_keras_npz(tmp_path, monkeypatch, capsys, downloads):
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "empty"))
    server = tmp_path / "server"
    server.mkdir()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 8)).astype(np.float32), rng.normal(size=50).astype(np.float32)
    np.savez(server / "california_housing.npz", x=x, y=y)
    monkeypatch.setattr(california_housing, "KERAS_ORIGIN", server.as_uri() + "/")
    monkeypatch.setattr(california_housing, "KERAS_NPZ_SHA256", hashlib.sha256(
        (server / "california_housing.npz").read_bytes()).hexdigest())
    downloads(True)
    assert_split(california_housing.load_data(), keras_split(x, y))
    out = capsys.readouterr().out
    assert "Downloading data from file://" in out and "[==============================]" in out
    assert os.listdir(tmp_path / "cache" / "datasets" / "california_housing") == [
        "california_housing.npz"]


@needs_data
def test_iris_downloads_the_uci_file_when_nothing_is_on_disk(tmp_path, monkeypatch, downloads):
    # UCI's layout: no header, "Iris-" species names. Served from a local file:// URL.
    lines = open(os.path.join(DATA_DIR, "iris", "iris.csv")).read().splitlines()[1:]
    uci = "".join(",".join(l.split(",")[:4] + ["Iris-" + l.split(",")[4]]) + "\n"
                  for l in lines) + "\n"
    (tmp_path / "iris.data").write_text(uci)
    digest = hashlib.sha256(uci.encode()).hexdigest()
    monkeypatch.setattr(iris, "LAYOUTS", [iris.CSV_FILES, {
        "iris.data": DataFile(digest, (tmp_path / "iris.data").as_uri())}])
    expected = iris.arrays()
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "empty"))
    downloads(True)
    for a, b in zip(iris.arrays(), expected):
        np.testing.assert_array_equal(a, b)
    assert os.path.exists(tmp_path / "cache" / "datasets" / "iris" / "iris.data")


@pytest.mark.parametrize("module, files, hint", [
    (iris, ["iris.csv", "iris.data"], None),
    (pima_diabetes, ["diabetes.csv"], "kaggle.com/datasets/uciml/pima-indians-diabetes-database"),
    (airline_satisfaction, ["Invistico_Airline.csv"],
     "kaggle.com/datasets/sjleshrac/airlines-customer-satisfaction"),
    (california_housing, ["cal_housing.data", "california_housing.npz", "cal_housing.tgz"], None),
])
def test_missing_files_offline_give_a_clear_error(module, files, hint, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        module.load_data()
    message = str(info.value)
    for text in files + [os.path.join(str(tmp_path / "nowhere"), module.NAME),
                         os.path.join(str(tmp_path / "cache"), "datasets", module.NAME)]:
        assert text in message
    if hint:
        assert hint in message and "no official download address" in message


@pytest.mark.parametrize("module, name", [(pima_diabetes, "diabetes.csv"),
                                          (airline_satisfaction, "Invistico_Airline.csv")])
def test_a_file_with_the_wrong_checksum_is_rejected_and_named(module, name, tmp_path, monkeypatch):
    folder = tmp_path / "data" / module.NAME
    folder.mkdir(parents=True)
    (folder / name).write_text("a,b\n1,2\n")
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(ValueError) as info:
        read_csv(module.NAME)
    message = str(info.value)
    assert str(folder / name) in message and module.FILES[name].sha256 in message


def test_csv_parser_without_pandas_matches_pandas(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,d\r\n1,2.5,x y,\r\n3,,z,7\r\n\r\n-4,1e3,w,8\r\n")
    with_pandas = _files.read_csv_table(str(path))
    _files._table_cache.clear()
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    without = _files.read_csv_table(str(path))
    for table in (with_pandas, without):
        assert list(table) == ["a", "b", "c", "d"]
        assert table["a"].dtype == np.int64 and table["a"].tolist() == [1, 3, -4]
        np.testing.assert_array_equal(table["b"], [2.5, np.nan, 1000.0])
        assert table["c"].tolist() == ["x y", "z", "w"]
        np.testing.assert_array_equal(table["d"], [np.nan, 7.0, 8.0])
    with pytest.raises(ValueError, match="row 2 has 3 values, expected 2"):
        bad = tmp_path / "bad.csv"
        bad.write_text("a,b\n1,2,3\n")
        _files.read_csv_table(str(bad))


def test_read_csv_of_an_image_dataset_points_to_load():
    with pytest.raises(ValueError, match=r"mnist is an image dataset: use load\('mnist'\)"):
        read_csv("mnist")


def test_train_test_split_matches_scikit_learn_and_keeps_pandas():
    from sklearn.model_selection import train_test_split as sklearn_split
    import pandas as pd
    x = np.arange(200).reshape(100, 2)
    y = np.arange(100) % 3
    for kwargs in ({"test_size": 0.2, "random_state": 42}, {"random_state": 0},
                   {"test_size": 7, "train_size": 50, "random_state": 1},
                   {"test_size": 0.3, "shuffle": False}):
        for ours, theirs in zip(train_test_split(x, y, **kwargs), sklearn_split(x, y, **kwargs)):
            np.testing.assert_array_equal(ours, theirs)
    frame = pd.DataFrame({"a": np.arange(10.0), "b": list("abcdefghij")}, index=np.arange(10) * 3)
    target = pd.Series(np.arange(10) % 2, index=frame.index, name="y")
    f_train, f_test, t_train, t_test = train_test_split(frame, target, test_size=0.3,
                                                        random_state=5)
    s_train, s_test, _, _ = sklearn_split(frame, target, test_size=0.3, random_state=5)
    assert isinstance(f_train, pd.DataFrame) and isinstance(t_test, pd.Series)
    assert list(f_train.index) == list(s_train.index) and list(f_test.index) == list(s_test.index)
    assert list(t_train.index) == list(f_train.index)
    _, _, y_train, y_test = train_test_split(x, y, test_size=0.3, stratify=y, random_state=0)
    np.testing.assert_array_equal(np.bincount(y_test), [10, 10, 10])
    np.testing.assert_array_equal(np.bincount(y_train), [24, 23, 23])
    with pytest.raises(ValueError, match="inconsistent numbers of samples: \\[100, 99\\]"):
        train_test_split(x, y[:99])
    with pytest.raises(ValueError, match="test_size=1.5"):
        train_test_split(x, test_size=1.5)
