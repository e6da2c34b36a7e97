"""keras.ops linalg family: norms, inverses, determinants and decompositions.

``inv``, ``solve``, ``det``, ``slogdet``/``logdet`` and ``norm`` are differentiable; the
decompositions (``cholesky``, ``qr``, ``svd``, ``eig``, ...) have no gradient in lamina and
refuse inputs that need one.
"""
import numpy as np

from lamina import backend, ops
from lamina.api import numpy as knp
from lamina.api._util import data, make_symbolic, plain, scipy_function, wrap
from lamina.api.core import convert_to_tensor

_t = convert_to_tensor


def _square(x, name):
    x = knp._float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name} expects square matrices (..., n, n), got shape {x.shape}.")
    return x


def inv(x):
    """Inverse of square matrices."""
    return ops.inv(_square(x, "inv"))


def solve(a, b):
    """x such that a @ x = b."""
    return ops.matmul(ops.inv(_square(a, "solve")), knp._float(b))


def solve_triangular(a, b, lower=False):
    """x such that a @ x = b, for a triangular ``a``."""
    a = _square(a, "solve_triangular")
    return solve(knp.tril(a) if lower else knp.triu(a), b)


def det(x):
    """Determinant of square matrices."""
    sign, logabs = knp.slogdet(x)
    return sign * ops.exp(logabs)


def matrix_power(x, n):
    """x multiplied by itself n times (n < 0 uses the inverse)."""
    x = _square(x, "matrix_power")
    if n < 0:
        x, n = ops.inv(x), -n
    out = wrap(np.broadcast_to(np.eye(x.shape[-1]), x.shape), x.dtype)
    for _ in range(n):
        out = ops.matmul(out, x)
    return out


def cholesky_inverse(x, upper=False):
    """inv(L @ L^T) from a Cholesky factor L (or U^T U when ``upper``)."""
    f = knp._float(x)
    ft = knp.swapaxes(f, -1, -2)
    return ops.inv(ops.matmul(ft, f) if upper else ops.matmul(f, ft))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (Keras's name)
    """Vector or matrix norm.

    Vector norms (one axis): ``ord`` None/2, 1, inf, -inf, 0 or any p. Matrix norms (two
    axes): 'fro' (default), 'nuc' is not supported, 1, -1, inf, -inf.
    """
    x = knp._float(x)
    if axis is None:
        if x.ndim == 2 and ord is not None:
            axis = (0, 1)
        else:
            x, axis = knp.ravel(x), 0
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(axes) == 1:
        a = ops.abs(x)
        if ord is None or ord == 2:
            return ops.sqrt(ops.sum(x * x, axes, keepdims))
        if ord == np.inf:
            return ops.max(a, axes, keepdims)
        if ord == -np.inf:
            return ops.min(a, axes, keepdims)
        if ord == 0:
            return wrap((data(x) != 0).sum(axis=axes, keepdims=keepdims), x.dtype)
        return ops.sum(a ** ord, axes, keepdims) ** (1.0 / ord)
    if ord in (None, "fro"):
        return ops.sqrt(ops.sum(x * x, axes, keepdims))
    row, col = axes
    if ord in (1, -1):
        sums = ops.sum(ops.abs(x), row, keepdims=True)
        pick = ops.max if ord == 1 else ops.min
        out = pick(sums, col, keepdims=True)
    elif ord in (np.inf, -np.inf):
        sums = ops.sum(ops.abs(x), col, keepdims=True)
        pick = ops.max if ord == np.inf else ops.min
        out = pick(sums, row, keepdims=True)
    else:
        raise ValueError(f"norm: matrix ord={ord!r} is not supported in lamina; "
                         "expected None, 'fro', 1, -1, inf or -inf.")
    return out if keepdims else knp.squeeze(out, axes)


def _decomposition(name, fn):
    op = plain(fn, differentiable=True)
    op.__name__, op.__doc__ = name, f"NumPy's ``linalg.{name}`` (no gradient in lamina)."
    return op


cholesky = _decomposition("cholesky", lambda xp, x, upper=False: (
    xp.swapaxes(xp.linalg.cholesky(x), -1, -2) if upper else xp.linalg.cholesky(x)))
qr = _decomposition("qr", lambda xp, x, mode="reduced": xp.linalg.qr(x, mode=mode))
svd = _decomposition("svd", lambda xp, x, full_matrices=True, compute_uv=True: xp.linalg.svd(
    x, full_matrices=full_matrices, compute_uv=compute_uv))
eig = _decomposition("eig", lambda xp, x: xp.linalg.eig(x))
eigh = _decomposition("eigh", lambda xp, x: xp.linalg.eigh(x))
pinv = _decomposition("pinv", lambda xp, x, rcond=None: xp.linalg.pinv(
    x, **({} if rcond is None else {"rcond": rcond})))
lstsq = _decomposition("lstsq", lambda xp, a, b, rcond=None: xp.linalg.lstsq(a, b,
                                                                            rcond=rcond)[0])


def _lu_factor(xp, x):
    scipy_lu_factor = scipy_function("linalg", "lu_factor", "lu_factor")
    lu, piv = scipy_lu_factor(backend.to_numpy(x))
    return lu, piv.astype(np.int32)


lu_factor = _decomposition("lu_factor", _lu_factor)


def matrix_rank(x, tol=None):
    """Rank of matrices (by SVD)."""
    a = data(_t(x))
    return wrap(backend.get_array_module(a).linalg.matrix_rank(a, tol=tol), "int32")


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode products need a forward-mode engine, which lamina does not have."""
    raise NotImplementedError("ops.jvp (forward-mode differentiation) is not supported: "
                              "lamina's engine is reverse-mode only. Use GradientTape for "
                              f"vector-Jacobian products. Got fun={fun!r}.")


__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
           "lu_factor", "matrix_power", "matrix_rank", "norm", "pinv", "qr", "solve",
           "solve_triangular", "svd"]

make_symbolic(globals(), __all__)
