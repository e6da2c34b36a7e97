"""ModelCheckpoint and BackupAndRestore."""
import os
import re

import numpy as np
import pytest

import lamina
from lamina import backend, layers, saving
from lamina.callbacks.backup_and_restore import BackupAndRestore
from lamina.callbacks.callback import Callback
from lamina.callbacks.model_checkpoint import ModelCheckpoint
from lamina.models import Sequential


def _data(n=40):
    rng = np.random.default_rng(3)
    x = rng.random((n, 6)).astype("float32")
    y = (x.sum(axis=1) > 3).astype("int64")
    return x, y


def _model(dropout=0.0):
    backend.set_seed(0)
    model = Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                        layers.Dropout(dropout), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.Adam(0.05),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, epochs, callbacks, **kwargs):
    x, y = _data()
    return model.fit(x, y, epochs=epochs, batch_size=8, validation_split=0.25,
                     callbacks=callbacks, verbose=0, **kwargs)


def test_filepath_template_is_filled_from_epoch_and_logs(tmp_path):
    template = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras")
    history = _fit(_model(), 3, [ModelCheckpoint(template)])
    expected = sorted(f"ckpt-{i + 1:02d}-{v:.2f}.keras"
                      for i, v in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path)) == expected
    loaded = saving.load_model(tmp_path / expected[-1])
    x, _ = _data()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), history.model.predict(x, verbose=0))


def test_save_best_only_messages_and_files(tmp_path, capsys):
    path = str(tmp_path / "my_checkpoint.ckpt")
    saves = []

    class Spy(ModelCheckpoint):
        def _save(self, epoch, batch, logs):
            before = os.path.getmtime(path) if os.path.exists(path) else None
            super()._save(epoch, batch, logs)
            saves.append(os.path.exists(path) and os.path.getmtime(path) != before)

    checkpoint = Spy(path, monitor="val_loss", save_best_only=True, save_weights_only=True,
                     verbose=1)
    history = _fit(_model(), 6, [checkpoint])
    out = capsys.readouterr().out
    losses = history.history["val_loss"]
    best, lines = float("inf"), []
    for epoch, value in enumerate(losses):
        if value < best:
            lines.append(f"Epoch {epoch + 1}: val_loss improved from {best:.5f} to {value:.5f}, "
                         f"saving model to {path}")
            best = value
        else:
            lines.append(f"Epoch {epoch + 1}: val_loss did not improve from {best:.5f}")
    assert [l for l in out.splitlines() if l.startswith("Epoch ") and ":" in l] == lines
    assert lines[0].startswith("Epoch 1: val_loss improved from inf to ")
    assert saves == [("improved" in line) for line in lines]
    assert checkpoint.best == min(losses)


def test_mode_auto_maximizes_accuracy_and_threshold_blocks_saves(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="val_accuracy",
                                 save_best_only=True, save_weights_only=True)
    assert checkpoint.mode == "max"
    history = _fit(_model(), 3, [checkpoint])
    assert checkpoint.best == max(history.history["val_accuracy"])
    blocked = ModelCheckpoint(str(tmp_path / "never.keras"), save_best_only=True,
                              initial_value_threshold=-1.0)
    _fit(_model(), 2, [blocked])
    assert not os.path.exists(tmp_path / "never.keras")


def test_weights_only_checkpoint_restores_the_model(tmp_path):
    path = str(tmp_path / "my_checkpoint.ckpt")
    model = _model()
    _fit(model, 2, [ModelCheckpoint(path, save_weights_only=True, monitor="loss")])
    fresh = _model()
    saving.load_weights(fresh, path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_freq_in_batches(tmp_path):
    template = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    _fit(_model(), 2, [ModelCheckpoint(template, save_weights_only=True, save_freq=2)])
    # 30 training samples in batches of 8: 4 batches per epoch, 8 in all, a save every 2
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["e1-b2.weights.h5", "e1-b4.weights.h5", "e2-b2.weights.h5", "e2-b4.weights.h5"])
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint(template, save_freq="sometimes")


def test_missing_template_key_is_reported(tmp_path):
    with pytest.raises(KeyError, match="val_auc"):
        _fit(_model(), 1, [ModelCheckpoint(str(tmp_path / "{val_auc:.2f}.keras"))])


class Kill(Callback):
    """Stops the run with an exception, as if the machine went down."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch = epoch, batch
        self.current = None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt("killed")


@pytest.mark.cpu_only  # resumes the NumPy generator; the GPU one is not saved
def test_backup_and_restore_resumes_with_the_same_results(tmp_path):
    backup = str(tmp_path / "backup")
    reference = _model(dropout=0.3)
    full = _fit(reference, 5, [], shuffle=True).history

    killed = _model(dropout=0.3)
    with pytest.raises(KeyboardInterrupt):
        _fit(killed, 5, [BackupAndRestore(backup), Kill(epoch=3, batch=1)], shuffle=True)
    assert os.path.exists(os.path.join(backup, "latest.weights.h5"))

    restarted = _model(dropout=0.3)  # a new process: same code, fresh model and generator
    backend.rng(np).random(17)  # which has drawn other numbers than the first run did
    resumed = _fit(restarted, 5, [BackupAndRestore(backup)], shuffle=True).history
    assert resumed.keys() == full.keys()
    for key in full:
        assert resumed[key] == full[key][3:]
    for a, b in zip(restarted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert restarted.optimizer.iterations == reference.optimizer.iterations
    assert not os.path.exists(backup)  # deleted once training completed


def test_backup_is_written_each_epoch_and_kept_on_request(tmp_path):
    backup = str(tmp_path / "backup")
    model = _model()
    _fit(model, 2, [BackupAndRestore(backup, delete_checkpoint=False)])
    fresh = _model()
    saving.load_weights(fresh, os.path.join(backup, "latest.weights.h5"))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with open(os.path.join(backup, "training_metadata.json")) as f:
        assert re.search(r'"epoch": 2', f.read())
    with pytest.raises(ValueError, match="backup_dir"):
        BackupAndRestore("")


@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_backup_deletes_only_the_files_it_wrote(tmp_path, double_checkpoint):
    backup = tmp_path / "results"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    (backup / "runs").mkdir()
    (backup / "runs" / "model.keras").write_bytes(b"also mine")
    _fit(_model(), 2, [BackupAndRestore(str(backup), double_checkpoint=double_checkpoint)])
    assert sorted(p.name for p in backup.rglob("*")) == ["model.keras", "notes.txt", "runs"]
    own = tmp_path / "own"
    _fit(_model(), 2, [BackupAndRestore(str(own), double_checkpoint=double_checkpoint)])
    assert not own.exists()  # the folder it made, empty again, is removed
