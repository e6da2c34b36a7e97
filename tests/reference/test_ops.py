"""The fused conv, pooling, linear and softmax/cross-entropy ops against their plain twins in
lamina.reference: equal outputs and equal gradients (random upstream), float64."""
import numpy as np
import pytest

from lamina import ops
from lamina.autograd import Tensor
from lamina.reference import conv, nn, pooling


def outputs_and_gradients(fn, arrays, seed=3):
    """``fn(*tensors)`` and the gradients of sum(random * output) w.r.t. every float input."""
    ts = [Tensor(a, requires_grad=True, dtype=np.float64) if a.dtype.kind == "f" else a
          for a in arrays]
    y = fn(*ts)
    ops.sum(y * np.random.default_rng(seed).standard_normal(y.shape)).backward()
    return [y.numpy()] + [t.grad.numpy() for t in ts if isinstance(t, Tensor)]


def assert_twins_agree(fast, plain, *arrays):
    for a, b in zip(outputs_and_gradients(fast, arrays), outputs_and_gradients(plain, arrays)):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


R = np.random.default_rng(0)
CONV_CASES = [  # (H, W, C, F, kernel, strides, dilation, pads, bias, relu)
    (6, 5, 2, 3, (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)), True, False),
    (7, 7, 3, 2, (3, 2), (2, 2), (1, 1), ((1, 1), (0, 1)), True, True),
    (8, 6, 2, 4, (2, 3), (1, 2), (2, 1), ((1, 2), (2, 0)), False, False),
    (5, 5, 1, 1, (1, 1), (2, 1), (1, 1), ((0, 0), (0, 0)), True, False),
]


@pytest.mark.parametrize("H, W, C, F, kernel, strides, dilation, pads, bias, relu", CONV_CASES)
def test_conv2d_equals_a_sum_over_kernel_taps(H, W, C, F, kernel, strides, dilation, pads, bias,
                                              relu):
    arrays = [R.standard_normal((2, H, W, C)), R.standard_normal(kernel + (C, F))]
    arrays += [R.standard_normal(F)] if bias else []
    options = dict(strides=strides, pads=pads, dilation=dilation, relu=relu)
    assert_twins_agree(lambda *t: ops.conv2d(*t, **options),
                       lambda *t: conv.conv2d(*t, **options), *arrays)


@pytest.mark.parametrize("H, W, C, F, kernel, strides, dilation, pads, bias, relu", CONV_CASES)
def test_depthwise_conv2d_equals_a_sum_over_kernel_taps(H, W, C, F, kernel, strides, dilation,
                                                        pads, bias, relu):
    arrays = [R.standard_normal((2, H, W, C)), R.standard_normal(kernel + (C, 2))]
    arrays += [R.standard_normal(C * 2)] if bias else []
    options = dict(strides=strides, pads=pads, dilation=dilation)
    assert_twins_agree(lambda *t: ops.depthwise_conv2d(*t, **options),
                       lambda *t: conv.depthwise_conv2d(*t, **options), *arrays)


@pytest.mark.parametrize("out_hw, kernel, strides, dilation, pads, bias", [
    ((6, 5), (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)), True),
    ((8, 7), (3, 2), (2, 2), (1, 1), ((1, 1), (0, 1)), True),
    ((9, 8), (2, 3), (3, 2), (2, 1), ((1, 2), (2, 0)), False),
])
def test_conv2d_transpose_equals_spreading_each_input_pixel(out_hw, kernel, strides, dilation,
                                                            pads, bias):
    h, w = ((n + a + b - d * (k - 1) - 1) // s + 1 for n, (a, b), d, k, s in
            zip(out_hw, pads, dilation, kernel, strides))
    arrays = [R.standard_normal((2, h, w, 3)), R.standard_normal(kernel + (4, 3))]
    arrays += [R.standard_normal(4)] if bias else []
    options = dict(strides=strides, pads=pads, dilation=dilation)
    assert_twins_agree(lambda x, W, *b: ops.conv2d_transpose(x, W, out_hw, *b, **options),
                       lambda x, W, *b: conv.conv2d_transpose(x, W, out_hw, *b, **options),
                       *arrays)


POOL_CASES = [  # (H, W, pool, strides, pads)
    (6, 6, (2, 2), (2, 2), ((0, 0), (0, 0))),
    (7, 5, (3, 3), (2, 2), ((1, 1), (1, 1))),
    (5, 7, (2, 3), (1, 2), ((0, 1), (1, 1))),
    (5, 5, (3, 3), (1, 1), ((1, 1), (1, 1))),
]


@pytest.mark.parametrize("H, W, pool, strides, pads", POOL_CASES)
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pooling_equals_a_loop_over_output_pixels(name, H, W, pool, strides, pads):
    x = R.standard_normal((2, H, W, 3))   # distinct values: no ties in any window
    assert_twins_agree(lambda t: getattr(ops, name)(t, pool, strides, pads),
                       lambda t: getattr(pooling, name)(t, pool, strides, pads), x)


@pytest.mark.parametrize("bias, relu, x_shape", [
    (True, False, (5, 4)), (True, True, (5, 4)), (False, False, (2, 3, 4)),
    (True, True, (2, 3, 4))])
def test_linear_equals_matmul_plus_bias(bias, relu, x_shape):
    arrays = [R.standard_normal(x_shape), R.standard_normal((4, 3))]
    arrays += [R.standard_normal(3)] if bias else []
    assert_twins_agree(lambda *t: ops.linear(*t, relu=relu),
                       lambda *t: nn.linear(*t, relu=relu), *arrays)


@pytest.mark.parametrize("axis", [-1, 1, 0])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_equals_its_composition_of_primitives(name, axis):
    x = R.standard_normal((4, 5, 3)) * 3
    assert_twins_agree(lambda t: getattr(ops, name)(t, axis), lambda t: getattr(nn, name)(t, axis),
                       x)


def test_cross_entropies_equal_their_compositions_of_primitives():
    logits = R.standard_normal((6, 5)) * 4
    labels = R.integers(0, 5, 6)
    targets = R.dirichlet(np.ones(5), 6)
    assert_twins_agree(ops.sparse_softmax_cross_entropy, nn.sparse_softmax_cross_entropy,
                       logits, labels)
    assert_twins_agree(ops.softmax_cross_entropy, nn.softmax_cross_entropy, logits, targets)
    assert_twins_agree(ops.sigmoid_cross_entropy, nn.sigmoid_cross_entropy, logits,
                       R.uniform(0, 1, (6, 5)))
    labels_3d = R.integers(0, 5, (2, 3))
    assert_twins_agree(ops.sparse_softmax_cross_entropy, nn.sparse_softmax_cross_entropy,
                       R.standard_normal((2, 3, 5)), labels_3d)


def test_a_wrong_twin_is_caught():
    """The comparison can fail: a max pool that lets the padding count disagrees."""
    x = -np.abs(R.standard_normal((1, 4, 4, 2))) - 1   # all negative: a zero pad would win

    def padded_with_zeros(t):
        return pooling.max_pool2d(ops.pad(t, ((0, 0), (1, 1), (1, 1), (0, 0))), (3, 3), (1, 1))
    with pytest.raises(AssertionError):
        assert_twins_agree(lambda t: ops.max_pool2d(t, (3, 3), (1, 1), ((1, 1), (1, 1))),
                           padded_with_zeros, x)
