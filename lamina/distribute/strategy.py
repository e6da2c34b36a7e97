"""Strategy: where training runs. The default strategy is one process, nothing shared.

``with strategy.scope():`` makes a strategy the current one (``get_strategy()``); a model
compiled inside the scope keeps it, and ``fit``/``evaluate``/``predict`` then run as the
strategy says. The default strategy's methods leave everything as it is, so the training
loop calls them without asking which strategy it has.
"""
import contextlib

_stack = []


def get_strategy():
    """Returns the strategy of the innermost ``scope()``, or the default strategy."""
    return _stack[-1] if _stack else _DEFAULT


def has_strategy():
    """True inside a non-default strategy's ``scope()``."""
    return bool(_stack) and _stack[-1] is not _DEFAULT


class Strategy:
    """One process trains alone (TensorFlow's default strategy).

    Subclasses split each global batch across workers and keep their weights equal.
    """

    num_replicas_in_sync = 1
    worker_index = 0

    @property
    def is_chief(self):
        """True on the worker that writes logs, checkpoints and progress (worker 0)."""
        return self.worker_index == 0

    @contextlib.contextmanager
    def scope(self):
        """Makes this the current strategy: models and optimizers created or compiled
        inside use it."""
        _stack.append(self)
        try:
            yield self
        finally:
            _stack.pop()

    # --- hooks called by the training loop (no-ops for one process) ---
    def distribute_batches(self, batches):
        """Returns the batches this worker computes: here, all of them."""
        return batches

    def reduce_gradients(self, grads, variables, optimizer, flat=None):
        """Returns the gradients to apply (all workers' combined); here, ``grads``.

        ``flat``, when given, is one contiguous array whose views ``grads`` are (a compiled
        step's gradient buffer): a strategy may combine it in place."""
        return grads

    def reduce_loss(self, value, batch_size):
        """Returns (loss, samples) of the global batch from this worker's (mean, samples)."""
        return value, batch_size

    def gather_batch(self, *parts):
        """Returns ``parts`` (structures of batch arrays) with every worker's rows, in order."""
        return parts

    def sync_non_trainable(self, weights):
        """Averages non-trainable weights (moving statistics) across workers."""

    def gather_outputs(self, outputs):
        """Returns predictions of the global batch from this worker's rows."""
        return outputs

    def barrier(self):
        """Waits until every worker gets here."""

    def __repr__(self):
        return f"<{type(self).__name__} num_replicas_in_sync={self.num_replicas_in_sync}>"


_DEFAULT = Strategy()
