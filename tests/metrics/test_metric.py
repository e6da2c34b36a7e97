"""The stateful Metric API of Keras 3: add_weight/add_variable in __init__, update_state,
result, reset_state, variables, and the stateless_* forms."""
import numpy as np
import pytest

import lamina
from lamina import keras


class BinaryTruePositives(keras.metrics.Metric):
    """The example of Keras's Metric docstring, with NumPy in place of keras.ops."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="tp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.logical_and(np.asarray(y_true).astype(bool),
                                np.asarray(y_pred).round().astype(bool)).astype(self.dtype)
        if sample_weight is not None:
            values = values * np.broadcast_to(np.asarray(sample_weight, self.dtype), values.shape)
        self.true_positives.assign_add(values.sum())

    def result(self):
        return self.true_positives


def test_custom_metric_accumulates_resets_and_lists_its_variables():
    m = BinaryTruePositives()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == 2.0
    m.update_state([1, 1], [1, 1], sample_weight=[0.5, 2.0])
    assert float(m.result()) == 4.5
    assert m.variables == [m.true_positives] and m.true_positives.path == "binary_true_positives/tp"
    assert m.true_positives.dtype == np.float32 and not m.true_positives.trainable
    m.reset_state()  # the default: every variable back to zeros
    assert float(m.result()) == 0.0
    assert float(m([1], [1])) == 1.0  # __call__ updates, then returns the result


def test_stateless_forms_leave_the_metric_unchanged():
    m = BinaryTruePositives()
    m.update_state([1], [1])
    state = m.stateless_update_state([np.float32(10.0)], [1, 1, 0], [1, 1, 1])
    assert [float(v) for v in state] == [12.0] and float(m.result()) == 1.0
    assert float(m.stateless_result(state)) == 12.0 and float(m.result()) == 1.0
    assert [float(v) for v in m.stateless_reset_state()] == [0.0] and float(m.result()) == 1.0
    with pytest.raises(ValueError, match=r"corresponding 1:1 to BinaryTruePositives\(\)"
                                         r"\.variables\. Received list with length 2, but "
                                         r"expected 1 variables"):
        m.stateless_update_state([0.0, 0.0], [1], [1])


def test_builtin_mean_keeps_total_and_count_as_variables():
    mean = keras.metrics.Mean()
    assert [v.name for v in mean.variables] == ["total", "count"]
    mean.update_state([1.0, 2.0, 6.0])
    assert [float(v) for v in mean.variables] == [9.0, 3.0]
    state = mean.stateless_update_state([np.float32(0), np.float32(0)], [4.0])
    assert float(mean.stateless_result(state)) == 4.0 and float(mean.result()) == 3.0
    rmse = keras.metrics.RootMeanSquaredError()
    rmse.update_state([0.0, 0.0], [3.0, 4.0])
    assert float(rmse.result()) == pytest.approx(np.sqrt(12.5))
    rmse.reset_state()
    assert float(rmse.result()) == 0.0


def test_metrics_held_by_a_metric_share_their_variables():
    class MeanAndTotal(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mean = keras.metrics.Mean()
            self.extra = self.add_variable((2,), "ones", name="extra")

        def update_state(self, values):
            self.mean.update_state(values)

        def result(self):
            return self.mean.result()

    m = MeanAndTotal()
    assert [v.name for v in m.variables] == ["extra", "total", "count"]
    m.update_state([2.0, 4.0])
    m.reset_state()
    assert [v.numpy().tolist() for v in m.variables] == [[0.0, 0.0], 0.0, 0.0]


def test_forgetting_super_init_is_named():
    class Broken(keras.metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match=r"forgot to call `super\(\).__init__\(\)`"):
        Broken().add_weight(name="x")


@pytest.mark.cpu_only  # its metric reads the batch with np.asarray
def test_custom_metric_in_fit_is_reset_each_epoch_and_logged_by_name():
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=[BinaryTruePositives()])
    history = model.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), verbose=0)
    assert sorted(history.history) == ["binary_true_positives", "loss",
                                       "val_binary_true_positives", "val_loss"]
    expected = float(np.sum((model.predict(x, verbose=0).round() == 1) & (y == 1)))
    assert history.history["val_binary_true_positives"][-1] == expected
    assert max(history.history["binary_true_positives"]) <= y.sum()  # one epoch's count


def test_confusion_metrics_keep_their_counts_as_variables():
    precision = keras.metrics.Precision(thresholds=[0.3, 0.7])
    names = [v.name for v in precision.variables]
    assert names[:2] == ["true_positives", "false_positives"]
    assert all(v.shape == (2,) for v in precision.variables)
    precision.update_state([1, 0, 1, 1], [0.8, 0.6, 0.4, 0.9])
    np.testing.assert_allclose(precision.result().numpy(), [3 / 4, 2 / 2])
    fresh = precision.stateless_reset_state()
    state = precision.stateless_update_state(fresh, [1, 0], [0.9, 0.9])
    np.testing.assert_allclose(precision.stateless_result(state).numpy(), [0.5, 0.5])
    np.testing.assert_allclose(precision.result().numpy(), [3 / 4, 1.0])  # unchanged
    precision.reset_state()
    assert all(not v.numpy().any() for v in precision.variables)


def test_auc_counts_are_variables_built_as_keras_builds_them():
    auc = keras.metrics.AUC(num_thresholds=50)
    assert [v.shape for v in auc.variables] == [(50,)] * 4
    labels = keras.metrics.AUC(multi_label=True)  # number of labels known at the first update
    assert labels.variables == []
    labels.update_state([[1, 0, 1], [0, 1, 0]], [[0.9, 0.2, 0.6], [0.1, 0.7, 0.3]])
    assert [v.shape for v in labels.variables] == [(200, 3)] * 4
    assert float(labels.result()) == pytest.approx(1.0)
    labels.reset_state()
    assert float(labels.result()) == 0.0
