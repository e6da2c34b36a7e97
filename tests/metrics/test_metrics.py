"""Metrics: values against NumPy formulas (and scikit-learn where installed), streaming
over batches equals one shot, sample weights, reset, AUC's bucketed algorithm, lookup."""
import numpy as np
import pytest

from lamina import losses, metrics, ops
from lamina.autograd import Tensor

R = np.random.default_rng(0)
N, C = 60, 5
LABELS = R.integers(0, C, N)
ONEHOT = np.eye(C)[LABELS]
SCORES = R.standard_normal((N, C))
PROBS = np.exp(SCORES) / np.exp(SCORES).sum(-1, keepdims=True)
BIN_TRUE = R.integers(0, 2, (N, 1)).astype(np.float32)
BIN_PROB = np.clip(BIN_TRUE * 0.3 + R.uniform(0, 0.7, (N, 1)), 0, 1)
WEIGHTS = R.uniform(0, 2, N)
REG_TRUE, REG_PRED = R.standard_normal((N, 3)), R.standard_normal((N, 3))


def weighted_mean(per_sample, w=None):
    return np.average(per_sample, weights=w)


def in_top_k(labels, scores, k):
    return (scores > scores[np.arange(len(labels)), labels][:, None]).sum(-1) < k


# name: (metric factory, y_true, y_pred, per-sample NumPy reference)
CASES = {
    "binary_accuracy": (metrics.BinaryAccuracy, BIN_TRUE, BIN_PROB,
                        ((BIN_PROB > 0.5) == BIN_TRUE)[:, 0]),
    "binary_accuracy_0.3": (lambda: metrics.BinaryAccuracy(threshold=0.3), BIN_TRUE, BIN_PROB,
                            ((BIN_PROB > 0.3) == BIN_TRUE)[:, 0]),
    "categorical_accuracy": (metrics.CategoricalAccuracy, ONEHOT, PROBS,
                             PROBS.argmax(-1) == LABELS),
    "sparse_categorical_accuracy": (metrics.SparseCategoricalAccuracy,
                                    LABELS[:, None].astype(np.float32), PROBS,
                                    PROBS.argmax(-1) == LABELS),
    "top_k": (lambda: metrics.TopKCategoricalAccuracy(k=2), ONEHOT, PROBS,
              in_top_k(LABELS, PROBS, 2)),
    "sparse_top_k": (lambda: metrics.SparseTopKCategoricalAccuracy(k=3), LABELS, SCORES,
                     in_top_k(LABELS, SCORES, 3)),
    "mse": (metrics.MeanSquaredError, REG_TRUE, REG_PRED, ((REG_TRUE - REG_PRED) ** 2).mean(-1)),
    "mae": (metrics.MeanAbsoluteError, REG_TRUE, REG_PRED, np.abs(REG_TRUE - REG_PRED).mean(-1)),
    "mape": (metrics.MeanAbsolutePercentageError, REG_TRUE, REG_PRED,
             100 * (np.abs(REG_TRUE - REG_PRED) / np.abs(REG_TRUE)).mean(-1)),
    "sparse_ce": (metrics.SparseCategoricalCrossentropy, LABELS, PROBS,
                  -np.log(PROBS[np.arange(N), LABELS])),
    "binary_ce": (metrics.BinaryCrossentropy, BIN_TRUE, BIN_PROB,
                  -(BIN_TRUE * np.log(np.clip(BIN_PROB, 1e-7, 1 - 1e-7))
                    + (1 - BIN_TRUE) * np.log(np.clip(1 - BIN_PROB, 1e-7, 1 - 1e-7)))[:, 0]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_mean_metrics_match_numpy_streaming_and_weighted(name):
    factory, y_true, y_pred, per_sample = CASES[name]
    m = factory()
    result = m(y_true, Tensor(y_pred))
    assert isinstance(result, Tensor) and result.shape == () and result.dtype == np.float32
    np.testing.assert_allclose(result.item(), weighted_mean(per_sample), rtol=1e-5)
    m.reset_state()
    assert m.result().item() == 0.0
    for lo in range(0, N, 16):  # batches of 16, 16, 16, 12
        m.update_state(y_true[lo:lo + 16], y_pred[lo:lo + 16], sample_weight=WEIGHTS[lo:lo + 16])
    np.testing.assert_allclose(m.result().item(), weighted_mean(per_sample, WEIGHTS), rtol=1e-5)


def test_rmse_streams_and_weights():
    m = metrics.RootMeanSquaredError()
    for lo in range(0, N, 25):
        batch = slice(lo, lo + 25)
        m.update_state(REG_TRUE[batch], REG_PRED[batch], sample_weight=WEIGHTS[batch])
    per = ((REG_TRUE - REG_PRED) ** 2).mean(-1)
    expected = np.sqrt(np.average(per, weights=WEIGHTS))
    np.testing.assert_allclose(m.result().item(), expected, rtol=1e-5)


def test_functional_accuracies_are_per_sample():
    np.testing.assert_array_equal(metrics.binary_accuracy(BIN_TRUE, BIN_PROB).numpy(),
                                  ((BIN_PROB > 0.5) == BIN_TRUE)[:, 0])
    np.testing.assert_array_equal(metrics.categorical_accuracy(ONEHOT, Tensor(PROBS)).numpy(),
                                  PROBS.argmax(-1) == LABELS)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(LABELS, PROBS).numpy(),
                                  PROBS.argmax(-1) == LABELS)
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(ONEHOT, PROBS, k=2).numpy(),
                                  in_top_k(LABELS, PROBS, 2))
    top1 = metrics.sparse_top_k_categorical_accuracy(LABELS, PROBS, k=1)
    np.testing.assert_array_equal(top1.numpy(), PROBS.argmax(-1) == LABELS)
    assert metrics.binary_accuracy(BIN_TRUE, BIN_PROB).dtype == np.float32
    # ties at the k-th score count as in the top k (TensorFlow's in_top_k)
    assert metrics.sparse_top_k_categorical_accuracy([2], [[0.5, 0.5, 0.5]], k=1).item() == 1.0


def test_mean_and_sum_follow_keras_weighting():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result().item() == 4.0
    # two samples with means 2 and 7, weights 1 and 3
    m.update_state(np.array([[1.0, 3.0], [5.0, 9.0]]), sample_weight=[1.0, 3.0])
    np.testing.assert_allclose(m.result().item(), (16 + 2 + 21) / 8)
    m.reset_state()
    m.update_state(2.5, sample_weight=4)  # the loss tracker's fast path
    m.update_state(0.5, sample_weight=1)
    np.testing.assert_allclose(m.result().item(), (10 + 0.5) / 5)
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    s.update_state(np.ones((2, 3)))
    assert s.result().item() == 4.0 + 6.0


def _precision_recall(y, p, threshold, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    pos, true = p > threshold, y.astype(bool)
    tp, fp, fn = (w * (pos & true)).sum(), (w * (pos & ~true)).sum(), (w * (~pos & true)).sum()
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)  # 0/0 -> 0


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.8], [0.0, 0.25, 0.5, 0.75, 1.0]])
def test_precision_recall_match_formula_streaming(thresholds):
    prec, rec = metrics.Precision(thresholds=thresholds), metrics.Recall(thresholds=thresholds)
    for lo in range(0, N, 16):
        for m in (prec, rec):
            batch = slice(lo, lo + 16)
            m.update_state(BIN_TRUE[batch], BIN_PROB[batch], sample_weight=WEIGHTS[batch])
    ts = [0.5] if thresholds is None else np.atleast_1d(thresholds)
    expected = np.array([_precision_recall(BIN_TRUE, BIN_PROB, t, WEIGHTS[:, None]) for t in ts])
    assert prec.result().shape == (() if len(ts) == 1 else (len(ts),))
    np.testing.assert_allclose(prec.result().numpy(), expected[:, 0].squeeze(), rtol=1e-5)
    np.testing.assert_allclose(rec.result().numpy(), expected[:, 1].squeeze(), rtol=1e-5)


def test_precision_recall_match_sklearn():
    from sklearn import metrics as sk
    y, p = BIN_TRUE[:, 0], BIN_PROB[:, 0]
    np.testing.assert_allclose(metrics.Precision()(y, p).item(), sk.precision_score(y, p > 0.5),
                               rtol=1e-6)
    np.testing.assert_allclose(metrics.Precision()(y, p, sample_weight=WEIGHTS).item(),
                               sk.precision_score(y, p > 0.5, sample_weight=WEIGHTS), rtol=1e-6)
    np.testing.assert_allclose(metrics.Recall()(y, p, sample_weight=WEIGHTS).item(),
                               sk.recall_score(y, p > 0.5, sample_weight=WEIGHTS), rtol=1e-6)


def test_precision_recall_top_k_and_class_id():
    # top_k: the k highest scores of each sample are the positive predictions
    top2 = np.argsort(-PROBS, axis=-1)[:, :2]
    pos = np.zeros_like(PROBS, dtype=bool)
    np.put_along_axis(pos, top2, True, axis=-1)
    tp = (pos & (ONEHOT == 1)).sum()
    np.testing.assert_allclose(metrics.Precision(top_k=2)(ONEHOT, PROBS).item(), tp / pos.sum(),
                               rtol=1e-6)
    np.testing.assert_allclose(metrics.Recall(top_k=2)(ONEHOT, PROBS).item(), tp / N, rtol=1e-6)
    # class_id: the binary problem of one class
    expected = _precision_recall(ONEHOT[:, 2], PROBS[:, 2], 0.25)
    np.testing.assert_allclose(metrics.Precision(thresholds=0.25, class_id=2)(ONEHOT, PROBS).item(),
                               expected[0], rtol=1e-6)
    np.testing.assert_allclose(metrics.Recall(thresholds=0.25, class_id=2)(ONEHOT, PROBS).item(),
                               expected[1], rtol=1e-6)


def test_confusion_counts_bucketed_equals_direct():
    n = 11
    thresholds = [i / (n - 1) for i in range(n)]
    p = np.round(R.uniform(0, 1, 500), 2)  # many values exactly on a threshold
    y = R.integers(0, 2, 500)
    w = R.uniform(0, 1, 500)
    fast = metrics.confusion_counts(y, p, thresholds, w, evenly=True)
    slow = metrics.confusion_counts(y, p, thresholds, w, evenly=False)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    p32 = p.astype(np.float32)
    tp = np.array([(w * ((p32 > t) & (y == 1))).sum() for t in np.float32(thresholds)])
    np.testing.assert_allclose(fast[0], tp, rtol=1e-5)


def exact_auc(y, s, w=None):
    """ROC AUC as the probability that a positive outranks a negative (ties count half)."""
    w = np.ones_like(s) if w is None else w
    pos, neg = y == 1, y == 0
    wp, wn = w[pos][:, None] * w[neg][None, :], s[pos][:, None] - s[neg][None, :]
    return ((wn > 0) * wp + 0.5 * (wn == 0) * wp).sum() / wp.sum()


def test_auc_is_exact_when_each_bucket_holds_one_score():
    # scores on a grid coarser than the 200 thresholds: the trapezoids are the exact ROC curve
    s = (R.integers(0, 20, 300) + 0.5) / 20
    y = (R.uniform(size=300) < s).astype(int)
    w = R.uniform(0.5, 2, 300)
    m = metrics.AUC()
    for lo in range(0, 300, 64):
        m.update_state(y[lo:lo + 64], s[lo:lo + 64], sample_weight=w[lo:lo + 64])
    np.testing.assert_allclose(m.result().item(), exact_auc(y, s, w), rtol=1e-5)


def test_auc_matches_sklearn_within_bucketing_error():
    from sklearn import metrics as sk
    s = R.uniform(size=1000)
    y = (R.uniform(size=1000) < s).astype(int)
    got = metrics.AUC()(y, s).item()
    assert abs(got - sk.roc_auc_score(y, s)) < 5e-3
    assert abs(metrics.AUC(num_thresholds=1000)(y, s).item() - sk.roc_auc_score(y, s)) < 1e-3
    pr = metrics.AUC(curve="PR")(y, s).item()
    assert abs(pr - sk.average_precision_score(y, s)) < 2e-2


def test_auc_documented_values_and_variants():
    # the example of keras.metrics.AUC's docstring: thresholds [0 - eps, 0.5, 1 + eps]
    m = metrics.AUC(num_thresholds=3)
    assert m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]).item() == pytest.approx(0.75)
    m.reset_state()
    weighted = m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert weighted.item() == pytest.approx(1.0)
    s = R.uniform(size=400)
    y = (R.uniform(size=400) < s).astype(int)
    lo, mid, hi = (metrics.AUC(num_thresholds=20, summation_method=k)(y, s).item()
                   for k in ("minoring", "interpolation", "majoring"))
    assert lo < mid < hi
    logits = np.log(s / (1 - s))
    np.testing.assert_allclose(metrics.AUC(from_logits=True)(y, logits).item(),
                               metrics.AUC()(y, s).item(), rtol=1e-6)
    custom = metrics.AUC(thresholds=[0.25, 0.5, 0.75])
    assert custom.num_thresholds == 5 and custom.thresholds[1:-1] == [0.25, 0.5, 0.75]
    np.testing.assert_allclose(custom(y, s).item(), metrics.AUC(num_thresholds=5)(y, s).item(),
                               rtol=1e-6)
    odd = metrics.AUC(thresholds=[0.1, 0.7])  # not evenly spaced: the direct comparison path
    tp, fp, tn, fn = metrics.confusion_counts(y, s, odd._thresholds)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    trapezoids = (fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2
    np.testing.assert_allclose(odd(y, s).item(), trapezoids.sum(), rtol=1e-6)


def test_auc_multi_label_averages_label_aucs():
    y = R.integers(0, 2, (200, 3))
    s = np.clip(y * 0.3 + R.uniform(0, 0.7, (200, 3)), 0, 1)
    per_label = [metrics.AUC()(y[:, j], s[:, j]).item() for j in range(3)]
    np.testing.assert_allclose(metrics.AUC(multi_label=True)(y, s).item(), np.mean(per_label),
                               rtol=1e-6)
    lw = [1.0, 2.0, 0.5]
    np.testing.assert_allclose(metrics.AUC(multi_label=True, label_weights=lw)(y, s).item(),
                               np.average(per_label, weights=lw), rtol=1e-6)
    flat = metrics.AUC()(y.ravel(), s.ravel()).item()
    np.testing.assert_allclose(metrics.AUC()(y, s).item(), flat, rtol=1e-6)


def test_metrics_build_no_graph():
    z = Tensor(SCORES, requires_grad=True)
    y_pred = ops.softmax(z)
    for m in (metrics.SparseCategoricalAccuracy(), metrics.SparseCategoricalCrossentropy(),
              metrics.AUC(), metrics.Precision()):
        y = LABELS if "sparse" in m.name else ONEHOT
        m.update_state(y, y_pred)
    loss = losses.sparse_categorical_crossentropy(LABELS, y_pred)
    loss.sum().backward()  # the metrics did not touch the graph
    assert z.grad is not None and z.grad.shape == SCORES.shape


def test_configs_round_trip():
    for m in (metrics.BinaryAccuracy(threshold=0.3, name="ba"),
              metrics.TopKCategoricalAccuracy(k=3),
              metrics.Precision(thresholds=[0.2, 0.4], class_id=1), metrics.Recall(top_k=2),
              metrics.AUC(num_thresholds=50, curve="PR", from_logits=True),
              metrics.AUC(thresholds=[0.3, 0.6]), metrics.MeanSquaredError(),
              metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
              metrics.MeanMetricWrapper(losses.mean_absolute_error, name="wrapped"),
              metrics.Mean()):
        clone = type(m).from_config(m.get_config())
        assert clone.get_config() == m.get_config()
        again = metrics.deserialize(metrics.serialize(m))
        assert type(again) is type(m) and again.get_config() == m.get_config()


def test_mean_metric_wrapper_from_config_finds_accuracy_and_loss_functions():
    for fn in (metrics.binary_accuracy, losses.mean_absolute_error):
        clone = metrics.MeanMetricWrapper.from_config(
            metrics.MeanMetricWrapper(fn, name="w").get_config())
        assert clone._fn is fn
        expected = fn(BIN_TRUE, BIN_PROB).numpy().mean()
        np.testing.assert_allclose(clone(BIN_TRUE, BIN_PROB).item(), expected, rtol=1e-6)


def test_names_follow_keras():
    a, b = metrics.Precision(), metrics.Precision()
    assert a.name.startswith("precision") and b.name.startswith("precision_") and a.name != b.name
    assert metrics.AUC().name.startswith("auc")
    assert metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert metrics.MeanMetricWrapper(losses.mae).name.startswith("mean_metric_wrapper")


def test_get_resolves_names_and_objects():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("sparse_categorical_accuracy"), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("recall"), metrics.Recall)
    assert isinstance(metrics.get("TopKCategoricalAccuracy"), metrics.TopKCategoricalAccuracy)
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    inst = metrics.AUC()
    assert metrics.get(inst) is inst
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    cfg = metrics.get({"class_name": "Precision", "config": {"thresholds": 0.7}})
    assert isinstance(cfg, metrics.Precision) and cfg.thresholds == [0.7]
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'.*binary_accuracy"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier 3"):
        metrics.get(3)
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]. Received: \[1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="Invalid AUC curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"y_true.shape=\(60,\).*y_pred.shape=\(60, 5\)"):
        metrics.Precision()(LABELS, PROBS)


@pytest.mark.parametrize("loss, last_dim, expected", [
    ("binary_crossentropy", 1, metrics.BinaryAccuracy),
    (losses.BinaryCrossentropy(from_logits=True), 3, metrics.BinaryAccuracy),
    ("mse", 1, metrics.BinaryAccuracy),
    ("sparse_categorical_crossentropy", 10, metrics.SparseCategoricalAccuracy),
    (losses.SparseCategoricalCrossentropy(from_logits=True), 10, metrics.SparseCategoricalAccuracy),
    (losses.sparse_categorical_crossentropy, 10, metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", 10, metrics.CategoricalAccuracy),
    ("CategoricalCrossentropy", 10, metrics.CategoricalAccuracy),
    (lambda y, p: p, 4, metrics.CategoricalAccuracy),
])
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_resolve_accuracy(loss, last_dim, expected, name):
    m = metrics.resolve_accuracy(name, loss, last_dim)
    assert type(m) is expected and m.name == name


def test_metrics_on_each_backend(xp):
    y_pred = Tensor(PROBS.astype(np.float32))  # on the active backend
    assert type(y_pred.data) is type(xp.asarray(PROBS))
    for m, y, expected in [
            (metrics.SparseCategoricalAccuracy(), LABELS, (PROBS.argmax(-1) == LABELS).mean()),
            (metrics.AUC(), ONEHOT, metrics.AUC()(ONEHOT, PROBS).item()),
            (metrics.Precision(), ONEHOT, metrics.Precision()(ONEHOT, PROBS).item()),
            (metrics.MeanSquaredError(), ONEHOT, ((ONEHOT - PROBS) ** 2).mean())]:
        np.testing.assert_allclose(m(y, y_pred).item(), expected, rtol=1e-5)
