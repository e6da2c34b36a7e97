"""Fuzzing every loader: damaged files (random truncations and byte flips) either load with
exactly the saved weights or raise a ValueError that names the file, within a time and a
memory bound.

CI runs a few cases per format. The long run, by hand (the result is in the closing note):

    LAMINA_FUZZ_CASES=2000 python -m pytest tests/saving/test_fuzz.py -q -p no:cacheprovider
"""
import gzip
import os
import shutil
import time
import tracemalloc

import numpy as np
import pytest

from lamina import callbacks, layers, saving
from lamina.datasets import _files, iris
from lamina.models import Sequential

CASES = int(os.environ.get("LAMINA_FUZZ_CASES", "10"))
SECONDS = 10          # for one load
PEAK_BYTES = 200 * 2**20  # for one load (tracemalloc); the files are about 100 KB


def _model():
    model = Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"),
                        layers.Dropout(0.1), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _trained():
    rng = np.random.default_rng(0)
    model = _model()
    model.fit(rng.normal(size=(32, 6)), rng.integers(0, 3, 32), epochs=1, verbose=0)
    return model


def _loaded_model(path):
    return saving.load_model(path).get_weights()


def _loaded_weights(path):
    model = _model()
    saving.load_weights(model, path)
    return model.get_weights()


def _checkpoint(model, path):
    model.fit(np.ones((8, 6)), np.zeros(8), verbose=0,
              callbacks=[callbacks.ModelCheckpoint(str(path), save_weights_only=True)])


FORMATS = {  # name: (file name, save, load -> weights)
    "keras": ("m.keras", saving.save_model, _loaded_model),
    "h5": ("m.h5", saving.save_model, _loaded_model),
    "weights.h5": ("w.weights.h5", saving.save_weights, _loaded_weights),
    "legacy weights": ("w.h5", saving.save_weights, _loaded_weights),
    "keras as weights": ("m.keras", saving.save_model, _loaded_weights),
    "checkpoint": ("epoch.weights.h5", _checkpoint, _loaded_weights),
}


def _damage(data, rng):
    """A random truncation (one case in three) or 1 to 4 flipped bytes."""
    data = bytearray(data)
    if rng.random() < 1 / 3:
        return bytes(data[:int(rng.integers(0, len(data)))])
    for position in rng.integers(0, len(data), int(rng.integers(1, 5))):
        data[position] ^= int(rng.integers(1, 256))
    return bytes(data)


def _outcome(load, path, expected):
    """'same', 'refused', or a description of what went wrong."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        got = load(path)
    except ValueError as e:
        outcome = "refused" if str(path) in str(e) else f"ValueError without the path: {e}"
    except Exception as e:  # noqa: BLE001 -- any other error is a finding
        outcome = f"{type(e).__name__}: {e}"
    else:
        same = len(got) == len(expected) and all(
            a.shape == b.shape and np.array_equal(a, b) for a, b in zip(got, expected))
        outcome = "same" if same else "loaded different weights"
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if seconds > SECONDS:
        outcome = f"took {seconds:.1f} s"
    if peak > PEAK_BYTES:
        outcome = f"took {peak / 2**20:.0f} MB"
    return outcome


def _fuzz(path, clean, load, expected, seed):
    rng = np.random.default_rng(seed)
    counts, findings = {"same": 0, "refused": 0}, []
    for case in range(CASES):
        path.write_bytes(_damage(clean, rng))
        outcome = _outcome(load, path, expected)
        if outcome in counts:
            counts[outcome] += 1
        else:
            kept = path.with_name(f"finding-{case}-{path.name}")  # for a closer look
            kept.write_bytes(path.read_bytes())
            findings.append(f"case {case}: {outcome[:300]} (file kept as {kept})")
    print(f"{path.name}: {counts} of {CASES}")
    return findings


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_damaged_model_and_weights_files(fmt, tmp_path, recwarn):
    filename, save, load = FORMATS[fmt]
    model = _trained()
    path = tmp_path / filename
    save(model, path)
    expected = model.get_weights()
    assert load(path) == [] or all(np.array_equal(a, b) for a, b in zip(load(path), expected))
    findings = _fuzz(path, path.read_bytes(), load, expected, seed=sorted(FORMATS).index(fmt))
    assert not findings, "\n".join(findings[:10])


def test_damaged_dataset_files(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "iris"
    folder.mkdir(parents=True)
    source = os.path.join(_files.data_dir() or "", "iris", "iris.csv")
    shutil.copyfile(source, folder / "iris.csv")
    monkeypatch.setenv("LAMINA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LAMINA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_files, "_urlopen", _no_network)
    x, y = iris.arrays()

    def load(path):
        return list(iris.arrays(download=False))

    findings = _fuzz(folder / "iris.csv", (folder / "iris.csv").read_bytes(), load, [x, y], 7)
    assert not findings, "\n".join(findings[:10])


def test_damaged_idx_files(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (20, 7, 5), dtype=np.uint8)
    header = (0x803).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in images.shape)
    path = tmp_path / "images-idx3-ubyte.gz"
    clean = gzip.compress(header + images.tobytes())
    findings = _fuzz(path, clean, lambda p: [_files.read_idx(str(p), 0x803)], [images], 8)
    assert not findings, "\n".join(findings[:10])


def _no_network(url, *args, **kwargs):
    raise OSError("network disabled in tests")
