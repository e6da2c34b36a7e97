"""Function: one differentiable operation, forward and backward side by side."""
import weakref

from lamina.autograd.config import Config
from lamina.autograd.tensor import Tensor, as_array
from lamina.autograd.variable import Variable


def as_tensor(x, like=None):
    """Returns ``x`` as a Tensor; float constants take the float dtype of ``like``."""
    if isinstance(x, Tensor):
        return x
    dtype = None
    if like is not None and like.dtype.kind == "f" and getattr(x, "dtype", like.dtype).kind == "f":
        dtype = like.dtype
    return Tensor._wrap(as_array(x, dtype))


class Function:
    """Base class for an operation.

    Subclasses implement ``forward(*arrays)`` returning an array (or a tuple), and
    ``backward(*grads)`` returning one gradient per input (None where not needed).
    Both work on raw NumPy/CuPy arrays. ``self.needs_grad[i]`` tells backward
    whether input i wants a gradient, so it can skip work. Gradients may come back
    in the broadcast shape: the engine sums them to each input's shape.
    """

    def __call__(self, *inputs):
        for x in inputs:
            if not isinstance(x, Tensor):
                like = next((t for t in inputs if isinstance(t, Tensor)), None)
                inputs = [as_tensor(t, like) for t in inputs]
                break
        if Config.autocast is not None and type(self) is not Cast:
            inputs = _autocast(inputs, Config.autocast)
        recorder = Config.recorder
        if recorder is not None:  # lamina.compile is tracing: settings before forward
            settings = dict(self.__dict__)
        try:
            ys = self.forward(*[x.data for x in inputs])
        except ValueError as e:
            shapes = " and ".join(str(tuple(x.shape)) for x in inputs)
            raise ValueError(f"{type(self).__name__} got inputs of shapes {shapes}: {e}") from e
        single = not isinstance(ys, tuple)
        outputs = [Tensor._wrap(ys)] if single else [Tensor._wrap(y) for y in ys]
        if Config.enable_grad:
            needs = tuple([x.requires_grad for x in inputs])
            if True in needs:
                generation = max([x.generation for x in inputs])
                self.inputs = inputs
                self.needs_grad = needs
                self.generation = generation
                for y in outputs:
                    y.creator = self
                    y.requires_grad = True
                    y.generation = generation + 1
                self.outputs = [weakref.ref(y) for y in outputs]
        if recorder is not None:
            recorder.record(self, settings, inputs, outputs)
        return outputs[0] if single else tuple(outputs)

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError


class Cast(Function):
    """``x`` in another dtype; the gradient comes back in ``x``'s dtype (``ops.cast``)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.x_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.x_dtype)


def _autocast(inputs, dtype):
    """Float Variables among ``inputs`` cast to ``dtype`` (mixed precision, see autocast_scope)."""
    return [Cast(dtype)(x) if isinstance(x, Variable) and x.dtype.kind == "f" and x.dtype != dtype
            and getattr(x, "autocast", True) else x for x in inputs]
