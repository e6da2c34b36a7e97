"""ProgbarLogger: prints Keras 2's progress bar during fit, evaluate and predict."""
from lamina.callbacks.callback import Callback
from lamina.progbar import Progbar


class ProgbarLogger(Callback):
    """Prints ``Epoch i/N`` and a progress bar (verbose=1) or one line per epoch (verbose=2)."""

    chief_only = True  # under a multi-worker strategy only worker 0 runs it

    def __init__(self):
        super().__init__()
        self.progbar = None
        self.seen = 0
        self.in_fit = False

    def _start(self):
        self.seen = 0
        self.progbar = Progbar(self.params.get("steps"), verbose=self.verbose)

    @property
    def verbose(self):
        return self.params.get("verbose", 1)

    def _update(self, batch, logs, finalize=False):
        self.seen = batch + 1
        if self.progbar is not None:
            values = list((logs or {}).items())
            # NOTE: logs already hold running means, so every value is shown as given
            self.progbar.stateful_metrics.update(k for k, _ in values)
            self.progbar.update(self.seen, values, finalize=finalize)

    def on_train_begin(self, logs=None):
        self.in_fit = True

    def on_train_end(self, logs=None):
        self.in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self.verbose and self.params.get("epochs", 1) > 1:
            print(f"Epoch {epoch + 1}/{self.params['epochs']}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._update(self.seen - 1, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if not self.in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self.in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self.in_fit:
            self._update(self.seen - 1, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._update(self.seen - 1, None, finalize=True)
