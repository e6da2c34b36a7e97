"""TensorBoard callback: event files read back with TensorBoard's own reader."""
import json
import sys

import numpy as np
import pytest

from lamina import keras

import tensorboardX  # noqa: F401
from tensorboard.backend.event_processing import event_accumulator


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, x @ np.array([1.0, -2.0, 0.5], dtype="float32") + 0.3


def model():
    m = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                          keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return m


def read(folder):
    acc = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    events = acc.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def test_epoch_scalars_match_history_in_train_and_validation_runs(tmp_path):
    x, y = data()
    history = model().fit(x, y, epochs=3, batch_size=16, validation_data=data(32, 1), verbose=0,
                          callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    train, val = read(tmp_path / "train"), read(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert set(val.Tags()["scalars"]) == {"epoch_loss", "epoch_mae"}
    for acc, prefix in ((train, ""), (val, "val_")):
        for name in ("loss", "mae"):
            steps, values = scalars(acc, "epoch_" + name)
            assert steps == [0, 1, 2]
            np.testing.assert_allclose(values, history.history[prefix + name], rtol=1e-6)
    assert scalars(train, "epoch_learning_rate")[1] == pytest.approx([0.05] * 3)


def test_integer_update_freq_writes_batch_scalars(tmp_path):
    x, y = data()  # 64 samples, batch 16: 4 batches per epoch
    history = model().fit(x, y, epochs=2, batch_size=16, verbose=0,
                          callbacks=[keras.callbacks.TensorBoard(tmp_path, update_freq=2)])
    train = read(tmp_path / "train")
    steps, values = scalars(train, "batch_loss")
    assert steps == [2, 4, 6, 8]
    # the last batch of an epoch carries the epoch's running mean
    np.testing.assert_allclose([values[1], values[3]], history.history["loss"], rtol=1e-6)
    assert "batch_mae" in train.Tags()["scalars"]


def test_epoch_update_freq_writes_no_batch_scalars(tmp_path):
    x, y = data()
    model().fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    assert not [t for t in read(tmp_path / "train").Tags()["scalars"] if t.startswith("batch_")]


def test_weight_histograms_every_histogram_freq_epochs(tmp_path):
    x, y = data()
    m = model()
    m.fit(x, y, epochs=3, verbose=0,
          callbacks=[keras.callbacks.TensorBoard(tmp_path, histogram_freq=2)])
    train = read(tmp_path / "train")
    first, second = (layer.name for layer in m.layers)
    tags = {f"{first}/kernel/histogram", f"{first}/bias/histogram",
            f"{second}/kernel/histogram", f"{second}/bias/histogram"}
    assert set(train.Tags()["histograms"]) == tags
    events = train.Histograms(f"{first}/kernel/histogram")
    assert [e.step for e in events] == [0, 2]
    kernel = m.layers[0].get_weights()[0]  # the last histogram is of the final weights
    h = events[-1].histogram_value
    assert h.num == kernel.size
    assert h.min == pytest.approx(kernel.min()) and h.max == pytest.approx(kernel.max())
    assert h.sum == pytest.approx(kernel.sum(), abs=1e-5)


def test_no_histograms_by_default(tmp_path):
    x, y = data()
    model().fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    assert read(tmp_path / "train").Tags()["histograms"] == []


def test_graph_is_the_conceptual_keras_graph_tensorboard_draws(tmp_path):
    from tensorboard.plugins.graph import keras_util
    x, y = data()
    m = model()
    m.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    train = read(tmp_path / "train")
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    config = json.loads(train.Tensors("keras")[0].tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    graph = keras_util.keras_model_to_graph_def(config)
    names = [n.name for n in graph.node]
    # Keras 3's Sequential config starts with its InputLayer
    assert names == [f"{m.name}/input_layer"] + [f"{m.name}/{layer.name}" for layer in m.layers]
    assert list(graph.node[1].input) == [names[0]]


def test_write_graph_false_writes_no_graph(tmp_path):
    x, y = data()
    model().fit(x, y, epochs=1, verbose=0,
                callbacks=[keras.callbacks.TensorBoard(tmp_path, write_graph=False)])
    assert "keras" not in read(tmp_path / "train").Tags()["tensors"]


def test_functional_graph_keeps_its_branches(tmp_path):
    from tensorboard.plugins.graph import keras_util
    inputs = keras.Input(shape=(3,), name="features")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    merged = keras.layers.Concatenate(name="merge")([inputs, hidden])
    outputs = keras.layers.Dense(1, name="out")(merged)
    m = keras.Model(inputs, outputs)
    m.compile(optimizer="sgd", loss="mse")
    x, y = data()
    m.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    config = json.loads(read(tmp_path / "train").Tensors("keras")[0].tensor_proto.string_val[0])
    graph = keras_util.keras_model_to_graph_def(config)
    inputs_of = {n.name.split("/")[-1]: sorted(i.split("/")[-1] for i in n.input)
                 for n in graph.node}
    assert inputs_of["merge"] == ["features", "hidden"]
    assert inputs_of["out"] == ["merge"]


def test_learning_rate_scalar_follows_a_scheduler(tmp_path):
    x, y = data()
    rates = [0.1, 0.05, 0.01]
    model().fit(x, y, epochs=3, verbose=0, callbacks=[
        keras.callbacks.LearningRateScheduler(lambda epoch: rates[epoch]),
        keras.callbacks.TensorBoard(tmp_path)])
    assert scalars(read(tmp_path / "train"), "epoch_learning_rate")[1] == pytest.approx(rates)


def test_evaluate_writes_evaluation_scalars(tmp_path):
    x, y = data()
    m = model()
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    loss, mae = m.evaluate(x, y, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    val = read(tmp_path / "validation")
    steps, values = scalars(val, "evaluation_loss_vs_iterations")
    assert steps == [4] and values == pytest.approx([loss])


@pytest.mark.parametrize("kwargs, match", [({"update_freq": "sometimes"}, "update_freq"),
                                           ({"update_freq": 0}, "update_freq"),
                                           ({"profile_batch": -1}, "profile_batch"),
                                           ({"profile_batch": (5, 2)}, "profile_batch"),
                                           ({"profile_batch": "a,b"}, "profile_batch"),
                                           ({"histogram_freq": -1}, "histogram_freq")])
def test_bad_arguments_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.callbacks.TensorBoard(tmp_path, **kwargs)


@pytest.mark.parametrize("profile_batch", [2, (1, 3), "2,4"])
def test_profile_batch_warns_and_training_carries_on(tmp_path, profile_batch):
    x, y = data()
    m = model()
    with pytest.warns(UserWarning, match=r"Profiling is not available.*profile_batch="):
        tb = keras.callbacks.TensorBoard(tmp_path, profile_batch=profile_batch)
    history = m.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[tb])
    steps, values = scalars(read(tmp_path / "train"), "epoch_loss")
    assert steps == [0, 1] and values == pytest.approx(history.history["loss"])


def test_missing_writer_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"lamina\[tensorboard\]"):
        keras.callbacks.TensorBoard(tmp_path)
