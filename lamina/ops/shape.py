"""Shape ops: reshape, transpose, indexing, concatenation, broadcasting."""
from lamina import backend
from lamina.autograd import Function, Tensor


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.x_shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        xp = backend.get_array_module(gy)
        return gy.transpose(xp.argsort(xp.asarray(self.axes)).tolist())


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gx = xp.zeros(self.x_shape, dtype=gy.dtype)
        backend.scatter_add(gx, self.index, gy)
        return gx


class Scatter(GetItem):
    """Adds ``values`` into zeros of ``shape`` at ``index``: the transpose of GetItem."""

    def __init__(self, index, shape):
        self.index, self.x_shape = index, tuple(shape)

    def forward(self, values):
        return GetItem.backward(self, values)

    def backward(self, gy):
        return gy[self.index]


class Concatenate(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend.get_array_module(*xs).concatenate(xs, axis=self.axis)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return tuple(xp.split(gy, xp.cumsum(xp.asarray(self.sizes[:-1])).tolist(), axis=self.axis))


class Stack(Function):
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        return backend.get_array_module(*xs).stack(xs, axis=self.axis)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return tuple(xp.moveaxis(gy, self.axis, 0))


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        return backend.get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return gy  # NOTE: the engine sums it back to the input's shape


def reshape(x, shape):
    return Reshape(tuple(shape) if not isinstance(shape, int) else (shape,))(x)


def transpose(x, axes=None):
    return Transpose(tuple(axes) if axes is not None else None)(x)


def flatten(x):
    """Keeps the first (batch) axis and flattens the rest."""
    return reshape(x, (x.shape[0], -1))


def expand_dims(x, axis):
    shape = list(x.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
    return reshape(x, shape)


def squeeze(x, axis=None):
    axes = range(x.ndim) if axis is None else [axis % x.ndim]
    return reshape(x, [n for i, n in enumerate(x.shape) if not (i in axes and n == 1)])


def get_item(x, index):
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index)(x)


def scatter(values, index, shape):
    return Scatter(index, shape)(values)


def concatenate(xs, axis=-1):
    return Concatenate(axis)(*xs)


def stack(xs, axis=0):
    return Stack(axis)(*xs)


def broadcast_to(x, shape):
    return BroadcastTo(shape)(x)
