"""keras.ops (lamina.api): every differentiable op, one table. Central differences in
float64 with a random upstream gradient, and the same computation through PyTorch."""
import numpy as np
import pytest
import torch

from lamina import Tensor
from lamina.autograd import gradcheck
from lamina.keras import ops as K

R = np.random.default_rng(0)
F = torch.nn.functional


def rnd(*shape):
    return R.standard_normal(shape)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def away(*shape):
    return R.uniform(0.2, 2.0, shape) * R.choice([-1, 1], shape)


def distinct(*shape):
    return R.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) * 0.37 - 1


def spd(n):
    a = rnd(n, n)
    return a @ a.T + n * np.eye(n)


IDX = np.array([2, 0, 2])
SEG = np.array([0, 0, 1, 2])

# name: (keras.ops lambda, torch lambda, inputs)
CASES = {
    # arithmetic
    "add": (K.add, torch.add, [rnd(3, 4), rnd(4)]),
    "subtract": (K.subtract, torch.subtract, [rnd(3, 4), rnd(3, 1)]),
    "multiply": (K.multiply, torch.multiply, [rnd(3, 4), rnd(4)]),
    "divide": (K.divide, torch.divide, [rnd(3, 4), pos(3, 4)]),
    "true_divide": (K.true_divide, torch.true_divide, [rnd(3, 4), pos(4)]),
    "divide_no_nan": (K.divide_no_nan, torch.divide, [rnd(3, 4), pos(3, 4)]),
    "power": (K.power, torch.pow, [pos(3, 4), rnd(3, 4)]),
    "negative": (K.negative, torch.negative, [rnd(3, 4)]),
    "reciprocal": (K.reciprocal, torch.reciprocal, [pos(3, 4)]),
    "square": (K.square, torch.square, [rnd(3, 4)]),
    "sqrt": (K.sqrt, torch.sqrt, [pos(3, 4)]),
    "exp": (K.exp, torch.exp, [rnd(3, 4)]),
    "exp2": (K.exp2, torch.exp2, [rnd(3, 4)]),
    "log": (K.log, torch.log, [pos(3, 4)]),
    "log2": (K.log2, torch.log2, [pos(3, 4)]),
    "log10": (K.log10, torch.log10, [pos(3, 4)]),
    "log1p": (K.log1p, torch.log1p, [pos(3, 4)]),
    "expm1": (K.expm1, torch.expm1, [rnd(3, 4)]),
    "sin": (K.sin, torch.sin, [rnd(3, 4)]),
    "cos": (K.cos, torch.cos, [rnd(3, 4)]),
    "tan": (K.tan, torch.tan, [rnd(3, 4) * 0.5]),
    "arcsin": (K.arcsin, torch.arcsin, [R.uniform(-0.9, 0.9, (3, 4))]),
    "arccos": (K.arccos, torch.arccos, [R.uniform(-0.9, 0.9, (3, 4))]),
    "arctan": (K.arctan, torch.arctan, [rnd(3, 4)]),
    "sinh": (K.sinh, torch.sinh, [rnd(3, 4)]),
    "cosh": (K.cosh, torch.cosh, [rnd(3, 4)]),
    "tanh": (K.tanh, torch.tanh, [rnd(3, 4)]),
    "arcsinh": (K.arcsinh, torch.arcsinh, [rnd(3, 4)]),
    "arccosh": (K.arccosh, torch.arccosh, [pos(3, 4) + 1]),
    "arctanh": (K.arctanh, torch.arctanh, [R.uniform(-0.9, 0.9, (3, 4))]),
    "abs": (K.abs, torch.abs, [away(3, 4)]),
    "arctan2": (K.arctan2, torch.arctan2, [away(3, 4), away(3, 4)]),
    "hypot": (K.hypot, torch.hypot, [rnd(3, 4), rnd(3, 4)]),
    "logaddexp": (K.logaddexp, torch.logaddexp, [rnd(3, 4), rnd(3, 4)]),
    "logaddexp2": (K.logaddexp2, torch.logaddexp2, [rnd(3, 4), rnd(3, 4)]),
    "cbrt": (K.cbrt, lambda a: torch.sign(a) * a.abs() ** (1 / 3), [away(3, 4)]),
    "sinc": (K.sinc, torch.sinc, [away(3, 4)]),
    "deg2rad": (K.deg2rad, torch.deg2rad, [rnd(3, 4)]),
    "rad2deg": (K.rad2deg, torch.rad2deg, [rnd(3, 4)]),
    "ldexp": (K.ldexp, lambda a, b: a * torch.exp2(b), [rnd(3, 4), rnd(3, 4)]),
    "maximum": (K.maximum, torch.maximum, [distinct(3, 4), distinct(3, 4) + 0.05]),
    "minimum": (K.minimum, torch.minimum, [distinct(3, 4), distinct(3, 4) + 0.05]),
    "fmax": (K.fmax, torch.fmax, [distinct(3, 4), distinct(3, 4) + 0.05]),
    "fmin": (K.fmin, torch.fmin, [distinct(3, 4), distinct(3, 4) + 0.05]),
    "mod": (K.mod, torch.remainder, [pos(3, 4) * 3, pos(3, 4)]),
    "fmod": (K.fmod, torch.fmod, [away(3, 4) * 3, pos(3, 4)]),
    "clip_tensor_bounds": (lambda x, lo: K.clip(x, lo, 1.0),
                           lambda x, lo: torch.clamp(x, lo, torch.tensor(1.0, dtype=x.dtype)),
                           [distinct(3, 4), distinct(3, 4) * 0.1]),
    "nan_to_num": (K.nan_to_num, torch.nan_to_num, [rnd(3, 4)]),
    "real": (K.real, lambda a: a * 1, [rnd(3)]),
    "copy": (K.copy, torch.clone, [rnd(3, 4)]),
    # products
    "matmul": (K.matmul, torch.matmul, [rnd(2, 3, 4), rnd(4, 2)]),
    "dot": (K.dot, lambda a, b: torch.tensordot(a, b, ([-1], [-2])), [rnd(3, 4), rnd(2, 4, 5)]),
    "vdot": (K.vdot, lambda a, b: (a * b).sum(), [rnd(3, 4), rnd(3, 4)]),
    "inner": (K.inner, torch.inner, [rnd(3, 4), rnd(2, 4)]),
    "outer": (K.outer, torch.outer, [rnd(3), rnd(4)]),
    "tensordot": (lambda a, b: K.tensordot(a, b, axes=([0, 2], [1, 0])),
                  lambda a, b: torch.tensordot(a, b, ([0, 2], [1, 0])),
                  [rnd(2, 3, 4), rnd(4, 2, 5)]),
    "kron": (K.kron, torch.kron, [rnd(2, 3), rnd(3, 2)]),
    "cross": (K.cross, lambda a, b: torch.linalg.cross(a, b), [rnd(4, 3), rnd(4, 3)]),
    "einsum_matmul": (lambda a, b: K.einsum("ij,jk->ik", a, b),
                      lambda a, b: torch.einsum("ij,jk->ik", a, b), [rnd(3, 4), rnd(4, 2)]),
    "einsum_batch_heads": (lambda a, b: K.einsum("btnh,bsnh->bnts", a, b),
                           lambda a, b: torch.einsum("btnh,bsnh->bnts", a, b),
                           [rnd(2, 3, 2, 4), rnd(2, 5, 2, 4)]),
    "einsum_trace_sum": (lambda a, b: K.einsum("ii,jk->k", a, b),
                         lambda a, b: torch.einsum("ii,jk->k", a, b), [rnd(3, 3), rnd(2, 4)]),
    "einsum_three": (lambda a, b, c: K.einsum("ij,jk,kl->li", a, b, c),
                     lambda a, b, c: torch.einsum("ij,jk,kl->li", a, b, c),
                     [rnd(2, 3), rnd(3, 4), rnd(4, 2)]),
    "trace": (K.trace, torch.trace, [rnd(4, 4)]),
    # reductions
    "sum": (lambda a: K.sum(a, axis=(0, 2), keepdims=True),
            lambda a: a.sum((0, 2), keepdim=True), [rnd(2, 3, 4)]),
    "mean": (lambda a: K.mean(a, axis=1), lambda a: a.mean(1), [rnd(3, 4)]),
    "max_initial": (lambda a: K.max(a, axis=1, initial=0.0),
                    lambda a: torch.clamp(a.amax(1), min=0.0), [distinct(3, 4)]),
    "min": (lambda a: K.min(a, axis=0), lambda a: a.amin(0), [distinct(3, 4)]),
    "amax": (lambda a: K.amax(a, axis=-1), lambda a: a.amax(-1), [distinct(3, 4)]),
    "amin": (lambda a: K.amin(a, axis=-1), lambda a: a.amin(-1), [distinct(3, 4)]),
    "ptp": (lambda a: K.ptp(a, axis=1), lambda a: a.amax(1) - a.amin(1), [distinct(3, 4)]),
    "var": (lambda a: K.var(a, axis=1), lambda a: a.var(1, unbiased=False), [rnd(3, 4)]),
    "std": (lambda a: K.std(a, axis=0, keepdims=True),
            lambda a: a.std(0, unbiased=False, keepdim=True), [rnd(3, 4)]),
    "prod": (lambda a: K.prod(a, axis=1), lambda a: a.prod(1), [away(3, 4)]),
    "prod_all": (K.prod, torch.prod, [away(2, 3)]),
    "average": (lambda a, w: K.average(a, axis=1, weights=w),
                lambda a, w: (a * w).sum(1) / w.sum(), [rnd(3, 4), pos(4)]),
    "cumsum": (lambda a: K.cumsum(a, axis=0), lambda a: a.cumsum(0), [rnd(3, 4)]),
    "cumsum_flat": (K.cumsum, lambda a: a.flatten().cumsum(0), [rnd(3, 4)]),
    "cumprod": (lambda a: K.cumprod(a, axis=1), lambda a: a.cumprod(1), [away(3, 4)]),
    "sort": (lambda a: K.sort(a, axis=0), lambda a: torch.sort(a, 0).values, [distinct(3, 4)]),
    "quantile": (lambda a: K.quantile(a, 0.3, axis=1),
                 lambda a: torch.quantile(a, 0.3, dim=1), [distinct(3, 5)]),
    "percentile_many": (lambda a: K.percentile(a, [10, 75]),
                        lambda a: torch.quantile(a.flatten(), torch.tensor([0.1, 0.75],
                                                 dtype=a.dtype)), [distinct(3, 4)]),
    "median": (lambda a: K.median(a, axis=0), lambda a: torch.quantile(a, 0.5, dim=0),
               [distinct(4, 3)]),
    "logsumexp": (lambda a: K.logsumexp(a, axis=1), lambda a: torch.logsumexp(a, 1), [rnd(3, 4)]),
    "nansum": (K.nansum, torch.nansum, [rnd(3, 4)]),
    "nanmean": (lambda a: K.nanmean(a, axis=0), lambda a: torch.nanmean(a, 0), [rnd(3, 4)]),
    "nanmax": (K.nanmax, torch.amax, [distinct(3, 4)]),
    "nanmin": (K.nanmin, torch.amin, [distinct(3, 4)]),
    "nanprod": (K.nanprod, torch.prod, [away(2, 3)]),
    "nanvar": (K.nanvar, lambda a: a.var(unbiased=False), [rnd(3, 4)]),
    "nanstd": (K.nanstd, lambda a: a.std(unbiased=False), [rnd(3, 4)]),
    "nancumsum": (lambda a: K.nancumsum(a, 1), lambda a: a.cumsum(1), [rnd(3, 4)]),
    "nancumprod": (lambda a: K.nancumprod(a, 1), lambda a: a.cumprod(1), [away(3, 4)]),
    # shape
    "reshape": (lambda a: K.reshape(a, (2, -1)), lambda a: a.reshape(2, -1), [rnd(3, 4)]),
    "ravel": (K.ravel, torch.ravel, [rnd(3, 4)]),
    "transpose": (lambda a: K.transpose(a, (1, 2, 0)), lambda a: a.permute(1, 2, 0),
                  [rnd(2, 3, 4)]),
    "expand_dims": (lambda a: K.expand_dims(a, (0, -1)), lambda a: a[None, ..., None],
                    [rnd(3, 4)]),
    "squeeze": (lambda a: K.squeeze(a, 1), lambda a: a.squeeze(1), [rnd(3, 1, 4)]),
    "moveaxis": (lambda a: K.moveaxis(a, 0, -1), lambda a: torch.movedim(a, 0, -1),
                 [rnd(2, 3, 4)]),
    "swapaxes": (lambda a: K.swapaxes(a, 0, 2), lambda a: a.swapaxes(0, 2), [rnd(2, 3, 4)]),
    "broadcast_to": (lambda a: K.broadcast_to(a, (2, 3, 4)), lambda a: a.expand(2, 3, 4),
                     [rnd(3, 1)]),
    "concatenate": (lambda a, b: K.concatenate([a, b], axis=1),
                    lambda a, b: torch.cat([a, b], 1), [rnd(2, 3), rnd(2, 2)]),
    "append": (K.append, lambda a, b: torch.cat([a.flatten(), b.flatten()]),
               [rnd(2, 3), rnd(4)]),
    "stack": (lambda a, b: K.stack([a, b], axis=-1), lambda a, b: torch.stack([a, b], -1),
              [rnd(2, 3), rnd(2, 3)]),
    "hstack": (lambda a, b: K.hstack([a, b]), lambda a, b: torch.hstack([a, b]),
               [rnd(2, 3), rnd(2, 1)]),
    "vstack": (lambda a, b: K.vstack([a, b]), lambda a, b: torch.vstack([a, b]),
               [rnd(3), rnd(2, 3)]),
    "dstack": (lambda a, b: K.dstack([a, b]), lambda a, b: torch.dstack([a, b]),
               [rnd(2, 3), rnd(2, 3)]),
    "column_stack": (lambda a, b: K.column_stack([a, b]),
                     lambda a, b: torch.column_stack([a, b]), [rnd(3), rnd(3, 2)]),
    "split": (lambda a: K.split(a, [1, 3], axis=1)[1], lambda a: a[:, 1:3], [rnd(2, 5)]),
    "array_split": (lambda a: K.array_split(a, 3, axis=1)[0],
                    lambda a: torch.tensor_split(a, 3, 1)[0], [rnd(2, 5)]),
    "tile": (lambda a: K.tile(a, (2, 1, 3)), lambda a: a.tile(2, 1, 3), [rnd(3, 2)]),
    "repeat": (lambda a: K.repeat(a, 2, axis=0), lambda a: a.repeat_interleave(2, 0),
               [rnd(3, 2)]),
    "repeat_flat": (lambda a: K.repeat(a, 3), lambda a: a.flatten().repeat_interleave(3),
                    [rnd(2, 2)]),
    "take": (lambda a: K.take(a, IDX, axis=1), lambda a: a[:, IDX], [rnd(2, 4)]),
    "take_flat_negative": (lambda a: K.take(a, np.array([-1, 0])),
                           lambda a: a.flatten()[[-1, 0]], [rnd(2, 4)]),
    "take_along_axis": (lambda a: K.take_along_axis(a, np.array([[0, 2], [1, 1]]), axis=1),
                        lambda a: torch.take_along_dim(a, torch.tensor([[0, 2], [1, 1]]), 1),
                        [rnd(2, 3)]),
    "get_item": (lambda a: K.get_item(a, (slice(None), IDX)), lambda a: a[:, IDX], [rnd(2, 4)]),
    "flip": (lambda a: K.flip(a, axis=1), lambda a: a.flip(1), [rnd(3, 4)]),
    "fliplr": (K.fliplr, torch.fliplr, [rnd(3, 4)]),
    "flipud": (K.flipud, torch.flipud, [rnd(3, 4)]),
    "rot90": (lambda a: K.rot90(a, 3), lambda a: torch.rot90(a, 3), [rnd(3, 4)]),
    "roll": (lambda a: K.roll(a, 2, axis=1), lambda a: torch.roll(a, 2, 1), [rnd(3, 4)]),
    "pad_constant": (lambda a: K.pad(a, ((1, 0), (2, 1)), constant_values=2.0),
                     lambda a: F.pad(a, (2, 1, 1, 0), value=2.0), [rnd(3, 4)]),
    "pad_reflect": (lambda a: K.pad(a, ((1, 2), (2, 1)), mode="reflect"),
                    lambda a: F.pad(a[None], (2, 1, 1, 2), mode="reflect")[0], [rnd(3, 4)]),
    "pad_edge": (lambda a: K.pad(a, ((0, 0), (2, 1)), mode="edge"),
                 lambda a: F.pad(a[None], (2, 1), mode="replicate")[0], [rnd(3, 4)]),
    "pad_wrap": (lambda a: K.pad(a, ((0, 0), (2, 1)), mode="wrap"),
                 lambda a: F.pad(a[None], (2, 1), mode="circular")[0], [rnd(3, 4)]),
    "diagonal": (lambda a: K.diagonal(a, 1, 1, 2), lambda a: torch.diagonal(a, 1, 1, 2),
                 [rnd(2, 3, 4)]),
    "diag_build": (lambda a: K.diag(a, -1), lambda a: torch.diag(a, -1), [rnd(3)]),
    "diag_take": (lambda a: K.diag(a, 1), lambda a: torch.diag(a, 1), [rnd(3, 4)]),
    "diagflat": (K.diagflat, torch.diagflat, [rnd(2, 2)]),
    "tril": (lambda a: K.tril(a, -1), lambda a: torch.tril(a, -1), [rnd(3, 4)]),
    "triu": (lambda a: K.triu(a, 1), lambda a: torch.triu(a, 1), [rnd(3, 4)]),
    "diff": (lambda a: K.diff(a, 2, axis=1), lambda a: torch.diff(a, 2, 1), [rnd(3, 5)]),
    "trapezoid": (K.trapezoid, torch.trapezoid, [rnd(3, 5)]),
    "vander": (lambda a: K.vander(a, 3), lambda a: a[:, None] ** torch.arange(2, -1, -1), [rnd(4)]),
    "meshgrid": (lambda a, b: K.meshgrid(a, b)[0] * K.meshgrid(a, b)[1],
                 lambda a, b: torch.meshgrid(a, b, indexing="xy")[0]
                 * torch.meshgrid(a, b, indexing="xy")[1], [rnd(3), rnd(4)]),
    "where": (lambda a, b: K.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b),
              [away(3, 4), rnd(3, 4)]),
    "select": (lambda a, b: K.select([a > 0.5, a < -0.5], [a, b], 3.0),
               lambda a, b: torch.where(a > 0.5, a, torch.where(a < -0.5, b, 3.0)),
               [away(3, 4), rnd(3, 4)]),
    "correlate": (lambda a, b: K.correlate(a, b, mode="full"),
                  lambda a, b: F.conv1d(a[None, None], b[None, None],
                                        padding=2)[0, 0], [rnd(6), rnd(3)]),
    "corrcoef": (K.corrcoef, torch.corrcoef, [rnd(3, 5)]),
    "bincount_weights": (lambda w: K.bincount(np.array([0, 3, 3, 1]), weights=w),
                         lambda w: torch.zeros(4, dtype=w.dtype).index_add(
                             0, torch.tensor([0, 3, 3, 1]), w), [rnd(4)]),
    # nn
    "log_sigmoid": (K.log_sigmoid, F.logsigmoid, [rnd(3, 4) * 4]),
    "celu": (lambda a: K.celu(a, 0.7), lambda a: F.celu(a, 0.7), [away(3, 4)]),
    "glu": (K.glu, F.glu, [rnd(3, 4)]),
    "tanh_shrink": (K.tanh_shrink, F.tanhshrink, [rnd(3, 4)]),
    "hard_tanh": (K.hard_tanh, F.hardtanh, [away(3, 4) * 0.5 + 0.05]),
    "hard_shrink": (K.hard_shrink, F.hardshrink, [away(3, 4)]),
    "soft_shrink": (K.soft_shrink, F.softshrink, [away(3, 4)]),
    "threshold": (lambda a: K.threshold(a, 0.1, -2.0), lambda a: F.threshold(a, 0.1, -2.0),
                  [away(3, 4)]),
    "squareplus": (K.squareplus, lambda a: (a + torch.sqrt(a * a + 4)) / 2, [rnd(3, 4)]),
    "sparse_plus": (K.sparse_plus,
                    lambda a: torch.where(a <= -1, 0 * a, torch.where(a >= 1, a, (a + 1) ** 2 / 4)),
                    [rnd(3, 4) * 2]),
    "sparse_sigmoid": (K.sparse_sigmoid, lambda a: torch.clamp((a + 1) / 2, 0, 1),
                       [away(3, 4) * 0.5]),
    "sparsemax": (K.sparsemax, None, [distinct(2, 5) * 0.5]),
    "gelu": (K.gelu, lambda a: F.gelu(a, approximate="tanh"), [rnd(3, 4)]),
    "hard_silu": (K.hard_silu, F.hardswish, [away(3, 4) * 2]),
    "binary_crossentropy": (lambda t, p: K.binary_crossentropy(t, p),
                            lambda t, p: F.binary_cross_entropy(p, t, reduction="none"),
                            [R.uniform(0, 1, (3, 4)), R.uniform(0.1, 0.9, (3, 4))]),
    "binary_crossentropy_logits": (
        lambda t, z: K.binary_crossentropy(t, z, from_logits=True),
        lambda t, z: F.binary_cross_entropy_with_logits(z, t, reduction="none"),
        [R.uniform(0, 1, (3, 4)), rnd(3, 4)]),
    "categorical_crossentropy": (
        lambda t, p: K.categorical_crossentropy(t, p),
        lambda t, p: -(t * torch.log(p / p.sum(-1, keepdim=True))).sum(-1),
        [R.dirichlet(np.ones(4), 3), R.dirichlet(np.ones(4), 3)]),
    "categorical_crossentropy_logits_axis0": (
        lambda t, z: K.categorical_crossentropy(t, z, from_logits=True, axis=0),
        lambda t, z: -(t * torch.log_softmax(z, 0)).sum(0),
        [R.dirichlet(np.ones(3), 4).T, rnd(3, 4)]),
    "sparse_categorical_crossentropy": (
        lambda z: K.sparse_categorical_crossentropy(np.array([0, 3, 1]), z, from_logits=True),
        lambda z: F.cross_entropy(z, torch.tensor([0, 3, 1]), reduction="none"), [rnd(3, 4)]),
    "moments_variance": (lambda a: K.moments(a, axes=[0])[1],
                         lambda a: a.var(0, unbiased=False), [rnd(4, 3)]),
    "batch_normalization": (
        lambda x, m, v, b, s: K.batch_normalization(x, m, v, axis=-1, offset=b, scale=s),
        lambda x, m, v, b, s: (x - m) / torch.sqrt(v + 1e-3) * s + b,
        [rnd(4, 3), rnd(3), pos(3), rnd(3), rnd(3)]),
    "layer_normalization": (lambda x, g, b: K.layer_normalization(x, g, b, epsilon=1e-5),
                            lambda x, g, b: F.layer_norm(x, (4,), g, b, eps=1e-5),
                            [rnd(3, 4), rnd(4), rnd(4)]),
    "rms_normalization": (lambda x, s: K.rms_normalization(x, s, epsilon=1e-6),
                          lambda x, s: F.rms_norm(x, (4,), s, eps=1e-6), [rnd(3, 4), rnd(4)]),
    "normalize": (K.normalize, lambda a: F.normalize(a, dim=-1, eps=1e-7), [rnd(3, 4)]),
    "psnr": (lambda a, b: K.psnr(a, b, 1.0),
             lambda a, b: 20 * np.log10(1.0) - 10 * torch.log10(((a - b) ** 2).mean()),
             [R.uniform(0, 1, (4, 4)), R.uniform(0, 1, (4, 4))]),
    "dot_product_attention": (
        lambda q, k, v: K.dot_product_attention(q, k, v, is_causal=True),
        lambda q, k, v: F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True
        ).transpose(1, 2), [rnd(2, 3, 2, 4), rnd(2, 3, 2, 4), rnd(2, 3, 2, 4)]),
    "conv_2d_same_strided": (
        lambda x, w: K.conv(x, w, strides=2, padding="same"),
        lambda x, w: F.conv2d(F.pad(x.permute(0, 3, 1, 2), (1, 1, 1, 1)), w.permute(3, 2, 0, 1),
                              stride=2).permute(0, 2, 3, 1), [rnd(1, 5, 5, 2), rnd(3, 3, 2, 3)]),
    "conv_1d_dilated": (
        lambda x, w: K.conv(x, w, dilation_rate=2),
        lambda x, w: F.conv1d(x.permute(0, 2, 1), w.permute(2, 1, 0), dilation=2).permute(0, 2, 1),
        [rnd(2, 7, 2), rnd(3, 2, 3)]),
    "conv_channels_first": (
        lambda x, w: K.conv(x, w, data_format="channels_first"),
        lambda x, w: F.conv2d(x, w.permute(3, 2, 0, 1)), [rnd(1, 2, 4, 4), rnd(2, 2, 2, 3)]),
    "depthwise_conv": (
        lambda x, w: K.depthwise_conv(x, w),
        lambda x, w: F.conv2d(x.permute(0, 3, 1, 2), w.reshape(2, 2, 1, 4).permute(3, 2, 0, 1),
                              groups=2).permute(0, 2, 3, 1), [rnd(1, 4, 4, 2), rnd(2, 2, 2, 2)]),
    "separable_conv": (
        lambda x, d, p: K.separable_conv(x, d, p),
        lambda x, d, p: F.conv2d(F.conv2d(x.permute(0, 3, 1, 2), d.permute(2, 3, 0, 1),
                                          groups=2), p.permute(3, 2, 0, 1)).permute(0, 2, 3, 1),
        [rnd(1, 4, 4, 2), rnd(2, 2, 2, 1), rnd(1, 1, 2, 3)]),
    "conv_transpose": (
        lambda x, w: K.conv_transpose(x, w, strides=2),
        lambda x, w: F.conv_transpose2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1),
                                        stride=2).permute(0, 2, 3, 1),
        [rnd(1, 3, 3, 2), rnd(2, 2, 3, 2)]),
    "max_pool": (lambda x: K.max_pool(x, 2),
                 lambda x: F.max_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1),
                 [distinct(1, 4, 4, 2)]),
    "average_pool_1d": (lambda x: K.average_pool(x, 2, strides=1),
                        lambda x: F.avg_pool1d(x.permute(0, 2, 1), 2, 1).permute(0, 2, 1),
                        [rnd(2, 5, 3)]),
    "adaptive_average_pool": (
        lambda x: K.adaptive_average_pool(x, 2),
        lambda x: F.adaptive_avg_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1),
        [rnd(1, 5, 5, 2)]),
    "adaptive_max_pool": (
        lambda x: K.adaptive_max_pool(x, (2, 3)),
        lambda x: F.adaptive_max_pool2d(x.permute(0, 3, 1, 2), (2, 3)).permute(0, 2, 3, 1),
        [distinct(1, 4, 5, 1)]),
    "depth_to_space": (lambda x: K.depth_to_space(x, 2, data_format="channels_first"),
                       lambda x: F.pixel_shuffle(x, 2), [rnd(1, 8, 2, 2)]),
    "space_to_depth": (lambda x: K.space_to_depth(x, 2, data_format="channels_first"),
                       lambda x: F.pixel_unshuffle(x, 2), [rnd(1, 2, 4, 4)]),
    "unfold": (lambda x: K.unfold(x, 2, padding=1, stride=2),
               lambda x: F.unfold(x, 2, padding=1, stride=2), [rnd(1, 2, 4, 4)]),
    "fold": (lambda x: K.fold(x, (4, 4), 2, stride=1),
             lambda x: F.fold(x, (4, 4), 2, stride=1), [rnd(1, 8, 9)]),
    # math
    "rsqrt": (K.rsqrt, torch.rsqrt, [pos(3, 4)]),
    "erf": (K.erf, torch.erf, [rnd(3, 4)]),
    "erfc": (K.erfc, torch.erfc, [rnd(3, 4)]),
    "top_k": (lambda a: K.top_k(a, 2)[0], lambda a: torch.topk(a, 2).values, [distinct(3, 4)]),
    "segment_sum": (lambda a: K.segment_sum(a, SEG),
                    lambda a: torch.zeros(3, 2, dtype=a.dtype).index_add(0, torch.tensor(SEG), a),
                    [rnd(4, 2)]),
    "segment_max": (lambda a: K.segment_max(a, SEG),
                    lambda a: torch.stack([a[:2].amax(0), a[2], a[3]]), [distinct(4, 2)]),
    "segment_min": (lambda a: K.segment_min(a, SEG),
                    lambda a: torch.stack([a[:2].amin(0), a[2], a[3]]), [distinct(4, 2)]),
    "segment_prod": (lambda a: K.segment_prod(a, SEG),
                     lambda a: torch.stack([a[:2].prod(0), a[2], a[3]]), [away(4, 2)]),
    "extract_sequences": (lambda a: K.extract_sequences(a, 3, 2),
                          lambda a: a.unfold(-1, 3, 2), [rnd(2, 8)]),
    "cdist": (K.cdist, torch.cdist, [rnd(3, 2), rnd(4, 2)]),
    "logdet": (K.logdet, torch.logdet, [spd(3)]),
    # linalg
    "inv": (K.inv, torch.linalg.inv, [spd(3)]),
    "solve": (K.solve, torch.linalg.solve, [spd(3), rnd(3, 2)]),
    "solve_triangular": (lambda a, b: K.solve_triangular(a, b, lower=True),
                         lambda a, b: torch.linalg.solve_triangular(a.tril(), b, upper=False),
                         [spd(3), rnd(3, 2)]),
    "det": (K.det, torch.linalg.det, [rnd(3, 3) + 2 * np.eye(3)]),
    "slogdet": (lambda a: K.slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1],
                [rnd(2, 3, 3) + 2 * np.eye(3)]),
    "matrix_power": (lambda a: K.matrix_power(a, 3), lambda a: torch.linalg.matrix_power(a, 3),
                     [rnd(3, 3)]),
    "matrix_power_negative": (lambda a: K.matrix_power(a, -2),
                              lambda a: torch.linalg.matrix_power(a, -2), [spd(3)]),
    "cholesky_inverse": (K.cholesky_inverse, torch.cholesky_inverse,
                         [np.tril(rnd(3, 3)) + 3 * np.eye(3)]),
    "norm_vector": (lambda a: K.norm(a, axis=1), lambda a: torch.linalg.vector_norm(a, dim=1),
                    [rnd(3, 4)]),
    "norm_p3": (lambda a: K.norm(a, 3, axis=0), lambda a: torch.linalg.vector_norm(a, 3, dim=0),
                [away(3, 4)]),
    "norm_fro": (K.norm, torch.linalg.norm, [rnd(3, 4)]),
    "norm_matrix_1": (lambda a: K.norm(a, 1), lambda a: torch.linalg.matrix_norm(a, 1),
                      [distinct(3, 4)]),
    "norm_matrix_inf": (lambda a: K.norm(a, np.inf, keepdims=True),
                        lambda a: torch.linalg.matrix_norm(a, float("inf"), keepdim=True),
                        [distinct(3, 4)]),
    # core
    "slice": (lambda a: K.slice(a, (1, 0), (2, 3)), lambda a: a[1:3, 0:3], [rnd(3, 4)]),
    "slice_update": (lambda a, u: K.slice_update(a, (1, 1), u),
                     lambda a, u: torch.cat([a[:1], torch.cat([a[1:, :1], u, a[1:, 3:]], 1)]),
                     [rnd(3, 4), rnd(2, 2)]),
    "scatter": (lambda v: K.scatter(np.array([[0, 1], [2, 3], [0, 1]]), v, (3, 4)),
                lambda v: torch.zeros(12, dtype=v.dtype).index_add(
                    0, torch.tensor([1, 11, 1]), v).reshape(3, 4), [rnd(3)]),
    "scatter_update": (lambda a, u: K.scatter_update(a, np.array([[0, 1], [2, 2]]), u),
                       lambda a, u: a.index_put((torch.tensor([0, 2]), torch.tensor([1, 2])), u),
                       [rnd(3, 4), rnd(2)]),
    "unstack": (lambda a: K.unstack(a, axis=1)[2], lambda a: a.unbind(1)[2], [rnd(3, 4)]),
    "scan": (lambda a, c: K.scan(lambda carry, x: (carry * x, carry + x), c, a)[1],
             lambda a, c: torch.stack([c + a[0], c * a[0] + a[1], c * a[0] * a[1] + a[2]]),
             [rnd(3, 2), rnd(2)]),
    "fori_loop": (lambda a: K.fori_loop(0, 3, lambda i, v: v * a + i, a),
                  lambda a: ((a * a) * a + 1) * a + 2, [rnd(3)]),
    "map": (lambda a: K.map(lambda row: K.sum(row * row), a), lambda a: (a * a).sum(1),
            [rnd(3, 4)]),
    "cond": (lambda a: K.cond(True, lambda: a * 2, lambda: a), lambda a: a * 2, [rnd(3)]),
    "stop_gradient": (lambda a: K.stop_gradient(a) * a, lambda a: a.detach() * a, [rnd(3)]),
    "custom_gradient": (lambda a: _clip_gradient(a), lambda a: a * 1, [rnd(3)]),
}


@K.custom_gradient
def _clip_gradient(x):
    def grad(upstream):
        return K.clip(upstream, -0.5, 0.5)
    return x * 1.0, grad


# a custom gradient differs from the true one by design: checked by its own test below
NO_TORCH_GRAD = {"custom_gradient"}
NOT_NUMERICAL = NO_TORCH_GRAD | {"stop_gradient"}  # gradients that differ from d(values)


@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_NUMERICAL))
def test_gradcheck(name):
    fn, _, inputs = CASES[name]
    assert gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][1] is not None))
def test_matches_pytorch(name, matches_pytorch):
    fn, torch_fn, inputs = CASES[name]
    matches_pytorch(fn, torch_fn, inputs, rtol=1e-7, atol=1e-9, grad_rtol=1e-6, grad_atol=1e-8,
                    grads=name not in NO_TORCH_GRAD)


def test_custom_gradient_uses_the_given_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, dtype="float64")
    _clip_gradient(x).backward(np.array([2.0, -0.1, -3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [0.5, -0.1, -0.5])
