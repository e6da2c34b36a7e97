"""Reverse-mode differentiation: walks the graph iteratively, newest op first.

The engine sees tensors only through ``.creator``, ``.data`` and ``._add_grad``; it
imports no Tensor class.
"""
import heapq

from lamina.backend import get_array_module


def sum_to(gx, shape):
    """Sums a broadcast gradient ``gx`` back to ``shape``."""
    if gx.shape == shape:
        return gx
    lead = gx.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gx.shape[i + lead] != 1)
    gx = gx.sum(axis=axes, keepdims=True)
    return gx.reshape(shape) if lead else gx


def backward(tensor, grad=None, retain_graph=False, inputs=None):
    """Accumulates d(tensor)/d(leaf) into ``leaf.grad`` for every leaf that requires it.

    Args:
        tensor: the Tensor to differentiate (usually a scalar loss).
        grad: upstream gradient, an array of the tensor's dtype; default ones.
        retain_graph: keep the graph for another backward pass.
        inputs: optional list of Tensors (leaves or not). When given, ``.grad`` is left
            alone and a dict {id(input): gradient array} is returned instead.
    """
    if not tensor.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad: "
                           "no input of the computation had requires_grad=True.")
    xp = get_array_module(tensor.data)
    gy = xp.ones(tensor.shape, tensor.dtype) if grad is None else grad
    if gy.shape != tensor.shape:
        raise ValueError(f"backward() got a gradient of shape {gy.shape} "
                         f"for a tensor of shape {tensor.shape}.")
    wanted = None if inputs is None else {id(x): None for x in inputs}
    if wanted is not None and id(tensor) in wanted:
        wanted[id(tensor)] = gy
    if tensor.creator is None:
        return wanted if wanted is not None else tensor._add_grad(gy)
    # pending gradients by tensor id; the tensor is held so its id stays valid
    grads = {id(tensor): (tensor, gy)}
    heap = [(-tensor.creator.generation, id(tensor.creator), tensor.creator)]
    queued = {id(tensor.creator)}
    while heap:
        f = heapq.heappop(heap)[2]
        gys = []
        for ref in f.outputs:
            y = ref()
            entry = None if y is None else grads.pop(id(y), None)
            gys.append(None if entry is None else entry[1])
            if wanted is not None and entry is not None and id(y) in wanted:
                wanted[id(y)] = entry[1]
        if len(gys) == 1 and gys[0] is None:
            continue
        gxs = f.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, needed in zip(f.inputs, gxs, f.needs_grad):
            if gx is None or not needed:
                continue
            if gx.shape != x.data.shape:
                gx = sum_to(gx, x.data.shape)
            creator = x.creator
            if creator is None:
                if wanted is None:
                    x._add_grad(gx)
                elif id(x) in wanted:
                    wanted[id(x)] = gx if wanted[id(x)] is None else wanted[id(x)] + gx
                continue
            entry = grads.get(id(x))
            grads[id(x)] = (x, gx if entry is None else entry[1] + gx)
            if id(creator) not in queued:
                queued.add(id(creator))
                heapq.heappush(heap, (-creator.generation, id(creator), creator))
        if not retain_graph:
            del f.inputs  # NOTE: frees saved arrays as soon as they are used
    return wanted
