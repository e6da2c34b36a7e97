"""Every differentiable op: central differences in float64 with a random upstream
gradient, and the same lambda through PyTorch when it is installed."""
import numpy as np
import pytest

from lamina import ops
from lamina.autograd import Tensor, gradcheck

import torch

R = np.random.default_rng(0)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def rnd(*shape):
    return R.standard_normal(shape)


def away_from_zero(*shape):
    x = R.uniform(0.2, 2.0, shape)
    return x * R.choice([-1, 1], shape)


def distinct(*shape):
    return R.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) * 0.37


# name: (lamina fn, torch fn or None, inputs)
CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [rnd(3, 4), rnd(4)]),
    "sub_broadcast": (lambda a, b: a - b, lambda a, b: a - b, [rnd(2, 3, 4), rnd(3, 1)]),
    "mul_broadcast": (lambda a, b: a * b, lambda a, b: a * b, [rnd(3, 4), rnd(1, 4)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [rnd(3, 4), pos(3, 4)]),
    "rdiv_scalar": (lambda a: 2.0 / a, lambda a: 2.0 / a, [pos(5)]),
    "neg": (lambda a: -a, lambda a: -a, [rnd(3)]),
    "pow_scalar": (lambda a: a ** 3, lambda a: a ** 3, [rnd(4, 2)]),
    "pow_tensor": (lambda a, b: a ** b, lambda a, b: a ** b, [pos(3, 2), rnd(3, 2)]),
    "exp": (ops.exp, torch and torch.exp, [rnd(3, 4)]),
    "log": (ops.log, torch and torch.log, [pos(3, 4)]),
    "sqrt": (ops.sqrt, torch and torch.sqrt, [pos(3, 4)]),
    "abs": (ops.abs, torch and torch.abs, [away_from_zero(3, 4)]),
    "square": (ops.square, torch and torch.square, [rnd(3, 4)]),
    "tanh": (ops.tanh, torch and torch.tanh, [rnd(3, 4)]),
    "sigmoid": (ops.sigmoid, torch and torch.sigmoid, [rnd(3, 4)]),
    "erf": (ops.erf, torch and torch.erf, [rnd(3, 4)]),
    "maximum": (ops.maximum, torch and torch.maximum, [distinct(3, 4), distinct(3, 4) + 0.1]),
    "minimum": (ops.minimum, torch and torch.minimum, [distinct(3, 4), distinct(3, 4) + 0.1]),
    "where": (lambda a, b: ops.where(a.data > 0, a, b),
              lambda a, b: torch.where(a > 0, a, b), [rnd(3, 4), rnd(3, 4)]),
    "clip": (lambda a: ops.clip(a, -0.5, 0.5), lambda a: torch.clamp(a, -0.5, 0.5),
             [away_from_zero(4, 5) * 0.4 + 0.05]),
    "sum_all": (lambda a: a.sum(), lambda a: a.sum(), [rnd(3, 4)]),
    "sum_axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [rnd(3, 4, 2)]),
    "sum_keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True),
                     lambda a: a.sum(dim=(0, 2), keepdim=True), [rnd(3, 4, 2)]),
    "sum_all_keepdims": (lambda a: a.sum(keepdims=True), lambda a: a.sum(dim=(0, 1), keepdim=True),
                         [rnd(3, 4)]),
    "mean_all": (lambda a: a.mean(), lambda a: a.mean(), [rnd(3, 4)]),
    "mean_axis": (lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), [rnd(3, 4)]),
    "max_axis": (lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [distinct(3, 4)]),
    "min_keepdims": (lambda a: a.min(axis=0, keepdims=True),
                     lambda a: a.amin(dim=0, keepdim=True), [distinct(3, 4)]),
    "reshape": (lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [rnd(3, 4)]),
    "transpose": (lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [rnd(2, 3, 4)]),
    "T": (lambda a: a.T, lambda a: a.T, [rnd(2, 3)]),
    "getitem_slice": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], [rnd(3, 4)]),
    "getitem_fancy_repeat": (lambda a: a[np.array([0, 2, 0])], lambda a: a[[0, 2, 0]],
                             [rnd(3, 4)]),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1),
                    lambda a, b: torch.cat([a, b], dim=1), [rnd(2, 3), rnd(2, 2)]),
    "stack": (lambda a, b: ops.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
              [rnd(2, 3), rnd(2, 3)]),
    "broadcast_to": (lambda a: ops.broadcast_to(a, (2, 3, 4)),
                     lambda a: a.expand(2, 3, 4), [rnd(3, 1)]),
    "matmul": (ops.matmul, torch and torch.matmul, [rnd(3, 4), rnd(4, 2)]),
    "matmul_batched": (ops.matmul, torch and torch.matmul, [rnd(2, 3, 4), rnd(4, 5)]),
    "matmul_vector": (ops.matmul, torch and torch.matmul, [rnd(4), rnd(4, 3)]),
    "matmul_matvec": (ops.matmul, torch and torch.matmul, [rnd(3, 4), rnd(4)]),
    "linear": (ops.linear, lambda x, W, b: x @ W + b, [rnd(5, 4), rnd(4, 3), rnd(3)]),
    "linear_relu": (lambda x, W, b: ops.linear(x, W, b, relu=True),
                    lambda x, W, b: torch.relu(x @ W + b),
                    [away_from_zero(5, 4), rnd(4, 3), away_from_zero(3)]),
    "linear_3d": (ops.linear, lambda x, W, b: x @ W + b, [rnd(2, 5, 4), rnd(4, 3), rnd(3)]),
    "relu": (ops.relu, torch and torch.relu, [away_from_zero(3, 4)]),
    "leaky_relu": (lambda a: ops.leaky_relu(a, 0.3),
                   lambda a: torch.nn.functional.leaky_relu(a, 0.3), [away_from_zero(3, 4)]),
    "elu": (lambda a: ops.elu(a, 1.5), lambda a: torch.nn.functional.elu(a, 1.5),
            [away_from_zero(3, 4)]),
    "softplus": (ops.softplus, torch and torch.nn.functional.softplus, [rnd(3, 4) * 5]),
    "softmax_last": (ops.softmax, lambda a: torch.softmax(a, -1), [rnd(3, 5)]),
    "softmax_axis0": (lambda a: ops.softmax(a, axis=0), lambda a: torch.softmax(a, 0),
                      [rnd(3, 5)]),
    "log_softmax": (ops.log_softmax, lambda a: torch.log_softmax(a, -1), [rnd(3, 5)]),
    "softmax_cross_entropy": (
        ops.softmax_cross_entropy,
        lambda z, t: -(t * torch.log_softmax(z, -1)).sum(-1),
        [rnd(4, 5), np.abs(rnd(4, 5))]),
    "sigmoid_cross_entropy": (
        ops.sigmoid_cross_entropy,
        lambda z, t: torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="none"),
        [rnd(4, 3) * 3, R.uniform(0, 1, (4, 3))]),
}
CASES.update({
    name: (lambda a, _n=name: ops.unary(_n, a), torch and getattr(torch, torch_name), [inputs])
    for name, torch_name, inputs in [
        ("sin", "sin", rnd(3, 4)), ("cos", "cos", rnd(3, 4)), ("tan", "tan", rnd(3, 4) * 0.5),
        ("arcsin", "arcsin", R.uniform(-0.9, 0.9, (3, 4))),
        ("arccos", "arccos", R.uniform(-0.9, 0.9, (3, 4))), ("arctan", "arctan", rnd(3, 4)),
        ("sinh", "sinh", rnd(3, 4)), ("cosh", "cosh", rnd(3, 4)),
        ("arcsinh", "arcsinh", rnd(3, 4)), ("arccosh", "arccosh", pos(3, 4) + 1),
        ("arctanh", "arctanh", R.uniform(-0.9, 0.9, (3, 4))), ("log1p", "log1p", pos(3, 4)),
        ("expm1", "expm1", rnd(3, 4))]})
CASES.update({
    "cumsum": (lambda a: ops.cumsum(a, 1), lambda a: torch.cumsum(a, 1), [rnd(3, 4)]),
    "cumprod": (lambda a: ops.cumprod(a, 0), lambda a: torch.cumprod(a, 0), [away_from_zero(3, 4)]),
    "cast_float64": (lambda a: ops.cast(a, "float64"), lambda a: a.to(torch.float64), [rnd(3)]),
    "scatter": (lambda a: ops.scatter(a, (np.array([0, 2, 0]),), (4,)),
                lambda a: torch.zeros(4, dtype=a.dtype).index_add(0, torch.tensor([0, 2, 0]), a),
                [rnd(3)]),
    "inv": (ops.inv, torch and torch.linalg.inv, [rnd(3, 3) + 3 * np.eye(3)]),
    "logabsdet": (ops.logabsdet, lambda a: torch.linalg.slogdet(a)[1],
                  [rnd(2, 3, 3) + 3 * np.eye(3)]),
})


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, _, inputs = CASES[name]
    assert gradcheck(fn, *inputs)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name, matches_pytorch):
    fn, torch_fn, inputs = CASES[name]
    matches_pytorch(fn, torch_fn, inputs, rtol=1e-10, atol=1e-12, grad_rtol=1e-8,
                    grad_atol=1e-10)


def test_sparse_softmax_cross_entropy_matches_pytorch_and_gradcheck():
    logits = rnd(6, 5)
    labels = np.array([0, 4, 2, 2, 1, 3])
    assert gradcheck(lambda z: ops.sparse_softmax_cross_entropy(z, labels), logits)
    if torch is not None:
        z = Tensor(logits, requires_grad=True, dtype=np.float64)
        y = ops.sparse_softmax_cross_entropy(z, labels)
        pz = torch.tensor(logits, requires_grad=True)
        py = torch.nn.functional.cross_entropy(pz, torch.tensor(labels), reduction="none")
        np.testing.assert_allclose(y.numpy(), py.detach().numpy(), rtol=1e-10)


def test_sparse_cross_entropy_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"label value of 7.*\[0, 4\]"):
        ops.sparse_softmax_cross_entropy(Tensor(rnd(2, 5)), np.array([1, 7]))


def test_fused_losses_are_stable_for_huge_logits():
    z = Tensor(np.array([[1000.0, -1000.0, 0.0]]), requires_grad=True)
    loss = ops.sparse_softmax_cross_entropy(z, np.array([1])).sum()
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(z.grad.numpy()))
    b = ops.sigmoid_cross_entropy(Tensor(np.array([500.0, -500.0])), np.array([0.0, 1.0]))
    np.testing.assert_allclose(b.numpy(), [500.0, 500.0])


def test_dropout_scales_kept_values_and_gradients():
    x = Tensor(np.ones((200, 50), dtype=np.float32), requires_grad=True)
    y = ops.dropout(x, 0.2)
    kept = y.numpy() != 0
    np.testing.assert_allclose(y.numpy()[kept], 1.25, rtol=1e-6)
    assert 0.75 < kept.mean() < 0.85
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept * 1.25, rtol=1e-6)


def test_one_hot():
    out = ops.one_hot(np.array([0, 2, 5]), 3).numpy()
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert out.dtype == np.float32
