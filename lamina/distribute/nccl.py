"""Summing gradients across the GPUs of one machine with NCCL (through CuPy).

Each process drives one GPU (process i uses GPU i). MPI starts the processes and hands
NCCL its unique id; gradients are then summed on the GPUs without a copy to the host.
"""
import time

from lamina import backend
from lamina.distribute.mpi import MPICommunicator, WorkerTimeoutError


class NCCLCommunicator:
    """NCCL all-reduce on the GPU; broadcasts, gathers and barriers through MPI.

    Args:
        timeout: seconds a collective may take before ``WorkerTimeoutError``.
    """

    def __init__(self, timeout=None):
        if backend.backend() != "cupy":
            raise RuntimeError("MirroredStrategy sums gradients on GPUs with NCCL and needs the "
                               "CuPy backend: set LAMINA_BACKEND=cupy (pip install "
                               "'lamina[gpu]'), or use MultiWorkerMirroredStrategy on the CPU.")
        self.mpi = MPICommunicator(timeout)
        self.rank, self.size, self.timeout = self.mpi.rank, self.mpi.size, self.mpi.timeout
        gpus = backend.device_count()
        if gpus < self.size:
            raise RuntimeError(f"MirroredStrategy runs one process per GPU: {self.size} processes "
                               f"were launched but this machine has {gpus} GPU(s).")
        backend.use_device(self.rank)
        nccl = backend.nccl()
        uid = self.mpi.allgather(nccl.get_unique_id() if self.rank == 0 else None)[0]
        self._nccl = nccl
        self._comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self.xp = backend.xp()
        self.seconds = 0.0

    def allreduce_sum(self, buffer):
        """Sums a contiguous CuPy array over all GPUs, in place."""
        start = time.perf_counter()
        stream = self.xp.cuda.get_current_stream()
        dtype = {"float16": self._nccl.NCCL_FLOAT16, "float32": self._nccl.NCCL_FLOAT32,
                 "float64": self._nccl.NCCL_FLOAT64}[buffer.dtype.name]
        self._comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, dtype,
                             self._nccl.NCCL_SUM, stream.ptr)
        deadline = start + self.timeout
        while not stream.done:
            if time.perf_counter() > deadline:
                self._comm.abort()
                raise WorkerTimeoutError(
                    f"GPU worker {self.rank} of {self.size}: summing gradients (NCCL all-reduce) "
                    f"did not complete within {self.timeout:g} s. Another worker has probably "
                    "died or hangs; stopping.")
            time.sleep(0)
        self.seconds += time.perf_counter() - start
        return buffer

    def broadcast(self, buffer, root=0):
        return self.mpi.broadcast(buffer, root)

    def allgather(self, obj):
        return self.mpi.allgather(obj)

    def barrier(self):
        self.mpi.barrier()
