"""plot_model and plot_history: real images from matplotlib."""
import sys

import numpy as np
import pytest

from lamina import keras
from lamina.utils import plotting

import matplotlib
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402


def sequential(n_hidden=2):
    layers = [keras.layers.Flatten(input_shape=(28, 28))]
    layers += [keras.layers.Dense(30, activation="relu") for _ in range(n_hidden)]
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers)


def wide_and_deep():
    """The course's wide & deep model: two inputs, a concatenation, two outputs."""
    input_a = keras.layers.Input(shape=[5], name="wide_input")
    input_b = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(30, activation="relu", name="hidden1")(input_b)
    hidden2 = keras.layers.Dense(30, activation="relu", name="hidden2")(hidden1)
    concat = keras.layers.concatenate([input_a, hidden2])
    output = keras.layers.Dense(1, name="main_output")(concat)
    aux = keras.layers.Dense(1, name="aux_output")(hidden2)
    return keras.Model(inputs=[input_a, input_b], outputs=[output, aux])


def image(path):
    """The PNG's pixels, checked to be a real picture: not blank, with dark (text) pixels."""
    pixels = matplotlib.image.imread(str(path))
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
    gray = pixels[..., :3].mean(axis=-1)
    assert gray.min() < 0.2 and gray.max() > 0.9 and gray.std() > 0.05
    return pixels


def test_plot_model_sequential_writes_a_png(tmp_path):
    path = tmp_path / "model.png"
    keras.utils.plot_model(sequential(), to_file=path, show_shapes=True, show_layer_names=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image(path)


def test_plot_model_height_grows_by_one_rank_per_layer_and_width_stays(tmp_path):
    sizes = []
    for n_hidden in (1, 2, 3):
        path = tmp_path / f"model_{n_hidden}.png"
        keras.utils.plot_model(sequential(n_hidden), to_file=path, show_shapes=True, dpi=100)
        sizes.append(image(path).shape[:2])
    (h1, w1), (h2, w2), (h3, w3) = sizes
    assert w1 == w2 == w3
    assert h2 - h1 > 30 and abs((h3 - h2) - (h2 - h1)) <= 1


def test_plot_model_size_follows_dpi_and_rankdir(tmp_path):
    model = sequential(3)
    shapes = {}
    for name, kwargs in {"tb100": dict(dpi=100), "tb200": dict(dpi=200),
                         "lr100": dict(dpi=100, rankdir="LR")}.items():
        keras.utils.plot_model(model, to_file=tmp_path / f"{name}.png", show_shapes=True,
                               **kwargs)
        shapes[name] = image(tmp_path / f"{name}.png").shape[:2]
    assert abs(shapes["tb200"][0] - 2 * shapes["tb100"][0]) <= 2
    assert abs(shapes["tb200"][1] - 2 * shapes["tb100"][1]) <= 2
    assert shapes["tb100"][0] > shapes["tb100"][1]  # a tall column of boxes
    assert shapes["lr100"][1] > shapes["lr100"][0]  # a wide row of boxes


def test_labels_show_what_is_asked():
    graph = plotting._Graph()
    model = sequential(1)
    graph.add_model(model, expand_nested=False)
    dense = graph.boxes[1]
    assert plotting._label(dense, False, False, False, False, False) == ["Dense"]
    lines = plotting._label(dense, True, True, True, True, True)
    assert lines == [f"{model.layers[1].name} (Dense)", "Activation: relu",
                     "Input shape: (None, 784)", "Output shape: (None, 30)",
                     "Input dtype: float32", "Output dtype: float32", "Trainable: True"]


def test_functional_graph_with_branches(tmp_path):
    model = wide_and_deep()
    graph = plotting._Graph()
    graph.add_model(model, expand_nested=False)
    names = [b[0].name for b in graph.boxes]
    arrows = {(names[a], names[b]) for a, b in graph.arrows}
    concat = next(n for n in names if n.startswith("concatenate"))
    assert arrows == {("deep_input", "hidden1"), ("hidden1", "hidden2"), ("wide_input", concat),
                      ("hidden2", concat), (concat, "main_output"), ("hidden2", "aux_output")}
    rank, _ = plotting._ranks(len(names), graph.arrows)
    assert rank[names.index("main_output")] == 4 and rank[names.index("aux_output")] == 3
    path = tmp_path / "wide_deep.png"
    keras.utils.plot_model(model, to_file=path, show_shapes=True, show_layer_names=True)
    pixels = image(path)
    # the two inputs sit side by side: the picture is wider than one column of boxes
    keras.utils.plot_model(sequential(1), to_file=tmp_path / "one.png", show_shapes=True,
                           show_layer_names=True)
    assert pixels.shape[1] > 1.5 * image(tmp_path / "one.png").shape[1]


def test_nested_model_is_one_box_or_expanded(tmp_path):
    block = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)],
                             name="block")
    model = keras.Sequential([keras.layers.Dense(16, input_shape=(3,)), block,
                              keras.layers.Dense(1)])
    folded, expanded = plotting._Graph(), plotting._Graph()
    folded.add_model(model, expand_nested=False)
    expanded.add_model(model, expand_nested=True)
    assert [type(b[0]).__name__ for b in folded.boxes] == ["Dense", "Sequential", "Dense"]
    assert folded.boxes[1][2] == [(None, 4)]
    assert len(expanded.boxes) == 4 and sorted(expanded.arrows) == [(0, 1), (1, 2), (2, 3)]
    assert expanded.clusters == [("block", [1, 2], 1)]
    for name, expand in (("folded.png", False), ("expanded.png", True)):
        keras.utils.plot_model(model, to_file=tmp_path / name, show_shapes=True,
                               expand_nested=expand)
    assert image(tmp_path / "expanded.png").shape[0] > image(tmp_path / "folded.png").shape[0]


def test_nested_sequential_inside_functional_expands(tmp_path):
    block = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4)],
                             name="inner")
    inputs = keras.Input(shape=(3,), name="x")
    outputs = keras.layers.Dense(1, name="head")(block(inputs))
    graph = plotting._Graph()
    graph.add_model(keras.Model(inputs, outputs), expand_nested=True)
    names = [b[0].name for b in graph.boxes]
    assert {names[a] + ">" + names[b] for a, b in graph.arrows} == {
        f"x>{block.layers[0].name}", f"{block.layers[0].name}>{block.layers[1].name}",
        f"{block.layers[1].name}>head"}
    keras.utils.plot_model(keras.Model(inputs, outputs), to_file=tmp_path / "m.png",
                           expand_nested=True, show_shapes=True)
    image(tmp_path / "m.png")


@pytest.mark.parametrize("extension, magic", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_plot_model_other_formats(tmp_path, extension, magic):
    path = tmp_path / f"model.{extension}"
    keras.utils.plot_model(sequential(1), to_file=path)
    assert path.read_bytes().startswith(magic)


def test_plot_model_errors(tmp_path, monkeypatch):
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.plot_model(unbuilt, to_file=tmp_path / "m.png")
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.plot_model(sequential(), to_file=tmp_path / "m.png", rankdir="BT")
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        keras.utils.plot_model(sequential(), to_file=tmp_path / "m.png", colour="red")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"lamina\[plot\]"):
        keras.utils.plot_model(sequential(), to_file=tmp_path / "m.png")


# --- learning curves ---
def trained_history(epochs=4):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, validation_split=0.25, verbose=0)


def test_plot_history_draws_train_and_validation_curves(tmp_path):
    history = trained_history()
    fig = keras.utils.plot_history(history, to_file=tmp_path / "curves.png")
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
        assert titles == ["loss", "accuracy"]
        for ax in fig.axes[:2]:
            lines = {line.get_label(): line for line in ax.get_lines()}
            name = ax.get_title()
            assert set(lines) == {name, "val_" + name}
            for key, line in lines.items():
                np.testing.assert_allclose(line.get_ydata(), history.history[key])
                np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
            assert lines["val_" + name].get_linestyle() == "--"
        width, height = fig.get_size_inches() * fig.dpi
        assert image(tmp_path / "curves.png").shape[:2] == (round(height), round(width))
    finally:
        plt.close(fig)


def test_plot_history_accepts_a_dict_and_a_metric_subset():
    history = trained_history(2).history
    fig = keras.utils.plot_history(history, metrics=["accuracy"], figsize=(4, 3))
    try:
        assert [ax.get_title() for ax in fig.axes] == ["accuracy"]
        assert tuple(fig.get_size_inches()) == (4, 3)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="Unknown metric"):
        keras.utils.plot_history(history, metrics=["auc"])
    with pytest.raises(ValueError, match="History"):
        keras.utils.plot_history({})


def test_pandas_plot_of_history_still_works(tmp_path):
    import pandas as pd
    history = trained_history()
    ax = pd.DataFrame(history.history).plot(figsize=(8, 5))
    try:
        assert len(ax.get_lines()) == len(history.history) == 4
        ax.figure.savefig(tmp_path / "pandas.png", dpi=50)
        assert image(tmp_path / "pandas.png").shape[:2] == (250, 400)
    finally:
        plt.close(ax.figure)
