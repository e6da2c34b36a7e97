"""CallbackList: calls each hook on every callback, in order (what fit, evaluate and predict
talk to)."""
from lamina.callbacks.callback import _HOOKS, Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger

_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    """True when ``callback`` does something in ``hook`` (so batch hooks cost nothing otherwise)."""
    names = (hook, _ALIASES[hook]) if hook in _ALIASES else (hook,)
    return any(n in vars(callback) or getattr(type(callback), n) is not getattr(Callback, n)
               for n in names)


class CallbackList:
    """Calls each hook on every callback, in order.

    Args:
        callbacks: a Callback or a list of them.
        add_history: append a History callback (fit).
        add_progbar: append a ProgbarLogger callback.
        model: the model, given to every callback.
        **params: verbose, epochs, steps: given to every callback as ``params``.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if isinstance(callbacks, Callback):  # Keras flattens one callback into a list
            callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {c!r}")
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history:
            self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        for c in self.callbacks:
            if model is not None:
                c.set_model(model)
            c.set_params(dict(params))
        self._active = {h: [c for c in self.callbacks if _overrides(c, h)] for h in _HOOKS}

    def _call(self, hook, *args):
        if args[-1] is None:  # hooks get logs={} (never None), as in Keras
            args = args[:-1] + ({},)
        for c in self._active[hook]:
            getattr(c, hook)(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)
