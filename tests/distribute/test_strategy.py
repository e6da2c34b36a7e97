"""Strategies in one process: the default strategy, scopes, sharding arithmetic, bucketed
gradient sums, which callbacks a worker runs, and argument errors."""
import numpy as np
import pytest

import lamina
from lamina import distribute, keras
from lamina.distribute.data_parallel import DataParallelStrategy
from lamina.models.model import _for_worker


class EchoCommunicator:
    """One worker of ``size``: collectives return this worker's own data (counted)."""

    xp = np

    def __init__(self, rank=0, size=1):
        self.rank, self.size, self.calls = rank, size, 0

    def allreduce_sum(self, buffer):
        self.calls += 1
        return buffer

    def broadcast(self, buffer, root=0):
        return buffer

    def allgather(self, obj):
        return [obj] * self.size

    def barrier(self):
        pass


def test_default_strategy_and_scopes():
    default = distribute.get_strategy()
    assert default.num_replicas_in_sync == 1 and default.is_chief
    assert not distribute.has_strategy()
    outer, inner = DataParallelStrategy(EchoCommunicator()), DataParallelStrategy(EchoCommunicator())
    with outer.scope():
        assert distribute.get_strategy() is outer and distribute.has_strategy()
        with inner.scope():
            assert distribute.get_strategy() is inner
        assert distribute.get_strategy() is outer
    assert distribute.get_strategy() is default


@pytest.mark.parametrize("size", [2, 3])
def test_shards_cover_each_global_batch_in_order(size):
    for total in range(0, 9):
        parts = [DataParallelStrategy(EchoCommunicator(r, size)).shard(total) for r in range(size)]
        assert parts[0][0] == 0 and parts[-1][1] == total
        assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
        sizes = [stop - first for first, stop in parts]
        assert max(sizes) - min(sizes) <= 1


def test_a_worker_without_rows_computes_on_a_placeholder_that_weighs_nothing():
    strategy = DataParallelStrategy(EchoCommunicator(rank=1, size=2))
    x, y = np.arange(6.0).reshape(1, 6), np.array([4])
    (bx, by), = list(strategy.distribute_batches([(x, y)]))  # one global batch of 1 row
    assert bx.shape == (1, 6)
    assert strategy._rows is None  # cleared when the batches end
    batches = iter(strategy.distribute_batches([(x, y)]))
    next(batches)
    assert strategy._rows == (1, 0, 1) and strategy._share() == 0.0


def test_gradients_are_weighted_by_rows_and_summed_in_buckets():
    communicator = EchoCommunicator(rank=0, size=2)
    strategy = DataParallelStrategy(communicator, bytes_per_pack=64)  # 16 float32 a bucket
    w = [lamina.Variable(np.zeros((5, 7), np.float32)), lamina.Variable(np.zeros(3, np.float32))]
    optimizer = keras.optimizers.SGD(0.1)
    grads = [np.ones((5, 7), np.float32), np.full(3, 2.0, np.float32)]
    batches = iter(strategy.distribute_batches([np.zeros((3, 1))]))  # rows 0-1 of 3
    next(batches)
    out = strategy.reduce_gradients(grads, w, optimizer)
    np.testing.assert_allclose(out[0], np.full((5, 7), 2 / 3), rtol=1e-6)
    np.testing.assert_allclose(out[1], np.full(3, 4 / 3), rtol=1e-6)
    assert out[0].dtype == np.float32 and out[0].shape == (5, 7)
    assert communicator.calls == 3  # ceil(38 values / 16 a bucket)


def test_one_worker_strategy_trains_exactly_like_no_strategy():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)

    def train(strategy):
        keras.utils.set_random_seed(3)
        with strategy.scope():
            model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dropout(0.3),
                                      keras.layers.Dense(2, activation="softmax")])
            model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return model.get_weights(), history.history

    plain_weights, plain_logs = train(distribute.get_strategy())
    mpi_weights, mpi_logs = train(distribute.MultiWorkerMirroredStrategy())
    # NOTE: not bit for bit: the broadcast optimizer state holds the learning rate in float32
    for a, b in zip(plain_weights, mpi_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    for key in plain_logs:
        np.testing.assert_allclose(mpi_logs[key], plain_logs[key], rtol=1e-5)


def test_only_the_chief_runs_callbacks_that_write(tmp_path):
    class NotChief:
        is_chief = False

    writers = [keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
               keras.callbacks.CSVLogger(str(tmp_path / "log.csv")),
               keras.callbacks.TensorBoard(str(tmp_path / "tb")),
               keras.callbacks.ProgbarLogger()]
    others = [keras.callbacks.EarlyStopping(), keras.callbacks.History(),
              keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))]
    assert _for_worker(writers + others, NotChief()) == others
    assert _for_worker(writers + others, distribute.get_strategy()) == writers + others


def test_bad_arguments_are_named(monkeypatch):
    with pytest.raises(ValueError, match="bytes_per_pack must be a non-negative integer; "
                                         "received -1"):
        distribute.CommunicationOptions(bytes_per_pack=-1)
    monkeypatch.setenv("LAMINA_DISTRIBUTE_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="LAMINA_DISTRIBUTE_TIMEOUT must be a positive number "
                                         "of seconds; received 'soon'"):
        distribute.MultiWorkerMirroredStrategy()
    monkeypatch.delenv("LAMINA_DISTRIBUTE_TIMEOUT")
    with pytest.raises(RuntimeError, match="MirroredStrategy sums gradients on GPUs with NCCL "
                                           "and needs the CuPy backend"):
        distribute.MirroredStrategy()
