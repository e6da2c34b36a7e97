"""Loader limits: small files cannot demand large memory; malformed ones raise errors that
name the file, the entry and the limit."""
import json
import tracemalloc
import zipfile

import h5py
import numpy as np
import pytest

from lamina import layers, saving
from lamina.models import Sequential
from lamina.saving import limits


def _model():
    return Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)])


def _entries(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def _edited_keras(tmp_path, edit):
    path = tmp_path / "m.keras"
    model = _model()
    model.compile("adam", "mse")
    saving.save_model(model, path)
    entries = _entries(path)
    config = json.loads(entries["config.json"])
    edit(config)
    entries["config.json"] = json.dumps(config)
    _write(path, entries)
    return path


class _Peak:
    """The peak memory NumPy and Python allocated inside the block (tracemalloc)."""

    def __enter__(self):
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def test_a_zip_bomb_weights_entry_is_refused_before_it_is_decompressed(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    entries = _entries(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", entries["config.json"])
        with zf.open("model.weights.h5", "w", force_zip64=True) as f:
            chunk = bytes(2**20)
            for _ in range(100):  # 100 MiB of zeros, about 100 KB compressed
                f.write(chunk)
    assert path.stat().st_size < 2**20
    with _Peak() as peak, pytest.raises(ValueError, match=rf"'{path}'.*'model.weights.h5' "
                                                          r"declares \d+ bytes, over the limit"):
        saving.load_model(path)
    assert peak.bytes < 20 * 2**20


def test_a_config_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CONFIG_BYTES", 10_000)
    path = _edited_keras(tmp_path, lambda c: c["config"].update(padding=" " * 20_000))
    with pytest.raises(ValueError, match=rf"'{path}'.*'config.json' declares \d+ bytes, over the "
                                         "limit of 10000 bytes"):
        saving.load_model(path)


@pytest.mark.parametrize("depth", [300, 100_000])
def test_a_config_nested_too_deeply_is_refused(tmp_path, depth):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    entries = _entries(path)
    text = entries["config.json"].decode()
    entries["config.json"] = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    _write(path, entries)
    with pytest.raises(ValueError, match=rf"'{path}'.*config.json nests deeper than the limit "
                                         rf"of {limits.MAX_CONFIG_DEPTH} levels"):
        saving.load_model(path)


def test_a_legacy_h5_config_nested_too_deeply_is_refused(tmp_path):
    path = tmp_path / "m.h5"
    saving.save_model(_model(), path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = "[" * 50_000 + "]" * 50_000
    with pytest.raises(ValueError, match=rf"'{path}'.*model_config attribute nests deeper"):
        saving.load_model(path)


@pytest.mark.parametrize("entry", ["layers/dense/vars/0", "optimizer/vars/1"])
def test_an_array_declaring_a_huge_shape_is_refused_before_it_is_read(tmp_path, entry):
    path = tmp_path / "w.weights.h5"
    model = _model()
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    saving.save_weights(model, path)
    with h5py.File(path, "r+") as f:
        del f[entry]
        # chunked and never written: a few KB on disk, 400 MB when read
        f.create_dataset(entry, shape=(10_000, 10_000), dtype="f4", chunks=(100, 100))
    assert path.stat().st_size < 100_000
    target = _model()
    target.compile("adam", "mse")
    with _Peak() as peak, pytest.raises(ValueError, match=rf"'{path}'"):
        saving.load_weights(target, path)
    assert peak.bytes < 20 * 2**20


@pytest.mark.parametrize("edit, what", [
    (lambda c: c["config"]["layers"][1]["config"].update(units=100_000_000), "weight"),
    (lambda c: c["config"]["layers"][0]["config"].update(batch_shape=[None, 1_000_000_000]),
     "trial input|weight"),
])
def test_a_config_cannot_ask_for_more_memory_than_the_file_holds(tmp_path, edit, what):
    path = _edited_keras(tmp_path, edit)
    with _Peak() as peak, pytest.raises(ValueError, match=rf"'{path}'.*({what}).*more than "
                                                          "the file can hold"):
        saving.load_model(path)
    assert peak.bytes < 100 * 2**20


@pytest.mark.parametrize("edit", [
    lambda c: c.update(class_name=["Sequential"]),                      # unhashable type
    lambda c: c["config"].update(layers=5),                             # not a list
    lambda c: c["config"]["layers"][1].update(config=None),             # no config
    lambda c: c["config"]["layers"][1]["config"].update(units="many"),  # wrong type
    lambda c: c["config"]["layers"][1]["config"].update(activation=[1]),
    lambda c: c.update(compile_config=[1, 2]),
])
def test_malformed_configs_raise_errors_naming_the_file(tmp_path, edit):
    path = _edited_keras(tmp_path, edit)
    with pytest.raises(ValueError, match=rf"'{path}'"):
        saving.load_model(path)


def test_non_utf8_config_and_void_arrays_name_the_file(tmp_path):
    path = tmp_path / "m.keras"
    saving.save_model(_model(), path)
    entries = _entries(path)
    _write(path, {**entries, "config.json": b"\xff\xfe{" + entries["config.json"]})
    with pytest.raises(ValueError, match=rf"'{path}'.*config.json is not valid JSON"):
        saving.load_model(path)
    weights = tmp_path / "w.weights.h5"
    saving.save_weights(_model(), weights)
    with h5py.File(weights, "r+") as f:
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", data=np.zeros((3, 4), dtype="V4"))
    with pytest.raises(ValueError, match=rf"'{weights}'.*layers/dense/vars/0.*dtype"):
        saving.load_weights(_model(), weights)
