"""Data-parallel training across processes and machines (TensorFlow's ``tf.distribute`` names).

    strategy = lamina.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = build_model()
        model.compile(...)
    model.fit(x, y, batch_size=GLOBAL_BATCH)   # launched with: mpiexec -n 2 python train.py
"""
from lamina.distribute.mirrored import (CommunicationOptions, MirroredStrategy,
                                        MultiWorkerMirroredStrategy)
from lamina.distribute.mpi import WorkerTimeoutError
from lamina.distribute.strategy import Strategy, get_strategy, has_strategy

__all__ = ["CommunicationOptions", "MirroredStrategy", "MultiWorkerMirroredStrategy", "Strategy",
           "WorkerTimeoutError", "get_strategy", "has_strategy"]
