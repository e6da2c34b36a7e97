"""``tf.linalg``: TensorFlow's linear-algebra names, mapped onto keras.ops (lamina.api)."""
from lamina.api.linalg import cholesky, det, eigh, inv, qr, svd  # noqa: F401
from lamina.api.numpy import diagonal, einsum, tensordot, trace  # noqa: F401
from lamina.api.numpy import swapaxes as _swapaxes
from lamina.array_ops import eye, matmul, norm  # noqa: F401
from lamina.math import l2_normalize  # noqa: F401
from lamina.api.linalg import solve as _solve
from lamina.api.math import logdet  # noqa: F401


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``a`` with its last two axes swapped."""
    return _swapaxes(a, -1, -2)


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """The main diagonal of the last two axes."""
    return diagonal(input, k, -2, -1)


def solve(matrix, rhs, adjoint=False, name=None):
    """x such that matrix @ x = rhs."""
    return _solve(matrix_transpose(matrix) if adjoint else matrix, rhs)
