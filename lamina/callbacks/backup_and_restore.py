"""BackupAndRestore: resume a killed training run from its last completed epoch."""
import json
import os
import shutil

import numpy as np

from lamina import backend
from lamina.callbacks.callback import Callback


def _rng_state():
    """The state of lamina's NumPy random generator (shuffling, dropout), as JSON."""
    return backend.rng(np).bit_generator.state


def _set_rng_state(state):
    backend.rng(np).bit_generator.state = state


class BackupAndRestore(Callback):
    """Backs up the training state so a run that was killed resumes where it stopped.

    At the end of each epoch (or every ``save_freq`` batches) the weights, the optimizer's
    state, the epoch number and the random generator's state are written to ``backup_dir``.
    When ``fit`` starts again with this callback and a backup exists, they are restored and
    training continues from the first epoch not completed, with the same results as a run
    that was never interrupted. When training finishes the backup files are deleted (other
    files in ``backup_dir`` are kept; the folder is removed only if that leaves it empty).

    Args:
        backup_dir: folder for the backup (used by this callback only).
        save_freq: 'epoch', or a number of batches between backups.
        double_checkpoint: also keep the previous backup, used if the latest is unreadable.
        delete_checkpoint: delete the backup when training completes.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(
                save_freq, bool) or save_freq <= 0):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq="
                             f"{save_freq!r}. Expected either 'epoch' or a positive integer.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_train_begin(self, logs=None):
        try:
            self._restore(self._weights_path, self._metadata_path)
        except (OSError, ValueError):
            previous = self._weights_path + ".bkp"
            if not (self.double_checkpoint and os.path.exists(previous)):
                raise
            self._restore(previous, self._metadata_path + ".bkp")

    def _restore(self, weights_path, metadata_path):
        import h5py
        from lamina import saving
        if not os.path.exists(weights_path):
            return
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built "
                             f"before you call `fit()`. Model '{self.model.name}' is unbuilt. "
                             "Build it by calling it on a batch of data.")
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_weights)  # so its saved slots have a home
        saving.load_weights(self.model, weights_path)
        with h5py.File(weights_path, "r") as f:
            metadata = f.attrs.get("training_metadata")
        if metadata is None and os.path.exists(metadata_path):
            with open(metadata_path) as f:
                metadata = f.read()
        if metadata is not None:
            metadata = json.loads(metadata)
            self.model._initial_epoch = metadata["epoch"]
            self._current_epoch = metadata["epoch"]
            if metadata.get("rng_state") is not None and backend.backend() == "numpy":
                _set_rng_state(metadata["rng_state"])

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._backup(batch=0)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._backup(batch=batch + 1)

    def _backup(self, batch):
        if not self.model.distribute_strategy.is_chief:
            return  # one writer: under a multi-worker strategy, worker 0
        import h5py
        from lamina.saving import weights as weights_io
        from lamina.saving.atomic import atomic_path
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, path + ".bkp")
        metadata = json.dumps({
            "epoch": self._current_epoch, "batch": batch,
            "rng_state": _rng_state() if backend.backend() == "numpy" else None})
        # NOTE: the epoch and random state go inside the weights file too, so one atomic
        # rename replaces them together; the JSON file is Keras's layout, for reading
        with atomic_path(self._weights_path) as tmp:
            with h5py.File(tmp, "w") as f:
                weights_io.write_keras_weights(f, self.model)
                f.attrs["training_metadata"] = metadata
        with atomic_path(self._metadata_path) as tmp:
            with open(tmp, "w") as f:
                f.write(metadata)

    def on_train_end(self, logs=None):
        if self.model is not None:
            self.model._initial_epoch = None
        strategy = self.model.distribute_strategy if self.model is not None else None
        if strategy is not None:
            strategy.barrier()  # every worker has restored and finished before it goes
        if self.delete_checkpoint and (strategy is None or strategy.is_chief):
            self._delete_backup()

    def _delete_backup(self):
        """Removes the files this callback writes, and ``backup_dir`` if that leaves it empty;
        anything else in the folder is left alone."""
        for path in (self._weights_path, self._metadata_path):
            for name in (path, path + ".bkp"):
                if os.path.isfile(name):
                    os.remove(name)
        try:
            os.rmdir(self.backup_dir)  # only succeeds when the folder is empty
        except OSError:
            pass
