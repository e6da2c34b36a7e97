"""keras.ops (lamina.api): Keras 3's names and signatures, values against NumPy, errors.

Gradients of every differentiable op are checked in test_ops_gradients.py.
"""
import inspect
from pathlib import Path

import numpy as np
import pytest

from lamina import Tensor
from lamina.keras import ops as K

SIGNATURES = Path(__file__).parent / "data" / "keras_ops_signatures.txt"
# Not covered, and why: complex numbers (lamina tensors are real) and CTC (a dynamic-programming
# loss with no primitive in the engine).
NOT_COVERED = {"fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "view_as_complex",
               "view_as_real", "ctc_loss", "ctc_decode"}


def keras_signatures():
    out = {}
    for line in SIGNATURES.read_text().splitlines()[1:]:
        head, args = line.split(" | ")
        out[head.split()[1]] = args
    return out


def test_covers_keras_ops_with_keras_argument_names_and_defaults():
    keras = keras_signatures()
    assert len(keras) == 339
    covered = {name for name in keras if hasattr(K, name)}
    assert set(keras) - covered == NOT_COVERED
    assert len(covered) == 328
    for name in covered:
        if name == "einsum":
            continue  # (subscripts, *operands, **kwargs) as in Keras
        ours = str(inspect.signature(getattr(K, name)))[1:-1]
        assert ours.replace(" ", "") == keras[name].replace(" ", ""), name


R = np.random.default_rng(0)
A, B, P = R.standard_normal((3, 4)), R.standard_normal((4, 5)), R.uniform(0.5, 2, (3, 4))

# name: (keras.ops call, NumPy's answer)
VALUES = {
    "einsum_trace": (lambda: K.einsum("ii->", A[:3, :3]), np.trace(A[:3, :3])),
    "einsum_implicit": (lambda: K.einsum("ij,jk", A, B), A @ B),
    "tensordot": (lambda: K.tensordot(A, B, axes=1), A @ B),
    "pad_symmetric": (lambda: K.pad(A, ((1, 2), (2, 1)), mode="symmetric"),
                      np.pad(A, ((1, 2), (2, 1)), mode="symmetric")),
    "percentile_nearest": (lambda: K.percentile(A, 40, axis=0, method="nearest"),
                           np.percentile(A, 40, axis=0, method="nearest")),
    "quantile_midpoint": (lambda: K.quantile(A, 0.3, method="midpoint"),
                          np.quantile(A, 0.3, method="midpoint")),
    "argmax": (lambda: K.argmax(A, axis=1), A.argmax(1)),
    "argmin_keepdims": (lambda: K.argmin(A, axis=0, keepdims=True), A.argmin(0)[None]),
    "argsort": (lambda: K.argsort(A, axis=0), A.argsort(0)),
    "all_any": (lambda: (K.all(A > -5), K.any(A > 5)), (True, False)),
    "count_nonzero": (lambda: K.count_nonzero(np.array([[0, 1], [2, 0]]), axis=0), [1, 1]),
    "comparisons": (lambda: (K.greater(A, 0), K.less_equal(A, B[:3, :4]), K.equal(A, A)),
                    (A > 0, A <= B[:3, :4], np.ones_like(A, bool))),
    "logical": (lambda: K.logical_xor(A > 0, A > 1), np.logical_xor(A > 0, A > 1)),
    "isnan_isfinite": (lambda: (K.isnan(np.array([np.nan, 1.0])),
                                K.isfinite(np.array([np.inf, 1.0]))),
                       ([True, False], [False, True])),
    "isclose": (lambda: K.isclose(A, A + 1e-9), np.ones_like(A, bool)),
    "floor_round_sign": (lambda: (K.floor(A), K.round(A, 1), K.sign(A)),
                         (np.floor(A), np.round(A, 1), np.sign(A))),
    "floor_divide": (lambda: K.floor_divide(np.array([7, -7]), 2), [3, -4]),
    "bitwise": (lambda: (K.bitwise_and(6, 3), K.left_shift(1, 3), K.bitwise_not(np.int8(0))),
                (2, 8, -1)),
    "creation": (lambda: (K.zeros((2,)), K.ones((2,), dtype="int32"), K.full((2,), 7.0),
                          K.eye(2, k=1), K.identity(2), K.tri(2)),
                 ([0, 0], [1, 1], [7, 7], np.eye(2, k=1), np.eye(2), np.tri(2))),
    "arange_linspace": (lambda: (K.arange(5), K.arange(0.0, 1.0, 0.25), K.linspace(0, 1, 3),
                                 K.logspace(0, 2, 3), K.geomspace(1, 100, 3)),
                        (np.arange(5), np.arange(0, 1, 0.25), [0, 0.5, 1], [1, 10, 100],
                         [1, 10, 100])),
    "likes": (lambda: (K.zeros_like(A), K.ones_like(A), K.full_like(A, 2)),
              (np.zeros_like(A), np.ones_like(A), np.full_like(A, 2))),
    "windows": (lambda: (K.hamming(5), K.kaiser(5, 2.0)), (np.hamming(5), np.kaiser(5, 2.0))),
    "searchsorted_digitize": (lambda: (K.searchsorted(np.array([1, 3, 5]), np.array([4, 0])),
                                       K.digitize(np.array([0.5, 2.5]), np.array([1.0, 2.0]))),
                              ([2, 0], [0, 2])),
    "nonzero_where1": (lambda: K.where(np.array([[0, 1], [1, 0]])),
                       (np.array([0, 1]), np.array([1, 0]))),
    "unravel": (lambda: K.unravel_index(np.array([5, 1]), (2, 3)), ([1, 0], [2, 1])),
    "unique": (lambda: K.unique(np.array([3, 1, 3, 2])), [1, 2, 3]),
    "histogram": (lambda: K.histogram(np.array([0.0, 0.5, 1.0]), bins=2)[0], [1, 2]),
    "isin": (lambda: K.isin(np.array([1, 2, 3]), np.array([2])), [False, True, False]),
    "top_k_indices": (lambda: K.top_k(np.array([[1.0, 3.0, 2.0]]), 2)[1], [[1, 2]]),
    "in_top_k": (lambda: K.in_top_k(np.array([1, 0]), np.array([[0.1, 0.9], [0.8, 0.2]]), 1),
                 [True, True]),
    "one_hot": (lambda: K.one_hot(np.array([0, 2]), 3), np.eye(3)[[0, 2]]),
    "multi_hot": (lambda: K.multi_hot(np.array([[0, 2], [1, 1]]), 3), [[1, 0, 1], [0, 1, 0]]),
    "matrix_rank": (lambda: K.matrix_rank(np.ones((3, 3))), 1),
    "decompositions": (lambda: (K.cholesky(np.eye(2) * 4), K.eigh(np.eye(2) * 3)[0]),
                       (np.eye(2) * 2, [3, 3])),
    "nan_reductions": (lambda: (K.nanmean(np.array([1.0, np.nan, 3.0])),
                                K.nanmedian(np.array([1.0, np.nan, 3.0, 4.0])),
                                K.nanargmax(np.array([np.nan, 2.0, 1.0]))), (2.0, 3.0, 1)),
    "while_loop_tuple": (lambda: K.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i),
                                              (0, 0)), (4, 6)),
    "while_loop_max": (lambda: K.while_loop(lambda i: True, lambda i: i + 1, 0,
                                            maximum_iterations=5), 5),
    "switch": (lambda: K.switch(7, [lambda x: x, lambda x: -x], 2.0), -2.0),
    "saturate_cast": (lambda: K.saturate_cast(np.array([300.0, -5.0]), "uint8"), [255, 0]),
    "cast_int": (lambda: K.cast(np.array([1.7, -2.2]), "int32"), [1, -2]),
    "convert": (lambda: K.convert_to_numpy(K.convert_to_tensor([1, 2], dtype="float32")),
                [1.0, 2.0]),
    "shape_ndim_size": (lambda: (K.shape(A), K.ndim(A), K.size(A), K.is_tensor(K.ones(2)),
                                 K.is_tensor(A)), ((3, 4), 2, 12, True, False)),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_match_numpy(name):
    call, expected = VALUES[name]
    got = call()
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(e, dtype=float),
                                       rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
                                   rtol=1e-5, atol=1e-6)


def test_dtypes_follow_keras():
    assert K.argmax(A).dtype == "int32" and K.arange(3).dtype == "int32"
    assert K.zeros(2).dtype == "float32" and K.ones(2, dtype="float64").dtype == "float64"
    assert K.mean(np.array([1, 2])).dtype == "float32"  # integer means are floats
    assert K.divide(np.array([1, 2]), 2).dtype.kind == "f"
    assert K.greater(A, 0).dtype == bool and K.dtype(K.ones(2)) == "float32"


def test_incompatible_shapes_name_both_shapes_and_the_op():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4,)))
    with pytest.raises(ValueError, match=r"Add got inputs of shapes \(2, 3\) and \(4,\)"):
        K.add(a, b)
    with pytest.raises(ValueError, match=r"Add got inputs of shapes \(2, 3\) and \(4,\)"):
        a + b
    with pytest.raises(ValueError, match=r"matmul got incompatible shapes \(2, 3\) and \(4,\)"):
        K.matmul(a, b)
    with pytest.raises(ValueError, match=r"concatenate got incompatible shapes \(2, 3\) and \(4,"):
        K.concatenate([a, Tensor(np.ones((4, 3)))], axis=1)
    with pytest.raises(ValueError, match=r"reshape cannot reshape a tensor of shape \(2, 3\)"):
        K.reshape(a, (4, 2))
    with pytest.raises(ValueError, match=r"broadcast_to cannot broadcast shape \(2, 3\)"):
        K.broadcast_to(a, (3, 3))
    with pytest.raises(ValueError, match=r"tensordot got incompatible shapes \(2, 3\) and \(4,\)"):
        K.tensordot(a, b, axes=1)


def test_bad_dtype_is_named():
    with pytest.raises(ValueError, match="Invalid dtype: 'flot32'"):
        K.cast(A, "flot32")
    with pytest.raises(ValueError, match="Invalid dtype: 'nope'"):
        K.zeros((2,), dtype="nope")


def test_ops_without_a_gradient_refuse_inputs_that_need_one():
    x = Tensor(np.eye(2) * 4, requires_grad=True)
    with pytest.raises(NotImplementedError, match="cholesky has no gradient"):
        K.cholesky(x)
    np.testing.assert_allclose(K.cholesky(K.stop_gradient(x)).numpy(), np.eye(2) * 2)
    with pytest.raises(NotImplementedError, match="forward-mode"):
        K.jvp(lambda t: t, (x,), (x,))
    with pytest.raises(NotImplementedError, match="3-D conv"):
        K.conv(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)))


def test_eager_control_flow_is_differentiable():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = K.fori_loop(0, 3, lambda i, v: v * x, K.ones_like(x))  # x ** 3
    y.backward(np.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    assert K.cond(K.greater(K.sum(x), 10.0), lambda: 1, lambda: 0) == 0


def test_scipy_ops_name_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "scipy.special", None)
    with pytest.raises(ImportError, match=r"erfinv needs SciPy: pip install 'lamina\[scipy\]'"):
        K.erfinv(np.array([0.5]))


def test_ops_on_keras_inputs_build_functional_layers():
    from lamina import keras
    a, b = keras.Input((3,)), keras.Input((2,))
    h = keras.layers.Dense(4)(a)
    z = K.concatenate([K.exp(h), b], axis=-1)
    out = K.sum(K.square(z), axis=-1, keepdims=True)
    model = keras.Model([a, b], out)
    assert [layer.name for layer in model.layers][-3:] == ["concatenate", "square", "sum"]
    assert model.output_shape == (None, 1)
    rng = np.random.default_rng(0)
    x1, x2 = rng.random((5, 3)).astype("float32"), rng.random((5, 2)).astype("float32")
    kernel, bias = next(layer for layer in model.layers if layer.weights).get_weights()
    expected = (np.concatenate([np.exp(x1 @ kernel + bias), x2], -1) ** 2).sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), expected, rtol=1e-5)
