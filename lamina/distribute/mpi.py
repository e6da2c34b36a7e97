"""Collective operations between worker processes through MPI (mpi4py).

Launch one process per worker: ``mpiexec -n 2 python train.py`` (add ``-f hostfile``
to span machines). Every collective waits at most ``timeout`` seconds, so a worker that
hangs or dies makes the others stop with ``WorkerTimeoutError`` instead of waiting forever.
"""
import os
import sys
import time

import numpy as np

DEFAULT_TIMEOUT = 600.0
# NOTE: a collective is polled without sleeping for its first 20 ms: a step's collectives
# complete within microseconds once every worker arrives, and a sleep, even sleep(0),
# hands the core away for about 100 us
SPIN_SECONDS = 0.02


class WorkerTimeoutError(RuntimeError):
    """A collective operation did not complete: another worker died or hangs."""


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError("Multi-worker training needs mpi4py and an MPI library: "
                          "pip install 'lamina[distributed]'") from e
    return MPI


def _timeout_from_env():
    value = os.environ.get("LAMINA_DISTRIBUTE_TIMEOUT")
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise ValueError(f"LAMINA_DISTRIBUTE_TIMEOUT must be a positive number of seconds; "
                         f"received {value!r}.")
    return seconds


class MPICommunicator:
    """The processes of ``MPI.COMM_WORLD``, one per worker.

    Args:
        timeout: seconds a collective may take before ``WorkerTimeoutError``
            (default ``$LAMINA_DISTRIBUTE_TIMEOUT`` or 600).
    """

    def __init__(self, timeout=None):
        MPI = _import_mpi()
        self._mpi = MPI
        self.comm = MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout = _timeout_from_env() if timeout is None else float(timeout)
        if self.timeout <= 0:
            raise ValueError(f"`timeout` must be a positive number of seconds; received {timeout!r}.")
        self.seconds = 0.0  # time spent waiting in collectives (for benchmarks)
        self.xp = np       # gradients are summed in host memory
        if self.size > 1:
            _abort_on_uncaught_exception(self.comm)

    def _wait(self, request, what):
        """Polls ``request`` until it completes or the timeout passes."""
        start = time.perf_counter()
        deadline = start + self.timeout
        while not request.Test():
            now = time.perf_counter()
            if now > deadline:
                raise WorkerTimeoutError(
                    f"Worker {self.rank} of {self.size}: {what} did not complete within "
                    f"{self.timeout:g} s. Another worker has probably died or hangs; stopping. "
                    "(Set the limit with LAMINA_DISTRIBUTE_TIMEOUT.)")
            if now - start > SPIN_SECONDS:
                time.sleep(0.0002)
        self.seconds += time.perf_counter() - start

    def allreduce_sum(self, buffer):
        """Sums a contiguous NumPy array over all workers, in place."""
        self._wait(self.comm.Iallreduce(self._mpi.IN_PLACE, buffer, op=self._mpi.SUM),
                   "an all-reduce (summing gradients, losses or metrics)")
        return buffer

    def broadcast(self, buffer, root=0):
        """Copies ``root``'s contiguous NumPy array into everyone's ``buffer``, in place."""
        self._wait(self.comm.Ibcast(buffer, root=root), "broadcasting from the chief")
        return buffer

    def allgather(self, obj):
        """Returns the list of every worker's ``obj`` (any picklable value), by rank."""
        # NOTE: sizes first, then the pickled bytes, so the wait can time out
        data = np.frombuffer(_dumps(obj), dtype=np.uint8)
        sizes = np.zeros(self.size, dtype=np.int64)
        sizes[self.rank] = data.size
        self.allreduce_sum(sizes)
        received = np.empty(int(sizes.sum()), dtype=np.uint8)
        self._wait(self.comm.Iallgatherv(data, [received, sizes]), "gathering from workers")
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return [_loads(received[offsets[i]:offsets[i + 1]].tobytes()) for i in range(self.size)]

    def barrier(self):
        """Returns when every worker has called it."""
        self._wait(self.comm.Ibarrier(), "waiting for every worker (barrier)")


def _abort_on_uncaught_exception(comm):
    """Makes an error that ends one worker end the whole job (as ``python -m mpi4py`` does),
    instead of leaving the others waiting in a collective."""
    previous = sys.excepthook

    def excepthook(kind, value, traceback):
        sys.stderr.write(f"lamina.distribute: worker {comm.Get_rank()} stops the job: "
                         f"{kind.__name__}: {value}\n")
        previous(kind, value, traceback)
        sys.stderr.flush()
        # NOTE: MPI_Abort kills the launcher's output forwarding at once; a moment's wait
        # lets the message above reach the terminal
        time.sleep(1.0)
        comm.Abort(1)

    sys.excepthook = excepthook


def _dumps(obj):
    import pickle
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data):
    # NOTE: the bytes come from this job's own workers, never from a file
    import pickle
    return pickle.loads(data)
