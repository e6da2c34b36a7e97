"""Losses: values and gradients against PyTorch and central differences (float64, random
upstream gradient), reductions and sample weights, label smoothing, numerical stability,
the `_keras_logits` fast path, shapes, errors and lookup."""
import numpy as np
import pytest

from lamina import losses, ops
from lamina.autograd import Tensor, gradcheck, no_grad
from lamina.ops.nn import SigmoidCrossEntropy, SparseSoftmaxCrossEntropy

R = np.random.default_rng(0)
EPS = 1e-7


def probs(*shape):
    p = R.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def onehot(labels, n):
    return np.eye(n)[labels]


def f64(a):
    return Tensor(a, dtype=np.float64)


LABELS = R.integers(0, 5, size=6)
LABELS_3D = R.integers(0, 4, size=(2, 3))


def _torch_cases(torch):
    F = torch.nn.functional
    return {
        "mse": lambda t, p: F.mse_loss(p, t, reduction="none").mean(-1),
        "mae": lambda t, p: F.l1_loss(p, t, reduction="none").mean(-1),
        "mape": lambda t, p: 100 * ((t - p).abs() / t.abs().clamp_min(EPS)).mean(-1),
        "msle": lambda t, p: (torch.log1p(p.clamp_min(EPS))
                              - torch.log1p(t.clamp_min(EPS))).square().mean(-1),
        "huber": lambda t, p: F.huber_loss(p, t, delta=0.7, reduction="none").mean(-1),
        "log_cosh": lambda t, p: torch.log(torch.cosh(p - t)).mean(-1),
        "kl_divergence": lambda t, p: F.kl_div(p.log(), t, reduction="none").sum(-1),
        "poisson": lambda t, p: F.poisson_nll_loss(p, t, log_input=False, eps=EPS,
                                                   reduction="none").mean(-1),
        "hinge": lambda t, p: (1 - (2 * t - 1) * p).clamp_min(0).mean(-1),
        "squared_hinge": lambda t, p: (1 - t * p).clamp_min(0).square().mean(-1),
        "bce": lambda t, p: F.binary_cross_entropy(p, t, reduction="none").mean(-1),
        "bce_logits": lambda t, p: F.binary_cross_entropy_with_logits(
            p, t, reduction="none").mean(-1),
        "bce_smoothing": lambda t, p: F.binary_cross_entropy_with_logits(
            p, t * 0.8 + 0.1, reduction="none").mean(-1),
        # keras renormalises the probabilities: log(p / sum(p)), which changes the gradient
        "cce": lambda t, p: -(t * (p / p.sum(-1, keepdim=True)).log()).sum(-1),
        "cce_logits": lambda t, p: F.cross_entropy(p, t, reduction="none"),
        "cce_smoothing": lambda t, p: F.cross_entropy(p, t, label_smoothing=0.1, reduction="none"),
        "cce_axis1": lambda t, p: F.cross_entropy(p, t, reduction="none"),  # class axis 1 too
        "scce": lambda t, p: F.nll_loss((p / p.sum(-1, keepdim=True)).log(), t.long(),
                                        reduction="none"),
        "scce_logits": lambda t, p: F.cross_entropy(p, t.long(), reduction="none"),
        "scce_3d": lambda t, p: F.cross_entropy(p.permute(0, 2, 1), t.long(), reduction="none"),
    }


# name: (lamina per-sample loss, y_true, y_pred)
CASES = {
    "mse": (losses.mean_squared_error, R.standard_normal((4, 3)), R.standard_normal((4, 3))),
    "mae": (losses.mean_absolute_error, R.standard_normal((4, 3)), R.standard_normal((4, 3))),
    "mape": (losses.mean_absolute_percentage_error, R.uniform(0.5, 2, (4, 3)),
             R.standard_normal((4, 3))),
    "msle": (losses.mean_squared_logarithmic_error, R.uniform(0, 3, (4, 3)),
             R.uniform(0.1, 3, (4, 3))),
    "huber": (lambda t, p: losses.huber(t, p, delta=0.7), R.standard_normal((4, 3)),
              R.standard_normal((4, 3)) * 1.5),
    "log_cosh": (losses.log_cosh, R.standard_normal((4, 3)), R.standard_normal((4, 3)) * 3),
    "kl_divergence": (losses.kl_divergence, probs(4, 3), probs(4, 3)),
    "poisson": (losses.poisson, R.integers(0, 4, (4, 3)).astype(float), R.uniform(0.2, 3, (4, 3))),
    "hinge": (losses.hinge, R.integers(0, 2, (4, 3)).astype(float), R.standard_normal((4, 3))),
    "squared_hinge": (losses.squared_hinge, R.choice([-1.0, 1.0], (4, 3)),
                      R.standard_normal((4, 3))),
    "bce": (losses.binary_crossentropy, R.integers(0, 2, (4, 3)).astype(float),
            R.uniform(0.05, 0.95, (4, 3))),
    "bce_logits": (lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
                   R.integers(0, 2, (4, 3)).astype(float), R.standard_normal((4, 3)) * 3),
    "bce_smoothing": (lambda t, p: losses.binary_crossentropy(t, p, from_logits=True,
                                                              label_smoothing=0.2),
                      R.integers(0, 2, (4, 3)).astype(float), R.standard_normal((4, 3))),
    "cce": (losses.categorical_crossentropy, onehot(LABELS, 5), probs(6, 5)),
    "cce_logits": (lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True),
                   probs(6, 5), R.standard_normal((6, 5)) * 2),
    "cce_smoothing": (lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True,
                                                                   label_smoothing=0.1),
                      onehot(LABELS, 5), R.standard_normal((6, 5))),
    # class axis 1: (2, 4, 3) logits; the targets are probabilities over axis 1
    "cce_axis1": (lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True, axis=1),
                  probs(2, 3, 4).transpose(0, 2, 1).copy(), R.standard_normal((2, 4, 3))),
    "scce": (losses.sparse_categorical_crossentropy, LABELS, probs(6, 5)),
    "scce_logits": (lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=True),
                    LABELS, R.standard_normal((6, 5)) * 2),
    "scce_3d": (lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=True),
                LABELS_3D, R.standard_normal((2, 3, 4))),
}


def _lamina(fn, y_true, y_pred, gy):
    p = Tensor(y_pred, requires_grad=True, dtype=np.float64)
    values = fn(y_true, p)
    values.backward(gy)
    return values.numpy(), p.grad.numpy()


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_torch(name):
    import torch
    fn, y_true, y_pred = CASES[name]
    torch_fn = _torch_cases(torch)[name]
    tp = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    expected = torch_fn(torch.tensor(y_true, dtype=torch.float64), tp)
    gy = R.standard_normal(expected.shape)
    expected.backward(torch.tensor(gy))
    values, grad = _lamina(fn, y_true, y_pred, gy)
    assert values.shape == tuple(expected.shape)
    np.testing.assert_allclose(values, expected.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad, tp.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    fn, y_true, y_pred = CASES[name]
    assert gradcheck(lambda p: fn(y_true, p), y_pred)


@pytest.mark.parametrize("reduction",
                         ["sum_over_batch_size", "sum", "mean_with_sample_weight", None])
@pytest.mark.parametrize("cls", [losses.MeanSquaredError, losses.CategoricalCrossentropy])
def test_reductions_and_sample_weight(cls, reduction):
    y_true, y_pred = (R.standard_normal((5, 4)), R.standard_normal((5, 4))) \
        if cls is losses.MeanSquaredError else (onehot(R.integers(0, 4, 5), 4), probs(5, 4))
    w = R.uniform(0.1, 2.0, 5)
    per_sample = losses.get(cls().fn)(y_true, f64(y_pred)).numpy()
    expected = {"sum_over_batch_size": (per_sample * w).sum() / 5, "sum": (per_sample * w).sum(),
                "mean_with_sample_weight": (per_sample * w).sum() / w.sum(), None: per_sample * w}
    p = Tensor(y_pred, requires_grad=True, dtype=np.float64)
    loss = cls(reduction=reduction)(y_true, p, sample_weight=w)
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-10)
    # the gradient of the reduced loss: gradcheck through the weights and the reduction
    assert gradcheck(lambda q: cls(reduction=reduction)(y_true, q, sample_weight=w), y_pred)
    if reduction == "sum_over_batch_size":
        unweighted = cls()(y_true, f64(y_pred))
        np.testing.assert_allclose(unweighted.numpy(), per_sample.mean(), rtol=1e-10)


def test_weighted_gradient_matches_torch():
    import torch
    y_true, y_pred = R.integers(0, 2, (6, 1)).astype(float), R.standard_normal((6, 1))
    w = R.uniform(0, 2, 6)
    p = Tensor(y_pred, requires_grad=True, dtype=np.float64)
    loss = losses.BinaryCrossentropy(from_logits=True)(y_true, p, sample_weight=w)
    loss.backward()
    tp = torch.tensor(y_pred, requires_grad=True)
    per = torch.nn.functional.binary_cross_entropy_with_logits(tp, torch.tensor(y_true),
                                                               reduction="none")
    expected = (per[:, 0] * torch.tensor(w)).sum() / 6
    expected.backward()
    np.testing.assert_allclose(loss.numpy(), expected.item(), rtol=1e-10)
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9)


def test_sample_weight_shapes_broadcast():
    y_true, y_pred = R.standard_normal((4, 3, 2)), R.standard_normal((4, 3, 2))
    per = ((y_true - y_pred) ** 2).mean(-1)  # (4, 3)
    w = np.array([1.0, 0.0, 2.0, 0.5])
    mse = losses.MeanSquaredError()
    for sw in (w, w[:, None]):  # (batch,) and (batch, 1) weights for (batch, steps) losses
        np.testing.assert_allclose(mse(y_true, f64(y_pred), sample_weight=sw).numpy(),
                                   (per * w[:, None]).sum() / per.size, rtol=1e-10)
    np.testing.assert_allclose(mse(y_true, f64(y_pred), sample_weight=3.0).numpy(),
                               3 * per.mean(), rtol=1e-10)


def test_label_smoothing_follows_keras_formulas():
    logits = R.standard_normal((6, 5))
    y = onehot(LABELS, 5)
    p = ops.softmax(f64(logits)).numpy()
    for s in (0.1, 0.3):
        smoothed = y * (1 - s) + s / 5  # keras: t * (1 - s) + s / num_classes
        got = losses.categorical_crossentropy(y, f64(logits), from_logits=True,
                                              label_smoothing=s)
        np.testing.assert_allclose(got.numpy(), -(smoothed * np.log(p)).sum(-1), rtol=1e-10)
    t = R.integers(0, 2, (4, 3)).astype(float)
    q = R.uniform(0.1, 0.9, (4, 3))
    for s in (0.1, 0.5):
        tt = t * (1 - s) + 0.5 * s  # keras: squeezed towards 0.5
        expected = -(tt * np.log(q) + (1 - tt) * np.log(1 - q)).mean(-1)
        got = losses.BinaryCrossentropy(label_smoothing=s, reduction=None)(t, f64(q))
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)


def _finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


def test_huge_logits_stay_finite_and_exact():
    import torch
    F = torch.nn.functional
    z = np.array([[1e4, -1e4, 0.0], [-3e3, 2e3, 5e3]], dtype=np.float32)
    labels = np.array([1, 0])
    for fn, expected_fn in [
        (lambda t, p: losses.sparse_categorical_crossentropy(t, p, from_logits=True),
         lambda zt: F.cross_entropy(zt, torch.tensor(labels), reduction="none")),
        (lambda t, p: losses.categorical_crossentropy(onehot(t, 3), p, from_logits=True),
         lambda zt: F.cross_entropy(zt, torch.tensor(onehot(labels, 3), dtype=torch.float32),
                                    reduction="none")),
        (lambda t, p: losses.binary_crossentropy(onehot(t, 3), p, from_logits=True),
         lambda zt: F.binary_cross_entropy_with_logits(
             zt, torch.tensor(onehot(labels, 3), dtype=torch.float32), reduction="none").mean(-1)),
    ]:
        p = Tensor(z, requires_grad=True)
        loss = fn(labels, p)
        loss.sum().backward()
        zt = torch.tensor(z, requires_grad=True)
        expected = expected_fn(zt)
        expected.sum().backward()
        assert _finite(loss.numpy(), p.grad.numpy())
        np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(p.grad.numpy(), zt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_keras_logits_fast_path_matches_clipped_path():
    z = R.standard_normal((8, 5))
    y = R.integers(0, 5, 8)
    zt = Tensor(z, requires_grad=True, dtype=np.float64)
    probs_out = ops.softmax(zt)
    fast = losses.SparseCategoricalCrossentropy()(y, probs_out)
    # the fast path is one fused op on the logits, then the mean
    assert isinstance(fast.creator.inputs[0].creator, SparseSoftmaxCrossEntropy)
    assert fast.creator.inputs[0].creator.inputs[0] is zt
    fast.backward()
    # the same probabilities without their logits take the clipped probability path
    zt2 = Tensor(z, requires_grad=True, dtype=np.float64)
    sm = ops.softmax(zt2)
    del sm._keras_logits
    slow = losses.SparseCategoricalCrossentropy()(y, sm)
    slow.backward()
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-10)
    np.testing.assert_allclose(zt.grad.numpy(), zt2.grad.numpy(), rtol=1e-8, atol=1e-12)
    # the same for categorical and binary cross-entropy
    for loss, act in [(losses.CategoricalCrossentropy(), ops.softmax),
                      (losses.BinaryCrossentropy(), ops.sigmoid)]:
        t = onehot(y, 5)
        a = act(Tensor(z, dtype=np.float64, requires_grad=True))
        b = act(Tensor(z, dtype=np.float64, requires_grad=True))
        del b._keras_logits
        np.testing.assert_allclose(loss(t, a).numpy(), loss(t, b).numpy(), rtol=1e-9)
    with no_grad():  # outside a graph the clipped path is used, with the same value
        inference = losses.SparseCategoricalCrossentropy()(y, ops.softmax(f64(z)))
    np.testing.assert_allclose(inference.numpy(), fast.numpy(), rtol=1e-10)


def test_keras_logits_used_for_saturated_sigmoid_and_softmax():
    z = np.array([[40.0], [-40.0]])
    y = np.array([[0.0], [1.0]])  # confidently wrong: the true loss is about 40
    p = ops.sigmoid(Tensor(z, requires_grad=True, dtype=np.float64))
    loss = losses.binary_crossentropy(y, p)
    assert isinstance(loss.creator.inputs[0].creator, SigmoidCrossEntropy)
    np.testing.assert_allclose(loss.numpy(), [40.0, 40.0], rtol=1e-12)
    # without the logits the probabilities are clipped at 1e-7: the loss caps near 16.1
    q = Tensor(p.numpy(), dtype=np.float64)
    np.testing.assert_allclose(losses.binary_crossentropy(y, q).numpy(), -np.log(EPS), rtol=1e-6)


def test_softmax_output_is_not_fed_to_sigmoid_crossentropy():
    # Dense(2, softmax) + binary_crossentropy: the softmax logits are not sigmoid logits
    z = R.standard_normal((5, 2))
    y = onehot(R.integers(0, 2, 5), 2)
    p = ops.softmax(Tensor(z, requires_grad=True, dtype=np.float64))
    q = p.numpy()
    expected = -(y * np.log(q) + (1 - y) * np.log(1 - q)).mean(-1)
    np.testing.assert_allclose(losses.binary_crossentropy(y, p).numpy(), expected, rtol=1e-10)


def test_from_logits_with_softmax_output_warns_and_uses_the_logits():
    z = R.standard_normal((3, 4))
    p = ops.softmax(Tensor(z, requires_grad=True, dtype=np.float64))
    with pytest.warns(UserWarning, match="from_logits=True"):
        got = losses.sparse_categorical_crossentropy([0, 1, 2], p, from_logits=True)
    expected = losses.sparse_categorical_crossentropy([0, 1, 2], f64(z), from_logits=True)
    np.testing.assert_allclose(got.numpy(), expected.numpy())


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("bad", [5, -1])
def test_sparse_label_out_of_range_is_a_clear_error(from_logits, bad):
    y_pred = probs(3, 5)
    with pytest.raises(ValueError, match=rf"label value of {bad}.*\[0, 4\]"):
        losses.SparseCategoricalCrossentropy(from_logits=from_logits)([0, bad, 1], y_pred)


def test_sparse_label_shapes_and_dtypes():
    y_pred = Tensor(probs(6, 5), dtype=np.float64)
    expected = losses.sparse_categorical_crossentropy(LABELS, y_pred).numpy()
    np.testing.assert_allclose(-np.log(y_pred.numpy()[np.arange(6), LABELS]), expected, rtol=1e-12)
    scce = losses.SparseCategoricalCrossentropy(reduction=None)
    for y in (LABELS[:, None], LABELS.astype(np.float32), list(LABELS), Tensor(LABELS)):
        np.testing.assert_allclose(scce(y, y_pred).numpy(), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"y_true of shape.*\(6,\).*got y_true.shape=\(5,\)"):
        scce(LABELS[:5], y_pred)


def test_ignore_class_matches_torch_ignore_index():
    import torch
    z = R.standard_normal((6, 4))
    y = np.array([0, 3, -1, 2, -1, 1])
    p = Tensor(z, requires_grad=True, dtype=np.float64)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(y, p)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(zt, torch.tensor(y), ignore_index=-1)
    expected.backward()
    np.testing.assert_allclose(loss.numpy(), expected.item(), rtol=1e-10)
    np.testing.assert_allclose(p.grad.numpy(), zt.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_rank_one_targets_meet_one_unit_outputs():
    y = R.integers(0, 2, 6).astype(float)
    p = R.uniform(0.1, 0.9, (6, 1))
    for cls in (losses.MeanSquaredError, losses.BinaryCrossentropy, losses.MeanAbsoluteError):
        per = cls(reduction=None)(y, p)
        assert per.shape == (6,)
        np.testing.assert_allclose(per.numpy(), cls(reduction=None)(y[:, None], p).numpy())
    np.testing.assert_allclose(losses.mse(y, p).numpy(), (y - p[:, 0]) ** 2, rtol=1e-6)


def test_shape_mismatch_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"y_true.shape=\(4,\).*y_pred.shape=\(4, 3\)"):
        losses.categorical_crossentropy(np.arange(4), probs(4, 3))
    with pytest.raises(ValueError, match=r"same shape"):
        losses.binary_crossentropy(np.zeros((4, 2)), R.uniform(size=(4, 3)))
    with pytest.raises(ValueError, match="Only axis=-1.*Received: axis=0"):
        losses.sparse_categorical_crossentropy(LABELS, probs(6, 5), axis=0)


def test_numpy_inputs_give_float32_scalars():
    loss = losses.MeanSquaredError()(np.ones((3, 2)), np.zeros((3, 2)))
    assert isinstance(loss, Tensor) and loss.shape == () and loss.dtype == np.float32
    assert loss.item() == 1.0
    assert losses.SparseCategoricalCrossentropy()([1], np.array([[0.0, 1.0]])).item() < 1e-6


def test_custom_loss_subclass_gets_float_constant_y_true():
    seen = {}

    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            seen["y_true"] = y_true
            return ops.mean(ops.square(y_pred - y_true), axis=-1)

    loss = MyLoss()
    assert loss.name.startswith("my_loss")
    p = Tensor(np.zeros((2, 3)), requires_grad=True)
    value = loss(np.ones((2, 3), dtype=np.int64), p)
    assert isinstance(seen["y_true"], Tensor) and seen["y_true"].dtype == np.float32
    assert not seen["y_true"].requires_grad
    value.backward()
    np.testing.assert_allclose(p.grad.numpy(), np.full((2, 3), -2 / 6), rtol=1e-6)


def test_loss_function_wrapper_and_configs_round_trip():
    def my_error(y_true, y_pred, power=2):
        return ops.mean(ops.abs(y_pred - y_true) ** power, axis=-1)

    w = losses.LossFunctionWrapper(my_error, power=3)
    assert w.name.startswith("loss_function_wrapper")
    y, p = R.standard_normal((4, 2)), R.standard_normal((4, 2))
    np.testing.assert_allclose(w(y, f64(p)).numpy(), (np.abs(p - y) ** 3).mean(), rtol=1e-10)
    for obj in (losses.Huber(delta=2.5, reduction="sum"),
                losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2),
                losses.SparseCategoricalCrossentropy(ignore_class=3),
                losses.MeanSquaredError(name="my_mse"), losses.LossFunctionWrapper(losses.poisson)):
        clone = type(obj).from_config(obj.get_config())
        assert clone.get_config() == obj.get_config()
        again = losses.deserialize(losses.serialize(obj))
        assert type(again) is type(obj) and again.get_config() == obj.get_config()
    assert losses.Huber(delta=2.5).get_config()["delta"] == 2.5
    assert losses.deserialize(losses.serialize(losses.mae)) is losses.mean_absolute_error


def test_get_resolves_names_instances_functions_and_configs():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    assert losses.get("huber") is losses.huber
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    inst = losses.Huber()
    assert losses.get(inst) is inst
    assert losses.get(np.sum) is np.sum
    cfg = losses.get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert isinstance(cfg, losses.BinaryCrossentropy) and cfg.from_logits
    assert losses.get(None) is None


def test_get_errors_list_the_valid_names():
    with pytest.raises(ValueError, match=r"Unknown loss 'mean_squared_eror'.*mean_squared_error"):
        losses.get("mean_squared_eror")
    with pytest.raises(ValueError, match="Could not interpret loss identifier 42"):
        losses.get(42)
    with pytest.raises(ValueError, match=r"reduction.*Received: reduction='average'"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="Unknown loss 'Nope'"):
        losses.deserialize({"class_name": "Nope", "config": {}})


def test_losses_on_each_backend(xp):
    z = R.standard_normal((6, 5)).astype(np.float32)
    expected = {}
    for name, loss, y in [("scce", losses.SparseCategoricalCrossentropy(), LABELS),
                          ("cce", losses.CategoricalCrossentropy(from_logits=True),
                           onehot(LABELS, 5)),
                          ("mse", losses.MeanSquaredError(), R.standard_normal((6, 5)))]:
        zt = Tensor(z, requires_grad=True)
        out = ops.softmax(zt) if name == "scce" else zt
        value = loss(y, out, sample_weight=np.linspace(0.5, 1.5, 6))
        value.backward()
        assert type(zt.grad.data) is type(xp.asarray(z))
        ref = Tensor(z, requires_grad=True, dtype=np.float64)
        ref_out = ops.softmax(ref) if name == "scce" else ref
        loss(y, ref_out, sample_weight=np.linspace(0.5, 1.5, 6)).backward()
        np.testing.assert_allclose(zt.grad.numpy(), ref.grad.numpy(), rtol=1e-4, atol=1e-6)
        expected[name] = value.item()
    assert all(np.isfinite(v) for v in expected.values())


def test_sparse_labels_must_be_whole_numbers():
    y_pred = np.full((3, 4), 0.25, "float32")
    with pytest.raises(ValueError, match="fractional value 1.5"):
        losses.sparse_categorical_crossentropy(np.array([0.0, 1.5, 2.0]), y_pred)
    whole = losses.sparse_categorical_crossentropy(np.array([0.0, 1.0, 2.0]), y_pred)
    np.testing.assert_allclose(np.asarray(whole), np.log(4.0) * np.ones(3), rtol=1e-6)
