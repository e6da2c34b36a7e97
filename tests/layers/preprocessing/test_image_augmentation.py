"""RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomCrop:
exact transforms at fixed factors, identity at inference, training inside fit."""
import numpy as np
import pytest
import torch

from lamina import keras

L = keras.layers


def images(batch=2, h=4, w=5, c=1):
    return np.arange(batch * h * w * c, dtype="float32").reshape(batch, h, w, c)


def test_inference_leaves_images_alone():
    x = images(c=3)
    for layer in (L.RandomFlip(), L.RandomRotation(0.3), L.RandomZoom(0.3),
                  L.RandomTranslation(0.3, 0.3), L.RandomContrast(0.5)):
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
        assert not np.array_equal(layer(x, training=True).numpy(), x) or isinstance(
            layer, L.RandomFlip)
    single = L.RandomRotation(0.2)(x[0])  # one (h, w, c) image, training by default
    assert single.shape == (4, 5, 3)


def test_flip_modes_flip_whole_images():
    x = images(batch=64, h=2, w=3)
    out = L.RandomFlip("horizontal", seed=3)(x).numpy()
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)]
    kept = [np.array_equal(o, i) for o, i in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and 15 < sum(flipped) < 49
    both = L.RandomFlip(seed=4)(x).numpy()
    assert all(np.array_equal(o, i) or np.array_equal(o, i[::-1, ::-1]) for o, i in zip(both, x))
    with pytest.raises(ValueError, match="unknown mode argument 'diagonal'"):
        L.RandomFlip("diagonal")


def test_rotation_by_a_quarter_turn_is_counter_clockwise_as_torch_rot90():
    x = images(batch=1, h=3, w=3)
    out = L.RandomRotation((0.25, 0.25), interpolation="nearest")(x).numpy()
    expected = torch.rot90(torch.tensor(x[0, ..., 0]), 1, (0, 1)).numpy()
    np.testing.assert_allclose(out[0, ..., 0], expected, atol=1e-5)


def test_zoom_and_translation_at_fixed_factors():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    zoom_in = L.RandomZoom((-0.5, -0.5))(x).numpy()[0, ..., 0]
    # zoom 0.5 about the centre (1.5, 1.5): output pixel p reads input 0.5 p + 0.75
    coords = 0.5 * np.arange(4) + 0.75
    expected = np.array([[np.interp(cx, np.arange(4), x[0, int(np.floor(cy)), :, 0]) * (
        1 - (cy - np.floor(cy))) + np.interp(cx, np.arange(4), x[0, int(np.floor(cy)) + 1, :, 0])
        * (cy - np.floor(cy)) for cx in coords] for cy in coords])
    np.testing.assert_allclose(zoom_in, expected, rtol=1e-5)
    down = L.RandomTranslation((0.25, 0.25), (0, 0), fill_mode="constant", fill_value=-1,
                               interpolation="nearest")(x).numpy()[0, ..., 0]
    np.testing.assert_array_equal(down, np.vstack([np.full(4, -1), x[0, :3, :, 0]]))
    left = L.RandomTranslation(0.0, (-0.5, -0.5), fill_mode="wrap",
                               interpolation="nearest")(x).numpy()[0, ..., 0]
    np.testing.assert_array_equal(left, np.roll(x[0, ..., 0], -2, axis=1))
    mirror = L.RandomTranslation(0.0, (0.5, 0.5), fill_mode="reflect",
                                 interpolation="nearest")(x).numpy()[0, 0, :, 0]
    np.testing.assert_array_equal(mirror, [1, 0, 0, 1])  # (d c b a | a b c d)


def test_contrast_follows_the_formula_and_clips():
    x = np.random.default_rng(0).uniform(0, 255, (3, 4, 4, 2)).astype("float32")
    wide = L.RandomContrast((0.5, 0.5), value_range=(-1e4, 1e4), seed=1)  # no clipping
    out = wide(x).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    factor = ((out - mean) / (x - mean)).reshape(3, -1)
    np.testing.assert_allclose(factor, factor[:, :1].repeat(32, axis=1), rtol=1e-3)  # per image
    assert ((factor >= 0.5) & (factor <= 1.5)).all()  # drawn from [1 - 0.5, 1 + 0.5]
    clipped = L.RandomContrast((0.9, 0.9), seed=2)(x * 4 - 300).numpy()
    assert clipped.min() == 0 and clipped.max() == 255


def test_random_crop_in_training_and_at_inference():
    x = images(batch=2, h=6, w=8)
    crop = L.RandomCrop(3, 4, seed=0)
    out = crop(x, training=True).numpy()
    windows = [x[:, i:i + 3, j:j + 4] for i in range(4) for j in range(5)]
    assert any(np.array_equal(out, w) for w in windows)  # one window for the whole batch
    center = crop(x, training=False).numpy()  # largest 3:4 window (6x8), resized
    assert center.shape == (2, 3, 4, 1)
    np.testing.assert_allclose(center[0, 0, 0, 0], (x[0, 0, 0, 0] + x[0, 0, 1, 0] + x[0, 1, 0, 0]
                                                    + x[0, 1, 1, 0]) / 4)
    same = L.RandomCrop(6, 8)(x, training=False).numpy()
    np.testing.assert_array_equal(same, x)


def test_augmentation_runs_only_while_fitting():
    model = keras.Sequential([keras.Input((8, 8, 3)), L.RandomFlip(), L.RandomRotation(0.1),
                              L.RandomZoom(0.1), L.RandomTranslation(0.1, 0.1),
                              L.RandomContrast(0.2), L.RandomCrop(6, 6), L.Flatten(),
                              L.Dense(2)])
    assert model.output_shape == (None, 2)
    model.compile("adam", "mse")
    x = np.random.default_rng(1).random((8, 8, 8, 3)).astype("float32") * 255
    history = model.fit(x, np.zeros((8, 2)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    config = model.layers[1].get_config()
    assert config["factor"] == (-0.1, 0.1) and config["fill_mode"] == "reflect"


def test_bad_factors_and_modes_use_keras_wording():
    with pytest.raises(ValueError, match="The `factor` argument should be a number \\(or a list "
                                         "of two numbers\\) in the range \\[-1, 1\\]. Received: "
                                         "factor=2"):
        L.RandomRotation(2)
    with pytest.raises(ValueError, match="in the range \\[0, 1\\]. Received: factor=1.5"):
        L.RandomContrast(1.5)
    with pytest.raises(ValueError, match="in the range \\(-1.0, 1.0\\]. Received: "
                                         "input_number=-1"):
        L.RandomZoom(-1)
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode` mirror"):
        L.RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="`height` to be a positive integer. Received: "
                                         "height=0"):
        L.RandomCrop(0, 2)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        L.RandomFlip()(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="expects numeric images"):
        L.RandomFlip()(np.array([[["a"]]]))
