"""Mixed precision end to end: training under 'mixed_float16', loss scaling, saving."""
import numpy as np
import pytest

import lamina
from lamina import dtype_policies, layers, mixed_precision, optimizers, saving


@pytest.fixture
def mixed():
    mixed_precision.set_global_policy("mixed_float16")
    yield
    dtype_policies._global["policy"] = None


def regression_data(n=256):
    x = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [1.5]])).astype(np.float32)


def mlp():
    return lamina.Sequential([layers.Dense(16, activation="relu", input_shape=(4,)),
                              layers.Dense(1)])


def test_compile_wraps_the_optimizer_only_under_mixed_float16(mixed):
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, optimizers.Adam)
    model.compile(optimizer="adam", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, optimizers.Adam)
    dtype_policies._global["policy"] = None
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, optimizers.Adam)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # float16 overflow, then handled
def test_a_model_trains_under_mixed_float16_with_float32_weights(mixed):
    x, y = regression_data()
    model = mlp()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, epochs=6, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]
    assert all(w.dtype == np.float32 for w in model.weights)
    assert model.predict(x[:3], verbose=0).dtype == np.float16
    assert model.optimizer.iterations > 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # float16 overflow, then handled
def test_float16_gradient_overflow_halves_the_scale_and_keeps_the_weights_finite(mixed):
    x, y = regression_data(64)
    model = mlp()
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(0.01), initial_scale=2.0 ** 30)
    model.compile(optimizer=opt, loss="mse")
    model.fit(x * 10, y * 10, epochs=1, batch_size=16, verbose=0)
    assert opt.dynamic_scale < 2.0 ** 30     # scaled float16 gradients overflowed: halved
    assert opt.iterations < 4                # and those steps were skipped
    assert all(np.isfinite(w.numpy()).all() for w in model.weights)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # float16 overflow, then handled
@pytest.mark.parametrize("filename", ["model.keras", "model.h5"])
def test_a_mixed_model_saved_reloads_on_the_cpu_with_the_same_predictions(mixed, tmp_path,
                                                                         filename):
    x, y = regression_data(64)
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / filename)
    model.save(path)
    dtype_policies._global["policy"] = None          # a fresh float32 session
    loaded = saving.load_model(path)
    assert loaded.layers[0].dtype_policy.name == "mixed_float16"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert isinstance(loaded.optimizer, optimizers.LossScaleOptimizer)
    assert loaded.optimizer.dynamic_scale == model.optimizer.dynamic_scale
    assert loaded.optimizer.iterations == model.optimizer.iterations
