"""ModelCheckpoint: saves the model or its weights during training."""
import math
import os
import warnings

import numpy as np

from lamina.callbacks.callback import Callback


def monitor_mode(monitor, mode):
    """'min' or 'max' for ``monitor``: 'auto' maximizes accuracy, AUC, precision and recall."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"ModelCheckpoint mode '{mode}' is unknown, fallback to auto mode.",
                      stacklevel=3)
        mode = "auto"
    if mode == "auto":
        name = monitor.removeprefix("val_")
        maximize = any(k in name for k in ("acc", "auc", "precision", "recall")) or \
            name.startswith("fmeasure")
        mode = "max" if maximize else "min"
    return mode


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) at the end of each epoch or every few batches.

    Args:
        filepath: where to save; may hold ``{epoch}``, ``{batch}`` and any log key with a
            format, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``. ``.keras`` and ``.h5``
            save the whole model; with ``save_weights_only=True`` any name works
            (``"my_checkpoint.ckpt"``, ``".weights.h5"``).
        monitor: the log key that decides the best model ('val_loss', 'val_accuracy', ...).
        verbose: 1 prints a message each time the callback saves or skips.
        save_best_only: save only when ``monitor`` improved on the best value so far.
        save_weights_only: save only the weights (``save_weights``) instead of the model.
        mode: 'min', 'max' or 'auto' (max for accuracy/AUC/precision/recall, else min).
        save_freq: 'epoch', or a number of batches between saves.
        initial_value_threshold: a best value to beat before the first save.
        options: accepted for Keras 2 compatibility (TensorFlow save options); unused.
        period: Keras 2's deprecated "save every ``period`` epochs".
    """

    chief_only = True  # under a multi-worker strategy only worker 0 runs it

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, options=None, period=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(
                save_freq, bool) or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or a positive integer number of batches.")
        self.save_freq = save_freq
        self.period = period or 1
        self.mode = monitor_mode(monitor, mode)
        self.initial_value_threshold = initial_value_threshold
        self.best = self._initial_best()
        self._batches_since_save = 0
        self._current_epoch = 0
        self._epochs_since_save = 0

    def _initial_best(self):
        if self.initial_value_threshold is not None:
            return float(self.initial_value_threshold)
        return math.inf if self.mode == "min" else -math.inf

    def _is_improvement(self, current):
        return current < self.best if self.mode == "min" else current > self.best

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq != "epoch":
            return
        self._epochs_since_save += 1
        if self._epochs_since_save >= self.period:
            self._epochs_since_save = 0
            self._save(epoch, None, logs)

    def _file_path(self, epoch, batch, logs):
        values = {k: v for k, v in (logs or {}).items()}
        try:
            if batch is None or "batch" in values:
                return self.filepath.format(epoch=epoch + 1, **values)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **values)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e} is not among the log keys {sorted(values)}.") from e

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available; available "
                          f"keys: {sorted(logs or {})}. Saving anyway.", stacklevel=3)
            return True
        current = float(np.asarray(current))
        if self._is_improvement(current):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        return False

    def _save(self, epoch, batch, logs):
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError("Please specify a non-directory filepath for "
                                    f"ModelCheckpoint. Filepath used is an existing directory: "
                                    f"{filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
