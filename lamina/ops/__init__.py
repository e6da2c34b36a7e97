"""Differentiable operations on Tensors; also gives Tensor its operators."""
import numpy as np

from lamina import backend
from lamina.autograd import Tensor, Variable
from lamina.ops.conv import conv2d, conv2d_transpose, depthwise_conv2d
from lamina.ops.detached import detached
from lamina.ops.elementwise import (abs, add, cast, clip, divide, erf, exp, log, maximum, minimum,
                                    multiply, negative, power, sqrt, square, subtract, tanh, unary,
                                    where)
from lamina.ops.linalg import inv, linear, logabsdet, matmul
from lamina.ops.nn import (dropout, elu, leaky_relu, log_softmax, one_hot, relu, sigmoid,
                           sigmoid_cross_entropy, softmax, softmax_cross_entropy, softplus,
                           sparse_softmax_cross_entropy)
from lamina.ops.normalization import normalize
from lamina.ops.pooling import avg_pool2d, crop, max_pool2d, pad, upsample2d
from lamina.ops.recurrent import embedding, gru, lstm, simple_rnn
from lamina.ops.reductions import cumprod, cumsum, max, mean, min, sum
from lamina.ops.shape import (broadcast_to, concatenate, expand_dims, flatten, get_item,
                              reshape, scatter, squeeze, stack, transpose)


def _compare(op):
    def method(self, other):
        other = other.data if isinstance(other, Tensor) else other
        if isinstance(other, np.ndarray):   # a host array meets a device tensor: move it
            other = backend.to_device(other)
        return Tensor._wrap(op(self.data, other))
    return method


def _install_operators():
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda self, other: add(other, self)
    T.__sub__ = subtract
    T.__rsub__ = lambda self, other: subtract(other, self)
    T.__mul__ = multiply
    T.__rmul__ = lambda self, other: multiply(other, self)
    T.__truediv__ = divide
    T.__rtruediv__ = lambda self, other: divide(other, self)
    T.__neg__ = negative
    T.__pow__ = power
    T.__rpow__ = lambda self, other: power(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(Tensor(other), self)
    T.__abs__ = abs
    T.__getitem__ = get_item
    T.__lt__ = _compare(lambda a, b: a < b)
    T.__le__ = _compare(lambda a, b: a <= b)
    T.__gt__ = _compare(lambda a, b: a > b)
    T.__ge__ = _compare(lambda a, b: a >= b)
    T.__eq__ = _compare(lambda a, b: a == b)
    T.__ne__ = _compare(lambda a, b: a != b)
    T.__floordiv__ = _compare(lambda a, b: a // b)  # integer-valued: no gradient
    T.__mod__ = _compare(lambda a, b: a % b)
    T.__and__ = _compare(lambda a, b: a & b)
    T.__or__ = _compare(lambda a, b: a | b)
    T.__xor__ = _compare(lambda a, b: a ^ b)
    T.__invert__ = lambda self: Tensor._wrap(~self.data)
    Variable.value = property(lambda self: get_item(self, Ellipsis),
                              doc="The current value as a Tensor (gradients reach the variable).")
    T.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 else shape)
    T.transpose = lambda self, *axes: transpose(self, (axes[0] if len(axes) == 1 else axes) or None)
    T.T = property(lambda self: transpose(self))
    T.sum = lambda self, axis=None, keepdims=False: sum(self, axis, keepdims)
    T.mean = lambda self, axis=None, keepdims=False: mean(self, axis, keepdims)
    T.max = lambda self, axis=None, keepdims=False: max(self, axis, keepdims)
    T.min = lambda self, axis=None, keepdims=False: min(self, axis, keepdims)
    T.exp = exp
    T.log = log
    T.sqrt = sqrt
    T.tanh = tanh
    T.sigmoid = sigmoid
    T.relu = relu
    T.flatten = flatten


_install_operators()
