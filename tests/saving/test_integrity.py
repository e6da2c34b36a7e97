"""lamina's HDF5 files carry Fletcher-32 checksums: damaged array bytes are detected."""
import h5py
import numpy as np
import pytest

from lamina import callbacks, layers, saving
from lamina.models import Sequential


def _model():
    model = Sequential([layers.Input((3,)), layers.Dense(8), layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    return model


def _datasets(path):
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: found.append(name) if isinstance(item, h5py.Dataset)
                     and item.size > 1 else None)
    return found


def _flip_byte_in(path, name):
    with h5py.File(path, "r") as f:
        dataset = f[name]
        assert dataset.fletcher32, f"{name} has no checksum"
        offset = dataset.id.get_chunk_info(0).byte_offset
    data = bytearray(path.read_bytes())
    data[offset + 1] ^= 0x10
    path.write_bytes(bytes(data))


def _save_checkpoint(model, path):
    checkpoint = callbacks.ModelCheckpoint(str(path), save_weights_only=True)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0, callbacks=[checkpoint])


@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5", "m.h5", "w.ckpt", "checkpoint"])
def test_a_flipped_byte_in_any_array_is_detected(filename, tmp_path):
    model = _model()
    path = tmp_path / filename
    if filename == "m.h5":
        saving.save_model(model, path)
    elif filename == "checkpoint":
        path = tmp_path / "epoch.weights.h5"
        _save_checkpoint(model, path)
    else:
        saving.save_weights(model, path)
    names = _datasets(path)
    assert len(names) >= 4
    clean = path.read_bytes()
    for name in names:
        path.write_bytes(clean)
        _flip_byte_in(path, name)
        target = _model()
        before = target.get_weights()
        with pytest.raises(ValueError, match=rf"'{path}'.*(Fletcher32|checksum)"):
            if filename == "m.h5":
                saving.load_model(path)
            else:
                saving.load_weights(target, path)
        for a, b in zip(before, target.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_backups_are_checked_too(tmp_path):
    model = _model()
    backup = callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0, callbacks=[backup])
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file() and h5py.is_hdf5(p)]
    _flip_byte_in(path, "layers/dense/vars/0")
    with pytest.raises(ValueError, match="Fletcher32|checksum"):
        _model().fit(np.ones((4, 3)), np.ones((4, 2)), epochs=2, verbose=0,
                     callbacks=[callbacks.BackupAndRestore(str(tmp_path))])


def _rewrite(path, name, values):
    """Changes a dataset's values in place, leaving the file a valid HDF5 file (as damage to a
    header that points at another array's valid chunk would)."""
    with h5py.File(path, "r+") as f:
        f[name][...] = values


def test_a_scalar_or_an_array_read_from_the_wrong_place_is_detected(tmp_path):
    model = _model()
    path = tmp_path / "w.weights.h5"
    saving.save_weights(model, path)
    with h5py.File(path, "r") as f:
        momentum = f["optimizer/vars/2"][()]  # same shape as the first kernel
        assert f["optimizer/vars/0"].shape == ()  # the iteration count: no Fletcher-32
    for name, values in [("layers/dense/vars/0", momentum), ("optimizer/vars/0", 12345)]:
        damaged = tmp_path / f"damaged-{name.replace('/', '-')}.weights.h5"
        damaged.write_bytes(path.read_bytes())
        _rewrite(damaged, name, values)
        with pytest.raises(ValueError, match=f"The array at '{name}' in the weights file does "
                                             "not match the checksum lamina wrote with it"):
            fresh = _model()
            saving.load_weights(fresh, damaged)


def test_files_without_lamina_checksums_load_as_before(tmp_path):
    model = _model()
    path = tmp_path / "w.weights.h5"
    saving.save_weights(model, path)
    with h5py.File(path, "r+") as f:  # as Keras writes it: no attribute on the datasets
        f.visititems(lambda name, item: item.attrs.__delitem__("lamina_crc32")
                     if isinstance(item, h5py.Dataset) else None)
    fresh = _model()
    saving.load_weights(fresh, path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
