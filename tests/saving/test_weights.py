"""save_weights / load_weights: every kind of model in every format, layouts and mismatches."""
import h5py
import numpy as np
import pytest

from lamina import layers, saving
from lamina.models import Model, Sequential

FORMATS = ["model.weights.h5", "model.h5", "my_checkpoint.ckpt"]


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
@pytest.mark.parametrize("filename", FORMATS)
def test_round_trip_into_a_fresh_model(kind, filename, zoo, same_training, tmp_path):
    model = zoo.build(kind)
    saving.save_weights(model, tmp_path / filename)
    fresh = zoo.build(kind, train=False)  # same architecture, other weights, compiled
    x, _ = zoo.data(kind)
    saving.load_weights(fresh, tmp_path / filename)
    if filename.endswith(".h5") and not filename.endswith(".weights.h5"):
        assert fresh.optimizer.iterations == 0  # Keras 2's weights file has no optimizer
        return np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])
    assert fresh.optimizer.iterations == 3
    same_training(model, fresh, kind)


def test_keras3_layout_of_a_subclassed_model(zoo, tmp_path):
    model = zoo.build("subclassed")
    saving.save_weights(model, tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        groups = []
        f.visititems(lambda name, item: groups.append(name) if name.endswith("vars") else None)
        # attributes in sorted order; the list's layers numbered per class; `out` is reached
        # through the model's `layers` list first (sorted before 'out'), as in Keras
        assert groups == ["blocks/dense/vars", "blocks/dense_1/vars", "bn/vars", "hidden/vars",
                          "layers/dense_3/vars", "optimizer/vars", "vars"]
        assert [f["bn/vars"][k].shape for k in "0123"] == [(4,)] * 4
        np.testing.assert_array_equal(f["hidden/vars/0"][()], model.hidden.kernel.numpy())
        np.testing.assert_array_equal(f["bn/vars/2"][()], model.bn.moving_mean.numpy())
        assert f["vars"].attrs["name"] == model.name


def test_legacy_layout(zoo, tmp_path):
    model = zoo.build("sequential")
    saving.save_weights(model, tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        dense = model.layers[3]
        np.testing.assert_array_equal(f[dense.name][dense.bias.path][()], dense.bias.numpy())
        assert "optimizer_weights" not in f


def test_load_weights_from_a_keras_file(zoo, tmp_path):
    model = zoo.build("functional")
    saving.save_model(model, tmp_path / "m.keras")
    fresh = zoo.build("functional", compiled=False)
    saving.load_weights(fresh, tmp_path / "m.keras")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _mlp(units=8):
    return Sequential([layers.Input((6,)), layers.Dense(units, name="first"),
                       layers.Dense(2, name="second")])


@pytest.mark.parametrize("filename", FORMATS)
def test_shape_mismatch_names_the_layer_and_both_shapes_and_loads_nothing(filename, tmp_path):
    saving.save_weights(_mlp(units=8), tmp_path / filename)
    other = _mlp(units=5)
    before = other.get_weights()
    with pytest.raises(ValueError, match=r"'first'.*\(6, 5\).*\(6, 8\)"):
        saving.load_weights(other, tmp_path / filename)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("filename", FORMATS)
def test_count_mismatch_is_an_error(filename, tmp_path):
    bigger = Sequential([layers.Input((6,)), layers.Dense(8), layers.Dense(8), layers.Dense(2)])
    saving.save_weights(bigger, tmp_path / filename)
    with pytest.raises(ValueError, match="layer|Layer"):
        saving.load_weights(_mlp(), tmp_path / filename)
    no_bias = Sequential([layers.Input((6,)), layers.Dense(8, use_bias=False), layers.Dense(2)])
    saving.save_weights(no_bias, tmp_path / filename)
    with pytest.raises(ValueError, match=r"expected 2 variables|has 2 weights|expects? 2"):
        saving.load_weights(_mlp(), tmp_path / filename)


@pytest.mark.parametrize("filename", ["w.weights.h5", "w.h5"])
def test_skip_mismatch_warns_and_loads_the_rest(filename, tmp_path):
    source = _mlp(units=8)
    saving.save_weights(source, tmp_path / filename)
    target = Sequential([layers.Input((6,)), layers.Dense(8), layers.Dense(3)])
    before = target.layers[1].kernel.numpy()
    with pytest.warns(UserWarning, match="has shape .* Skipping this layer"):
        saving.load_weights(target, tmp_path / filename, skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(target.layers[1].kernel.numpy(), before)


def test_by_name_matches_legacy_layers_by_name(tmp_path):
    source = _mlp()
    saving.save_weights(source, tmp_path / "w.h5")
    reordered = Sequential([layers.Input((6,)), layers.Dense(8, name="first"),
                            layers.Dense(8, name="extra"), layers.Dense(2, name="second")])
    reordered.layers[1].set_weights([np.zeros((8, 8)), np.zeros(8)])
    reordered.layers[2].set_weights([np.zeros((8, 2)), np.zeros(2)])
    saving.load_weights(reordered, tmp_path / "w.h5", by_name=True)
    kernels = [layer.kernel.numpy() for layer in reordered.layers]
    np.testing.assert_array_equal(kernels[0], source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(kernels[2], source.layers[1].kernel.numpy())
    np.testing.assert_array_equal(reordered.layers[1].kernel.numpy(), np.zeros((8, 8)))


def test_unbuilt_model_is_refused_clearly(tmp_path):
    saving.save_weights(_mlp(), tmp_path / "w.weights.h5")
    unbuilt = Sequential([layers.Dense(8), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        saving.load_weights(unbuilt, tmp_path / "w.weights.h5")


def test_save_weights_refuses_a_keras_name(tmp_path):
    with pytest.raises(ValueError, match="save_weights|model.save"):
        saving.save_weights(_mlp(), tmp_path / "w.keras")
    with pytest.raises(FileExistsError):
        saving.save_weights(_mlp(), tmp_path / "w.keras.h5")
        saving.save_weights(_mlp(), tmp_path / "w.keras.h5", overwrite=False)


@pytest.mark.parametrize("filename", FORMATS)
def test_model_methods_save_and_load_weights(filename, zoo, tmp_path):
    model = zoo.build("sequential")
    model.save_weights(str(tmp_path / filename))
    fresh = zoo.build("sequential", compiled=False)
    fresh.load_weights(str(tmp_path / filename))
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_layers_are_saved_in_keras_order(tmp_path):
    """Keras 3.15 lists this graph's layers as KERAS_ORDER (checked with real Keras); so do
    lamina's functional models, and the weights file follows that order."""
    a, b, c = (layers.Input((n,), name=name) for n, name in ((3, "a"), (4, "b"), (2, "c")))
    x = layers.Dense(5, name="a3")(layers.Dense(5, name="a2")(layers.Dense(5, name="a1")(a)))
    y = layers.Dense(5, name="b1")(b)
    s = layers.Add(name="add")([y, x])
    z = layers.Concatenate(name="cat")([layers.Dense(5, name="c1")(c), s, y])
    model = Model([c, a, b], [layers.Dense(1, name="o2")(z), layers.Dense(5, name="shared")(s),
                              layers.Dense(2, name="o3")(y)])
    keras_order = ["a", "a1", "b", "a2", "c", "b1", "a3", "c1", "add", "cat", "o2", "shared",
                   "o3"]
    assert [layer.name for layer in model.layers] == keras_order
    saving.save_weights(model, tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "r") as f:
        dense = [n for n in keras_order if n not in ("a", "b", "c", "add", "cat")]
        for i, name in enumerate(dense):
            group = f[f"layers/dense{'' if i == 0 else f'_{i}'}/vars"]
            assert group.attrs["name"] == name
