"""Convolution, pooling, padding, upsampling and normalization ops: gradchecks, PyTorch parity."""
import numpy as np
import pytest

from lamina import backend
from lamina.autograd import Tensor, gradcheck
from lamina.ops import conv, normalization, pooling

import torch
F = torch.nn.functional


def nchw(a):
    return torch.tensor(np.ascontiguousarray(a.transpose(0, 3, 1, 2)), requires_grad=True)


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def torch_pad(t, pads, value=0.0):
    (top, bottom), (left, right) = pads
    return F.pad(t, (left, right, top, bottom), value=value)


def run(fn, *arrays, seed=1):
    """Runs ``fn`` on float64 Tensors, backpropagates a random gradient; returns y, gy, grads."""
    ts = [Tensor(a, requires_grad=True, dtype="float64") for a in arrays]
    y = fn(*ts)
    gy = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(gy)
    return y.numpy(), gy, [t.grad.numpy() for t in ts]


# --- padding arithmetic -------------------------------------------------------------------

@pytest.mark.parametrize("size,k,s,d", [(5, 3, 1, 1), (28, 3, 2, 1), (7, 4, 3, 1), (10, 3, 1, 3),
                                        (6, 2, 2, 1), (5, 5, 1, 1), (1, 3, 1, 1)])
def test_same_padding_gives_ceil_output_with_the_odd_pixel_after(size, k, s, d):
    before, after = conv.conv_padding(size, k, s, d, "same")
    assert conv.conv_output_size(size, k, s, d, (before, after)) == -(-size // s)
    assert after - before in (0, 1)
    k_eff = (k - 1) * d + 1
    assert before + after == max((-(-size // s) - 1) * s + k_eff - size, 0)


def test_valid_and_causal_padding():
    assert conv.conv_padding(9, 3, 2, 1, "valid") == (0, 0)
    assert conv.conv_padding(9, 3, 1, 2, "causal") == (4, 0)
    with pytest.raises(ValueError, match="'full'.*'valid', 'same' or 'causal'"):
        conv.conv_padding(9, 3, 1, 1, "full")


# --- conv2d -------------------------------------------------------------------------------

CONV_CASES = [  # (H, W, C, F, kernel, strides, dilation, padding, bias)
    (6, 5, 3, 4, (3, 3), (1, 1), (1, 1), "valid", True),
    (7, 6, 3, 2, (3, 3), (2, 2), (1, 1), "same", True),
    (8, 9, 5, 2, (2, 3), (2, 1), (1, 1), "same", False),
    (9, 8, 4, 3, (3, 3), (1, 1), (2, 2), "same", True),
    (9, 9, 1, 3, (3, 2), (1, 1), (2, 1), "valid", True),
    (7, 7, 1, 2, (3, 3), (2, 2), (1, 1), "same", True),
    (6, 6, 6, 2, (1, 1), (3, 3), (1, 1), "valid", True),
    (5, 4, 2, 3, (4, 4), (1, 1), (1, 1), "same", False),
]


def _conv_pads(H, W, kernel, strides, dilation, padding):
    return tuple(conv.conv_padding(n, k, s, d, padding)
                 for n, k, s, d in zip((H, W), kernel, strides, dilation))


@pytest.mark.parametrize("H,W,C,Fo,kernel,strides,dilation,padding,bias", CONV_CASES)
def test_conv2d_matches_pytorch_forward_and_backward(H, W, C, Fo, kernel, strides, dilation,
                                                     padding, bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, H, W, C))
    K = rng.standard_normal(kernel + (C, Fo))
    b = rng.standard_normal(Fo)
    pads = _conv_pads(H, W, kernel, strides, dilation, padding)
    args = (x, K, b) if bias else (x, K)
    y, gy, grads = run(lambda *t: conv.conv2d(t[0], t[1], t[2] if bias else None, strides, pads,
                                              dilation), *args)
    px = nchw(x)
    pK = torch.tensor(K.transpose(3, 2, 0, 1), requires_grad=True)
    pb = torch.tensor(b, requires_grad=True) if bias else None
    py = F.conv2d(torch_pad(px, pads), pK, pb, stride=strides, dilation=dilation)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(grads[0], nhwc(px.grad), atol=1e-12)
    np.testing.assert_allclose(grads[1], pK.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
    if bias:
        np.testing.assert_allclose(grads[2], pb.grad.numpy(), atol=1e-12)


def test_conv2d_fused_relu_matches_pytorch():
    rng = np.random.default_rng(1)
    x, K, b = rng.standard_normal((2, 6, 6, 4)), rng.standard_normal((3, 3, 4, 5)), \
        rng.standard_normal(5)
    pads = ((1, 1), (1, 1))
    y, gy, grads = run(lambda a, k, c: conv.conv2d(a, k, c, (1, 1), pads, relu=True), x, K, b)
    assert (y == 0).any() and (y > 0).any()
    px = nchw(x)
    pK = torch.tensor(K.transpose(3, 2, 0, 1), requires_grad=True)
    pb = torch.tensor(b, requires_grad=True)
    py = torch.relu(F.conv2d(px, pK, pb, padding=1))
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(grads[0], nhwc(px.grad), atol=1e-12)
    np.testing.assert_allclose(grads[1], pK.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
    np.testing.assert_allclose(grads[2], pb.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[3], CONV_CASES[5]])
def test_conv2d_gradcheck(case):
    H, W, C, Fo, kernel, strides, dilation, padding, _ = case
    rng = np.random.default_rng(2)
    pads = _conv_pads(H, W, kernel, strides, dilation, padding)
    assert gradcheck(lambda x, K, b: conv.conv2d(x, K, b, strides, pads, dilation),
                     rng.standard_normal((1, H, W, C)), rng.standard_normal(kernel + (C, Fo)),
                     rng.standard_normal(Fo))


def test_conv2d_skips_the_input_gradient_of_data_and_keeps_float32():
    x = Tensor(np.ones((2, 5, 5, 3)))
    K = Tensor(np.ones((3, 3, 3, 4)), requires_grad=True)
    y = conv.conv2d(x, K, None)
    assert y.dtype == np.float32 and y.shape == (2, 3, 3, 4)
    y.backward()
    assert x.grad is None and K.grad.shape == (3, 3, 3, 4)
    np.testing.assert_allclose(K.grad.numpy(), 18.0)  # 2 images x 9 output pixels


def test_conv2d_rejects_a_kernel_larger_than_the_padded_input():
    with pytest.raises(ValueError, match=r"\(5, 5\).*\(4, 4\)"):
        conv.conv2d(Tensor(np.ones((1, 4, 4, 1))), Tensor(np.ones((5, 5, 1, 1))))


# --- conv2d_transpose ---------------------------------------------------------------------

@pytest.mark.parametrize("h,kernel,strides,dilation,out,padding", [
    (3, (3, 3), (2, 2), (1, 1), (6, 6), "same"),
    (3, (3, 3), (2, 2), (1, 1), (7, 7), "valid"),
    (4, (4, 3), (2, 1), (1, 1), (10, 6), "valid"),
    (3, (3, 3), (2, 2), (1, 1), (8, 8), "valid"),
    (3, (3, 3), (1, 1), (2, 2), (3, 3), "same"),
    (3, (2, 2), (3, 3), (1, 1), (9, 9), "same"),
])
def test_conv2d_transpose_matches_pytorch(h, kernel, strides, dilation, out, padding):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, h, h, 3))
    K = rng.standard_normal(kernel + (2, 3))  # (kh, kw, filters, in)
    b = rng.standard_normal(2)
    pads = tuple(conv.conv_padding(o, k, s, d, padding)
                 for o, k, s, d in zip(out, kernel, strides, dilation))
    y, gy, grads = run(lambda a, k, c: conv.conv2d_transpose(a, k, out, c, strides, pads, dilation),
                       x, K, b)
    assert y.shape == (2,) + out + (2,)
    px = nchw(x)
    pK = torch.tensor(K.transpose(3, 2, 0, 1), requires_grad=True)  # (in, out, kh, kw)
    pb = torch.tensor(b, requires_grad=True)
    full = F.conv_transpose2d(px, pK, pb, stride=strides, dilation=dilation)
    # NOTE: PyTorch pads symmetrically; crop its full output where TensorFlow's padding puts it,
    # adding zero rows (plus bias) where the requested size goes past the full output.
    (t, _), (l, _) = pads
    extra = [max(t + out[0] - full.shape[2], 0), max(l + out[1] - full.shape[3], 0)]
    full = F.pad(full - pb[:, None, None], (0, extra[1], 0, extra[0])) + pb[:, None, None]
    py = full[:, :, t:t + out[0], l:l + out[1]]
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(grads[0], nhwc(px.grad), atol=1e-12)
    np.testing.assert_allclose(grads[1], pK.grad.numpy().transpose(2, 3, 1, 0), atol=1e-12)
    np.testing.assert_allclose(grads[2], pb.grad.numpy(), atol=1e-12)


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(4)
    x, K, g = rng.standard_normal((2, 7, 7, 3)), rng.standard_normal((3, 3, 3, 4)), None
    pads = _conv_pads(7, 7, (3, 3), (2, 2), (1, 1), "same")
    y = conv.conv2d(Tensor(x, dtype="float64"), Tensor(K, dtype="float64"), None, (2, 2), pads)
    g = rng.standard_normal(y.shape)
    back = conv.conv2d_transpose(Tensor(g, dtype="float64"), Tensor(K, dtype="float64"), (7, 7),
                                 None, (2, 2), pads)
    np.testing.assert_allclose(np.sum(y.numpy() * g), np.sum(x * back.numpy()), rtol=1e-12)


def test_conv2d_transpose_gradcheck():
    rng = np.random.default_rng(5)
    pads = ((0, 1), (0, 1))
    assert gradcheck(lambda x, K, b: conv.conv2d_transpose(x, K, (6, 6), b, (2, 2), pads),
                     rng.standard_normal((1, 3, 3, 2)), rng.standard_normal((3, 3, 2, 2)),
                     rng.standard_normal(2))


# --- depthwise_conv2d ---------------------------------------------------------------------

@pytest.mark.parametrize("m,strides,dilation,padding", [
    (1, (1, 1), (1, 1), "valid"), (2, (2, 2), (1, 1), "same"), (3, (1, 1), (2, 2), "same")])
def test_depthwise_conv2d_matches_pytorch_grouped_conv(m, strides, dilation, padding):
    rng = np.random.default_rng(6)
    C = 3
    x, K, b = rng.standard_normal((2, 7, 6, C)), rng.standard_normal((3, 3, C, m)), \
        rng.standard_normal(C * m)
    pads = _conv_pads(7, 6, (3, 3), strides, dilation, padding)
    y, gy, grads = run(lambda a, k, c: conv.depthwise_conv2d(a, k, c, strides, pads, dilation),
                       x, K, b)
    px = nchw(x)
    # NOTE: output channel c * m + j is input channel c under filter j, as in TensorFlow.
    pK = torch.tensor(K.reshape(3, 3, C * m).transpose(2, 0, 1)[:, None], requires_grad=True)
    pb = torch.tensor(b, requires_grad=True)
    py = F.conv2d(torch_pad(px, pads), pK, pb, stride=strides, dilation=dilation, groups=C)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(grads[0], nhwc(px.grad), atol=1e-12)
    np.testing.assert_allclose(grads[1], pK.grad.numpy()[:, 0].transpose(1, 2, 0).reshape(K.shape),
                               atol=1e-12)
    np.testing.assert_allclose(grads[2], pb.grad.numpy(), atol=1e-12)


def test_depthwise_conv2d_gradcheck():
    rng = np.random.default_rng(7)
    assert gradcheck(lambda x, K, b: conv.depthwise_conv2d(x, K, b, (2, 1), ((0, 1), (1, 1))),
                     rng.standard_normal((1, 5, 4, 2)), rng.standard_normal((3, 3, 2, 2)),
                     rng.standard_normal(4))


# --- pooling ------------------------------------------------------------------------------

POOL_CASES = [  # (H, W, pool, strides, padding)
    (4, 4, (2, 2), (2, 2), "valid"),
    (7, 5, (2, 2), (2, 2), "valid"),
    (7, 5, (2, 2), (2, 2), "same"),
    (6, 6, (3, 3), (1, 1), "same"),
    (7, 8, (3, 2), (2, 3), "same"),
    (5, 5, (3, 3), (2, 2), "valid"),
]


def _pool_pads(H, W, pool, strides, padding):
    return tuple(conv.conv_padding(n, p, s, 1, padding) for n, p, s in zip((H, W), pool, strides))


@pytest.mark.parametrize("H,W,pool,strides,padding", POOL_CASES)
def test_max_pool2d_matches_pytorch(H, W, pool, strides, padding):
    x = np.random.default_rng(8).standard_normal((2, H, W, 3))
    pads = _pool_pads(H, W, pool, strides, padding)
    y, gy, (gx,) = run(lambda a: pooling.max_pool2d(a, pool, strides, pads), x)
    px = nchw(x)
    py = F.max_pool2d(torch_pad(px, pads, -np.inf), pool, strides)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py))
    np.testing.assert_allclose(gx, nhwc(px.grad), atol=1e-12)


@pytest.mark.parametrize("pool,strides", [((2, 2), (2, 2)), ((3, 3), (1, 1))])
def test_max_pool2d_gives_a_tie_to_the_first_maximum_only(pool, strides):
    x = np.random.default_rng(9).integers(0, 3, (2, 6, 6, 2)).astype(float)  # many ties
    y, gy, (gx,) = run(lambda a: pooling.max_pool2d(a, pool, strides), x)
    px = nchw(x)
    F.max_pool2d(px, pool, strides).backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(gx, nhwc(px.grad), atol=1e-12)
    np.testing.assert_allclose(gx.sum(), gy.sum())


@pytest.mark.parametrize("H,W,pool,strides,padding", POOL_CASES)
def test_avg_pool2d_matches_pytorch_counting_only_real_pixels(H, W, pool, strides, padding):
    x = np.random.default_rng(10).standard_normal((2, H, W, 3))
    pads = _pool_pads(H, W, pool, strides, padding)
    y, gy, (gx,) = run(lambda a: pooling.avg_pool2d(a, pool, strides, pads), x)
    px = nchw(x)
    # NOTE: TensorFlow's 'same' average divides by the real pixels in each window.
    sums = F.avg_pool2d(torch_pad(px, pads), pool, strides)
    counts = F.avg_pool2d(torch_pad(torch.ones_like(px), pads), pool, strides)
    py = sums / counts
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(gx, nhwc(px.grad), atol=1e-12)


@pytest.mark.parametrize("op", [pooling.max_pool2d, pooling.avg_pool2d])
def test_pool_gradcheck(op):
    x = np.random.default_rng(11).standard_normal((1, 5, 5, 2))
    assert gradcheck(lambda a: op(a, (2, 2), (2, 2), ((0, 1), (0, 1))), x)
    assert gradcheck(lambda a: op(a, (3, 3), (1, 1), ((1, 1), (1, 1))), x)


# --- pad, crop, upsampling ----------------------------------------------------------------

def test_pad_and_crop_are_each_others_adjoint_and_gradcheck():
    x = np.random.default_rng(12).standard_normal((2, 3, 4, 2))
    widths = [(0, 0), (1, 2), (0, 3), (0, 0)]
    y = pooling.pad(Tensor(x, dtype="float64"), widths)
    assert y.shape == (2, 6, 7, 2)
    np.testing.assert_array_equal(pooling.crop(y, widths).numpy(), x)
    np.testing.assert_array_equal(y.numpy()[:, 0], 0)
    assert gradcheck(lambda a: pooling.pad(a, widths), x)
    assert gradcheck(lambda a: pooling.crop(a, [(0, 0), (1, 0), (1, 2), (0, 1)]), x)


def test_upsample_nearest_repeats_pixels_and_gradcheck():
    x = np.random.default_rng(13).standard_normal((2, 3, 2, 2))
    y = pooling.upsample2d(Tensor(x, dtype="float64"), (2, 3))
    np.testing.assert_array_equal(y.numpy(), x.repeat(2, axis=1).repeat(3, axis=2))
    assert gradcheck(lambda a: pooling.upsample2d(a, (2, 3)), x)


@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 4)])
def test_upsample_bilinear_matches_pytorch_half_pixel_resize(size):
    x = np.random.default_rng(14).standard_normal((2, 3, 4, 2))
    y, gy, (gx,) = run(lambda a: pooling.upsample2d(a, size, "bilinear"), x)
    px = nchw(x)
    py = F.interpolate(px, scale_factor=size, mode="bilinear", align_corners=False)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-12)
    np.testing.assert_allclose(gx, nhwc(px.grad), atol=1e-12)
    assert gradcheck(lambda a: pooling.upsample2d(a, size, "bilinear"), x[:1])


def test_upsample_rejects_an_unknown_interpolation():
    with pytest.raises(ValueError, match="'bicubic'.*'nearest' or 'bilinear'"):
        pooling.upsample2d(Tensor(np.ones((1, 2, 2, 1))), (2, 2), "bicubic")


# --- normalization ------------------------------------------------------------------------

def test_normalize_matches_pytorch_batch_norm_in_training():
    rng = np.random.default_rng(15)
    x, g, b = rng.standard_normal((4, 3, 3, 5)) * 2 + 1, rng.standard_normal(5), \
        rng.standard_normal(5)
    (y, gy, grads) = run(lambda a, c, d: normalization.normalize(a, c, d, (0, 1, 2), 1e-3)[0],
                         x, g, b)
    px = nchw(x)
    pg, pb = torch.tensor(g, requires_grad=True), torch.tensor(b, requires_grad=True)
    py = F.batch_norm(px, None, None, pg, pb, training=True, eps=1e-3)
    py.backward(torch.tensor(gy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(py), atol=1e-10)
    np.testing.assert_allclose(grads[0], nhwc(px.grad), atol=1e-10)
    np.testing.assert_allclose(grads[1], pg.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(grads[2], pb.grad.numpy(), atol=1e-10)


def test_normalize_returns_the_biased_batch_statistics():
    x = np.random.default_rng(16).standard_normal((6, 4))
    _, mean, var = normalization.normalize(Tensor(x, dtype="float64"), 1.0, 0.0, (0,))
    np.testing.assert_allclose(mean.numpy().ravel(), x.mean(axis=0))
    np.testing.assert_allclose(var.numpy().ravel(), x.var(axis=0))  # ddof=0


def test_normalize_matches_pytorch_layer_norm_and_gradchecks():
    rng = np.random.default_rng(17)
    x, g, b = rng.standard_normal((3, 4, 6)), rng.standard_normal(6), rng.standard_normal(6)
    y, gy, grads = run(lambda a, c, d: normalization.normalize(a, c, d, (2,), 1e-5)[0], x, g, b)
    px, pg, pb = (torch.tensor(a, requires_grad=True) for a in (x, g, b))
    py = F.layer_norm(px, (6,), pg, pb, eps=1e-5)
    py.backward(torch.tensor(gy))
    np.testing.assert_allclose(y, py.detach().numpy(), atol=1e-10)
    for ours, theirs in zip(grads, (px, pg, pb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), atol=1e-10)
    assert gradcheck(lambda a, c, d: normalization.normalize(a, c, d, (1, 2))[0],
                     x[:2], rng.standard_normal((4, 6)), rng.standard_normal((4, 6)))
