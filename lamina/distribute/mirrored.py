"""The strategies users create: ``MultiWorkerMirroredStrategy`` (MPI) and
``MirroredStrategy`` (one process per GPU, NCCL)."""
from lamina.distribute.data_parallel import DataParallelStrategy
from lamina.distribute.mpi import MPICommunicator
from lamina.distribute.nccl import NCCLCommunicator


class CommunicationOptions:
    """How workers communicate (TensorFlow's ``tf.distribute.experimental.CommunicationOptions``).

    Args:
        bytes_per_pack: gradients are summed in buffers of at most this many bytes
            (0: the default, 16 MiB).
        timeout_seconds: how long a collective may wait for the other workers before
            ``WorkerTimeoutError`` (None: ``$LAMINA_DISTRIBUTE_TIMEOUT`` or 600).
        implementation: accepted for compatibility; lamina uses MPI (CPU) or NCCL (GPU).
    """

    def __init__(self, bytes_per_pack=0, timeout_seconds=None, implementation=None):
        if not isinstance(bytes_per_pack, int) or bytes_per_pack < 0:
            raise ValueError("bytes_per_pack must be a non-negative integer; received "
                             f"{bytes_per_pack!r}.")
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation


class MultiWorkerMirroredStrategy(DataParallelStrategy):
    """Synchronous data-parallel training over MPI, one process per worker.

    Launch with ``mpiexec -n N python train.py`` (across machines: ``mpiexec -f hostfile
    -n N ...``). Build and compile the model inside ``strategy.scope()``; ``fit`` then
    splits each global batch (``batch_size``) across the workers and averages their
    gradients with one all-reduce per step. Worker 0 is the chief: only it prints progress
    and writes checkpoints, TensorBoard and CSV logs.

    Args:
        communication_options: a ``CommunicationOptions`` (bucket size, timeout).
        cluster_resolver: accepted for compatibility; MPI knows the cluster.
    """

    def __init__(self, communication_options=None, cluster_resolver=None):
        options = communication_options or CommunicationOptions()
        super().__init__(MPICommunicator(options.timeout_seconds), options.bytes_per_pack)


class MirroredStrategy(DataParallelStrategy):
    """Synchronous data-parallel training on the GPUs of one machine, one process per GPU,
    gradients summed with NCCL.

    Launch one process per GPU: ``mpiexec -n 4 python train.py`` with
    ``LAMINA_BACKEND=cupy``; process i uses GPU i.

    Args:
        devices: accepted for compatibility (``['/gpu:0', ...]``); their number must equal
            the number of processes.
        cross_device_ops: accepted for compatibility; NCCL is used.
        communication_options: a ``CommunicationOptions`` (bucket size, timeout).
    """

    def __init__(self, devices=None, cross_device_ops=None, communication_options=None):
        options = communication_options or CommunicationOptions()
        communicator = NCCLCommunicator(options.timeout_seconds)
        if devices is not None and len(devices) != communicator.size:
            raise ValueError(f"MirroredStrategy runs one process per device: {len(devices)} "
                             f"devices {list(devices)} were given but {communicator.size} "
                             "processes were launched.")
        super().__init__(communicator, options.bytes_per_pack)
