"""Detached: a value computed from arrays with no gradient, as an op.

Losses compute functions of their targets (a scale, a log, hinge labels) and layers read
their non-trainable statistics. Written as plain array code these would be constants to
``lamina.compile``, frozen at the traced batch; as an op they are recorded and recomputed
at every replay, with the very same array code eager runs.
"""
from lamina import backend
from lamina.autograd import Function, Tensor, no_grad


class Detached(Function):
    """``fn(xp, *arrays, **settings)``; no gradient reaches the inputs.

    ``fn`` should be a module-level function (a new lambda at every call would make two
    traces of a step differ).
    """

    def __init__(self, fn, settings):
        self.fn, self.settings = fn, settings

    def forward(self, *xs):
        return self.fn(backend.get_array_module(xs[0]), *xs, **self.settings)

    def backward(self, *gys):
        return (None,) * len(self.needs_grad)


def detached(fn, *xs, **settings):
    """Applies ``fn(xp, *arrays, **settings)`` to the Tensors ``xs``; returns a Tensor with
    no graph (no gradient flows back through it).

    Args:
        fn: function of the array module and the arrays, returning an array.
        *xs: Tensors or arrays (taken as they are, float64 included).
        **settings: constant arguments of ``fn`` (numbers, tuples).
    """
    xs = [Tensor._wrap(x) if backend.is_array(x) else x for x in xs]
    with no_grad():
        return Detached(fn, settings)(*xs)
