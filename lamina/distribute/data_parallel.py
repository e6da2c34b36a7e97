"""Data-parallel training: every worker holds the whole model and a slice of each batch.

One step on N workers, as in TensorFlow's ``MultiWorkerMirroredStrategy``:

1. every worker reads the same global batch (same seed, same order) and keeps its
   contiguous share of the rows (sizes differ by at most one);
2. forward and backward on those rows give gradients of the local mean loss;
3. one all-reduce over a flat buffer sums ``gradient * local_rows / global_rows``,
   which is exactly the gradient of the global batch's mean loss;
4. every worker applies the same update, so the weights stay equal.

Before the first update the chief's weights and optimizer state are broadcast (after
checking that every worker built the same model). Losses and metrics are computed over
the global batch, so the logs equal those of one process. Batch normalization uses each
worker's own rows (as in Keras, no cross-worker statistics); its moving averages are
averaged across workers after each step, so every worker keeps the same weights.
"""
import numpy as np

from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.distribute.strategy import Strategy

BUCKET_BYTES = 16 << 20  # gradients are summed in buffers of at most this size


class DataParallelStrategy(Strategy):
    """A strategy whose workers split every global batch (the base of the mirrored ones).

    Args:
        communicator: an object with ``rank``, ``size``, ``allreduce_sum``, ``broadcast``,
            ``allgather`` and ``barrier`` (see ``MPICommunicator``).
    """

    def __init__(self, communicator, bytes_per_pack=None):
        self.communicator = communicator
        self.bytes_per_pack = bytes_per_pack or BUCKET_BYTES
        self.num_replicas_in_sync = communicator.size
        self.worker_index = communicator.rank
        self._rows = None      # (first, local, total) rows of the current global batch
        self._synced = set()   # ids of optimizers whose variables were broadcast

    # --- batches ---
    def shard(self, total):
        """(first, stop) of this worker's rows in a global batch of ``total`` rows."""
        n, r = self.num_replicas_in_sync, self.worker_index
        first = r * (total // n) + min(r, total % n)
        return first, first + total // n + (r < total % n)

    def distribute_batches(self, batches):
        return _ShardedBatches(self, batches)

    def _take_rows(self, batch):
        """This worker's rows of one global batch; sets the step's row bookkeeping."""
        total = len(tree.flatten(batch)[0])
        first, stop = self.shard(total)
        if stop == first:
            # NOTE: a batch smaller than the number of workers leaves this one without rows;
            # it computes on a copy of row 0 whose gradient, loss and metrics weigh nothing
            self._rows = (first, 0, total)
            backend.set_batch_shard((0, 1, total))
            return tree.map_structure(lambda a: None if a is None else a[:1], batch)
        self._rows = (first, stop - first, total)
        backend.set_batch_shard(self._rows)
        return tree.map_structure(lambda a: None if a is None else a[first:stop], batch)

    def _end_batches(self):
        self._rows = None
        backend.set_batch_shard(None)

    def _share(self):
        """This worker's weight in the global mean: local rows / global rows."""
        if self._rows is None:
            return 1.0  # a custom loop: gradients are summed, as in TensorFlow
        return self._rows[1] / self._rows[2]

    # --- gradients and weights ---
    def reduce_gradients(self, grads, variables, optimizer, flat=None):
        if id(optimizer) not in self._synced:
            self._broadcast_from_chief(variables, optimizer)
        xp = self.communicator.xp  # where the buffer lives: NumPy for MPI, CuPy for NCCL
        share = self._share()
        in_place = flat is not None and backend.get_array_module(flat) is xp
        sizes = [g.size for g in grads]
        if not in_place:   # gather the gradients into one buffer
            flat = xp.empty(sum(sizes), dtype=np.result_type(*[g.dtype for g in grads]))
            offset = 0
            for g, size in zip(grads, sizes):
                flat[offset:offset + size] = _on(xp, g).ravel()
                offset += size
        if share != 1.0:
            flat *= flat.dtype.type(share)
        step = max(1, self.bytes_per_pack // flat.itemsize)
        for start in range(0, flat.size, step):
            self.communicator.allreduce_sum(flat[start:start + step])
        if in_place:   # ``grads`` are views of ``flat``: already combined
            return grads
        out, offset = [], 0
        for g, size in zip(grads, sizes):
            part = flat[offset:offset + size].reshape(g.shape)
            out.append(backend.get_array_module(g).asarray(_on(backend.get_array_module(g), part)))
            offset += size
        return out

    def _broadcast_from_chief(self, variables, optimizer):
        """Checks that all workers hold the same variables, then copies the chief's values
        and the optimizer's state to every worker."""
        described = [(getattr(v, "path", None) or getattr(v, "name", "?"), tuple(v.data.shape))
                     for v in variables]
        everyone = self.communicator.allgather(described)
        for rank, theirs in enumerate(everyone):
            if theirs != described:
                raise ValueError(_mismatch(rank, theirs, self.worker_index, described))
        for v in variables:
            host = np.ascontiguousarray(backend.to_numpy(v.data))
            self.communicator.broadcast(host)
            v.data[...] = backend.get_array_module(v.data).asarray(host)
        optimizer.build(variables)
        state = self.communicator.allgather(optimizer.get_state() if self.is_chief else None)[0]
        optimizer.set_state(state)
        self._synced.add(id(optimizer))

    def sync_non_trainable(self, weights):
        floats = [w for w in weights if np.issubdtype(np.dtype(w.data.dtype), np.floating)]
        if not floats:
            return
        flat = np.concatenate([backend.to_numpy(w.data).ravel() for w in floats])
        self.communicator.allreduce_sum(flat)
        flat /= self.num_replicas_in_sync
        offset = 0
        for w in floats:
            size = w.data.size
            w.data[...] = backend.get_array_module(w.data).asarray(
                flat[offset:offset + size].reshape(w.data.shape))
            offset += size

    # --- losses, metrics and predictions over the global batch ---
    def reduce_loss(self, value, batch_size):
        if self._rows is None:
            return value, batch_size
        local, total = self._rows[1], self._rows[2]
        pair = np.array([value * local, local], dtype=np.float64)
        self.communicator.allreduce_sum(pair)
        return float(pair[0] / pair[1]), total

    def gather_batch(self, *parts):
        if self._rows is None:
            return parts
        local = self._rows[1]
        leaves = tree.flatten(list(parts))
        mine = [None if a is None else backend.to_numpy(a.data if isinstance(a, Tensor) else a)
                [:local] for a in leaves]
        everyone = self.communicator.allgather(mine)
        joined = []
        for leaf, pieces in zip(leaves, zip(*everyone)):
            if leaf is None:
                joined.append(None)
                continue
            array = backend.to_device(np.concatenate(pieces))
            joined.append(Tensor._wrap(array) if isinstance(leaf, Tensor) else array)
        return tuple(tree.pack_sequence_as(list(parts), joined))

    def gather_outputs(self, outputs):
        if self._rows is None:
            return outputs
        local = self._rows[1]
        everyone = self.communicator.allgather([a[:local] for a in tree.flatten(outputs)])
        return tree.pack_sequence_as(outputs, [np.concatenate(p) for p in zip(*everyone)])

    def barrier(self):
        self.communicator.barrier()


def _on(xp, array):
    """``array`` as an array of module ``xp`` (NumPy or CuPy)."""
    return backend.to_numpy(array) if xp is np else xp.asarray(array)


def _mismatch(rank, theirs, me, mine):
    """The message for workers that built different models, naming the first difference."""
    for (name_a, shape_a), (name_b, shape_b) in zip(theirs, mine):
        if (name_a, shape_a) != (name_b, shape_b):
            return (f"Workers built different models: worker {rank} has weight '{name_a}' of "
                    f"shape {shape_a} where worker {me} has '{name_b}' of shape {shape_b}. "
                    "Every worker must build the same model.")
    return (f"Workers built different models: worker {rank} has {len(theirs)} trainable "
            f"weights, worker {me} has {len(mine)}. Every worker must build the same model.")


class _ShardedBatches:
    """Wraps the batches of fit/evaluate/predict: each global batch becomes this worker's rows."""

    def __init__(self, strategy, batches):
        self.strategy, self.batches = strategy, batches

    def __len__(self):
        return len(self.batches)

    @property
    def steps(self):
        return getattr(self.batches, "steps", None)

    @property
    def exhausted(self):
        return getattr(self.batches, "exhausted", False)

    def __iter__(self):
        try:
            for batch in self.batches:
                yield self.strategy._take_rows(batch)
        finally:
            self.strategy._end_batches()
