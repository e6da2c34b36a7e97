"""cifar10, cifar100, imdb, reuters and boston_housing: the real parsing code on small files
in the real formats (made here), found through LAMINA_DATA_DIR, the cache or a download."""
import hashlib
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

from lamina import keras
from lamina.datasets import (_safe_pickle, boston_housing, cifar10, cifar100, imdb,
                             reuters)
from lamina.datasets._files import DataFile

KERAS_DATA = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("LAMINA_DATA_DIR", str(folder))
    return folder


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def cifar_batch(n, label_key, labels, seed):
    """One batch as the CIFAR python files hold it: a pickled dict with bytes keys."""
    data = np.random.default_rng(seed).integers(0, 256, (n, 3072), dtype=np.uint8)
    batch = {b"batch_label": b"batch", label_key.encode(): labels, b"data": data,
             b"filenames": [b"img%d.png" % i for i in range(n)]}
    return pickle.dumps(batch, protocol=2), data


def write_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_pinned_files_are_keras_urls_and_hashes():
    assert cifar10.FILES["cifar-10-python.tar.gz"] == DataFile(
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz")
    assert cifar100.FILES["cifar-100-python.tar.gz"].sha256 == (
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7")
    assert imdb.NPZ_SHA256 == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert imdb.WORD_INDEX.origin == KERAS_DATA + "imdb_word_index.json"
    assert reuters.NPZ_SHA256 == "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
    assert boston_housing.NPZ_SHA256 == (
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")
    assert keras.datasets.cifar10 is cifar10 and keras.datasets.imdb is imdb


def test_cifar10_reads_the_pickled_batches_of_the_tarball(data_dir, monkeypatch):
    members, images, labels = {}, [], []
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        y = [(i + j) % 10 for j in range(2)]
        members[f"cifar-10-batches-py/{name}"], x = cifar_batch(2, "labels", y, i)
        images.append(x)
        labels.append(y)
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": []})
    (data_dir / "cifar10").mkdir(parents=True)
    archive = data_dir / "cifar10" / "cifar-10-python.tar.gz"
    write_tar(archive, members)
    monkeypatch.setitem(cifar10.FILES, "cifar-10-python.tar.gz", DataFile(sha256(archive)))
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_test.shape == (2, 32, 32, 3) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    # the 3072 bytes of a row are the red plane, then green, then blue, each 32x32 row-major
    first = images[0][0]
    np.testing.assert_array_equal(x_train[0, :, :, 0], first[:1024].reshape(32, 32))
    np.testing.assert_array_equal(x_train[0, 5, 7], first[[5 * 32 + 7, 1024 + 5 * 32 + 7,
                                                           2048 + 5 * 32 + 7]])
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate(labels[:5]))
    np.testing.assert_array_equal(x_test[1].transpose(2, 0, 1).reshape(-1), images[5][1])


def test_cifar100_fine_and_coarse_labels(data_dir, monkeypatch):
    members = {}
    for name, n in (("train", 3), ("test", 2)):
        batch = {b"fine_labels": list(range(90, 90 + n)), b"coarse_labels": list(range(n)),
                 b"data": np.full((n, 3072), 7, np.uint8)}
        members[f"cifar-100-python/{name}"] = pickle.dumps(batch, protocol=2)
    (data_dir / "cifar100").mkdir(parents=True)
    archive = data_dir / "cifar100" / "cifar-100-python.tar.gz"
    write_tar(archive, members)
    monkeypatch.setitem(cifar100.FILES, "cifar-100-python.tar.gz", DataFile(sha256(archive)))
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (3, 32, 32, 3) and int(x_train.sum()) == 3 * 3072 * 7
    np.testing.assert_array_equal(y_train[:, 0], [90, 91, 92])
    np.testing.assert_array_equal(cifar100.load_data("coarse")[1][1][:, 0], [0, 1])
    with pytest.raises(ValueError, match="label_mode=medium"):
        cifar100.load_data(label_mode="medium")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo hacked > /dev/null",))


def test_the_unpickler_refuses_anything_but_arrays(tmp_path):
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        _safe_pickle.load_pickle(pickle.dumps({b"data": _Exploit()}))
    ok = _safe_pickle.load_pickle(pickle.dumps({b"a": np.arange(3), b"b": [b"x", 1.5]}))
    np.testing.assert_array_equal(ok[b"a"], [0, 1, 2])
    # a ragged npz member pickling a function is refused too
    path = tmp_path / "bad.npz"
    np.savez(path, x=object_array([[1], _Exploit()]))
    with pytest.raises(pickle.UnpicklingError):
        _safe_pickle.load_npz(path)


def write_imdb(folder):
    folder.mkdir(parents=True)
    path = folder / "imdb.npz"
    # word ranks as in Keras's file: 1 is the most frequent word
    x_train = object_array([[1, 2, 3], [4, 5], [9, 1, 1, 1, 1, 1]])
    x_test = object_array([[2], [6, 1, 7]])
    np.savez(path, x_train=x_train, y_train=np.array([0, 1, 1]), x_test=x_test,
             y_test=np.array([1, 0]))
    return path, x_train, x_test


def test_imdb_shuffles_shifts_and_cuts_as_keras(data_dir, monkeypatch):
    path, x_train, x_test = write_imdb(data_dir / "imdb")
    monkeypatch.setattr(imdb, "NPZ_SHA256", sha256(path))
    rng = np.random.RandomState(113)  # Keras shuffles train then test with one generator
    order_train = np.arange(3)
    rng.shuffle(order_train)
    order_test = np.arange(2)
    rng.shuffle(order_test)
    (xt, yt), (xs, ys) = keras.datasets.imdb.load_data()
    assert xt.dtype == object and xt.shape == (3,)
    np.testing.assert_array_equal(yt, np.array([0, 1, 1])[order_train])
    expected = [[1] + [w + 3 for w in x_train[i]] for i in order_train]
    top = max(max(x) for x in expected + [[1] + [w + 3 for w in x_test[i]] for i in order_test])
    expected = [[w if w < top else 2 for w in x] for x in expected]  # Keras's bound: max index
    assert [list(x) for x in xt] == expected
    # num_words, skip_top, maxlen, index_from, start_char, oov_char
    (xt, yt), (xs, ys) = imdb.load_data(num_words=6, skip_top=2, maxlen=5, index_from=2,
                                        start_char=1, oov_char=0)
    kept = [i for i in order_train if len(x_train[i]) + 1 < 5]
    assert [list(x) for x in xt] == [
        [w if 2 <= w < 6 else 0 for w in [1] + [v + 2 for v in x_train[i]]] for i in kept]
    assert all(max(x) < 6 for x in list(xt) + list(xs))
    (xt, _), _ = imdb.load_data(start_char=None, oov_char=None, num_words=5, index_from=0)
    assert all(all(w < 5 for w in x) for x in xt)
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


def test_imdb_word_index_is_checked_by_its_md5(data_dir, monkeypatch):
    (data_dir / "imdb").mkdir(parents=True)
    path = data_dir / "imdb" / "imdb_word_index.json"
    path.write_text(json.dumps({"the": 1, "and": 2}))
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="md5"):
        imdb.get_word_index()
    monkeypatch.setattr(imdb, "WORD_INDEX", DataFile(md5, imdb.WORD_INDEX.origin))
    assert imdb.get_word_index() == {"the": 1, "and": 2}


def test_reuters_splits_after_the_shuffle(data_dir, monkeypatch):
    (data_dir / "reuters").mkdir(parents=True)
    path = data_dir / "reuters" / "reuters.npz"
    xs = object_array([[i + 1] * (i % 3 + 1) for i in range(10)])
    np.savez(path, x=xs, y=np.arange(10) % 46)
    monkeypatch.setattr(reuters, "NPZ_SHA256", sha256(path))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3)
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    assert len(x_train) == 7 and len(x_test) == 3
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), order)
    assert list(x_test[0]) == [1] + [w + 3 for w in xs[order[7]]]
    assert len(reuters.get_label_names()) == 46


def test_boston_housing_from_the_cache_or_a_download(tmp_path, monkeypatch, downloads):
    source = tmp_path / "server" / "boston_housing.npz"
    source.parent.mkdir()
    x = np.arange(50 * 13, dtype=np.float64).reshape(50, 13)
    np.savez(source, x=x, y=np.arange(50.0))
    monkeypatch.setattr(boston_housing, "NPZ_SHA256", sha256(source))
    with pytest.raises(FileNotFoundError, match="boston_housing.npz"):
        boston_housing.load_data()
    monkeypatch.setattr(boston_housing, "ORIGIN", source.parent.as_uri() + "/")
    downloads(True)
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    order = np.arange(50)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), order)
    np.testing.assert_array_equal(x_train, x[order[:40]])
    assert os.path.isfile(tmp_path / "cache" / "datasets" / "boston_housing" /
                          "boston_housing.npz")
    downloads(False)  # now served from the cache
    assert boston_housing.load_data(test_split=0.1)[1][0].shape == (5, 13)
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)
