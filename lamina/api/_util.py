"""Helpers shared by the keras.ops families: argument conversion and gradient-free ops."""
import functools
import inspect

from lamina import backend, tree
from lamina.api.core import convert_to_tensor, standardize_dtype
from lamina.autograd import Tensor, as_tensor, is_grad_enabled
from lamina.naming import unique_name


def pair(x1, x2):
    """Both operands as Tensors; a Python number takes the other operand's float dtype."""
    if isinstance(x1, Tensor):
        return x1, as_tensor(x2, x1)
    if isinstance(x2, Tensor):
        return as_tensor(x1, x2), x2
    return convert_to_tensor(x1), convert_to_tensor(x2)


def data(x):
    """The backend array of ``x`` (a Tensor, array or number)."""
    return x.data if isinstance(x, Tensor) else convert_to_tensor(x).data


def wrap(array, dtype=None):
    """A Tensor (no graph) holding ``array`` on the active backend."""
    array = backend.to_device(array)
    return Tensor._wrap(array if dtype is None else array.astype(standardize_dtype(dtype)))


def plain(fn, differentiable=False):
    """Turns ``fn(xp, *arrays, **kwargs)`` into an op on Tensors that records no graph.

    For integer, boolean or piecewise-constant results (argmax, isnan, floor, ...) that
    is the right gradient (none). Where the true gradient is not zero
    (``differentiable=True``, e.g. ``inv``) the op refuses inputs that need one.
    """
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if differentiable and is_grad_enabled() and any(
                getattr(a, "requires_grad", False) for a in args):
            raise NotImplementedError(
                f"keras.ops.{op.__name__} has no gradient in lamina; apply it to "
                f"ops.stop_gradient(x) or outside a GradientTape.")
        arrays = [a if a is None or isinstance(a, str) else convert_to_tensor(a).data
                  for a in args]
        xp = backend.get_array_module(*[a for a in arrays if backend.is_array(a)]) \
            if any(backend.is_array(a) for a in arrays) else backend.xp()
        out = fn(xp, *arrays, **kwargs)
        if isinstance(out, (tuple, list)):
            return tuple(wrap(o) for o in out)
        return wrap(out)
    op.__signature__ = without_xp(fn)
    return op


def without_xp(fn, extra=()):
    """The signature of ``fn(xp, ...)`` as users see it: without ``xp``, plus ``extra``."""
    sig = inspect.signature(fn)
    return sig.replace(parameters=list(sig.parameters.values())[1:] + list(extra))


def scipy_function(module, name, op):
    """``scipy.<module>.<name>``, or an ImportError naming the extra that installs SciPy."""
    try:
        import importlib
        return getattr(importlib.import_module(f"scipy.{module}"), name)
    except ImportError as e:
        raise ImportError(f"keras.ops.{op} needs SciPy: pip install 'lamina[scipy]'") from e


def _is_symbolic(x):
    return hasattr(x, "keras_history")  # a KerasTensor of the functional API


def symbolic(fn):
    """Lets ``fn`` take KerasTensors too: called on symbolic inputs (``keras.Input``), it adds
    a layer to the functional graph that runs ``fn`` on the real tensors, as Keras 3's ops do."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if not any(_is_symbolic(a) for a in tree.flatten([list(args), kwargs])):
            return fn(*args, **kwargs)
        from lamina.layers.core import Lambda  # NOTE: layers sit above the ops' level
        symbols = [a for a in tree.flatten([list(args), kwargs]) if _is_symbolic(a)]

        def call(tensors):
            real = iter(tensors if len(symbols) > 1 else [tensors])
            args_, kwargs_ = tree.map_structure(
                lambda a: next(real) if _is_symbolic(a) else a, [list(args), kwargs])
            return fn(*args_, **kwargs_)
        layer = Lambda(call, name=unique_name(fn.__name__))
        return layer(symbols if len(symbols) > 1 else symbols[0])
    return op


def make_symbolic(namespace, names):
    """Replaces each function ``names`` of a module's ``namespace`` by its ``symbolic`` form."""
    for name in names:
        namespace[name] = symbolic(namespace[name])
