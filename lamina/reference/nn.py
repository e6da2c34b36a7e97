"""Dense, softmax and the cross-entropies from primitive ops: the twins of the fused ops in
``lamina.ops.linalg`` and ``lamina.ops.nn``. Autograd derives their backward passes."""
from lamina import ops


def linear(x, W, b=None, relu=False):
    """``x @ W + b``, then relu when asked; twin of ``ops.linear``."""
    y = ops.matmul(x, W)
    if b is not None:
        y = y + b
    return ops.relu(y) if relu else y


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))``, with the max subtracted first; twin of ``ops.softmax``."""
    e = ops.exp(x - ops.max(x, axis=axis, keepdims=True))
    return e / ops.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``z - log(sum(exp(z)))`` with ``z = x - max(x)``; twin of ``ops.log_softmax``."""
    z = x - ops.max(x, axis=axis, keepdims=True)
    return z - ops.log(ops.sum(ops.exp(z), axis=axis, keepdims=True))


def softmax_cross_entropy(logits, targets):
    """Per-sample ``-sum(targets * log softmax(logits))``; twin of ``ops.softmax_cross_entropy``."""
    return -ops.sum(targets * log_softmax(logits), axis=-1)


def sparse_softmax_cross_entropy(logits, labels):
    """``-log softmax(logits)[label]``, the targets one-hot; twin of the sparse fused op."""
    return softmax_cross_entropy(logits, ops.one_hot(labels, logits.shape[-1], logits.dtype))


def sigmoid_cross_entropy(logits, targets):
    """``-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))``, in the form that cannot overflow:
    ``max(x, 0) - x * t + log(1 + exp(-|x|))``; twin of ``ops.sigmoid_cross_entropy``."""
    return ops.maximum(logits, 0.0) - logits * targets + ops.log(1 + ops.exp(-ops.abs(logits)))
