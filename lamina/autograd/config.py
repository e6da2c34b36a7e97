"""Switches for the autograd engine: whether operations record a graph, and mixed precision.

The switches are per thread: ``no_grad`` in a thread that predicts does not stop the graph
of a thread that trains.
"""
import contextlib
import threading


class _Config(threading.local):
    enable_grad = True  # the class attributes are each new thread's starting values
    recorder = None  # set by lamina.compile while it traces a step
    autocast = None   # mixed precision: float dtype that ops read float Variables in


Config = _Config()


@contextlib.contextmanager
def autocast_scope(dtype):
    """Context manager in which ops read float Variables cast to ``dtype`` (None: as they are).

    A layer under a mixed policy ('mixed_float16') calls itself in this scope, so its
    float32 weights enter float16 computations, as Keras's AutocastScope does.
    """
    previous, Config.autocast = Config.autocast, dtype
    try:
        yield
    finally:
        Config.autocast = previous


class _GradMode:
    """Context manager that sets graph recording on or off, restoring it on exit."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.previous = []

    def __enter__(self):
        self.previous.append(Config.enable_grad)
        Config.enable_grad = self.enabled

    def __exit__(self, *exc):
        Config.enable_grad = self.previous.pop()


def no_grad():
    """Context manager in which operations record no graph (inference, updates)."""
    return _GradMode(False)


def enable_grad():
    """Context manager that turns graph recording back on inside ``no_grad``."""
    return _GradMode(True)


def is_grad_enabled():
    """True when operations record a graph for ``backward`` in this thread."""
    return Config.enable_grad
