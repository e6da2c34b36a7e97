"""LossScaleOptimizer: dynamic loss scaling as in Keras 3."""
import numpy as np
import pytest

from lamina import backend, optimizers
from lamina.autograd import Tensor
from lamina.optimizers import LossScaleOptimizer


def weights():
    return [Tensor(np.array([1.0, 2.0]), dtype=np.float64)]


def test_unscales_the_gradients_before_the_inner_update():
    opt = LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=8.0)
    ws = weights()
    assert float(opt.scale_loss(Tensor(np.array(3.0))).data) == 24.0
    opt.apply([np.array([8.0, -16.0])], ws)          # gradients of the loss scaled by 8
    np.testing.assert_allclose(ws[0].numpy(), [1.0 - 0.1 * 1.0, 2.0 + 0.1 * 2.0])
    assert opt.iterations == 1 and opt.step_counter == 1 and opt.dynamic_scale == 8.0


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_gradient_skips_the_step_and_halves_the_scale(bad):
    opt = LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=2.0 ** 15)
    ws = weights()
    opt.apply([np.array([1.0, 1.0])], ws)
    before = ws[0].numpy()
    opt.apply([np.array([1.0, bad])], ws)
    np.testing.assert_array_equal(ws[0].numpy(), before)
    assert opt.iterations == 1 and opt.step_counter == 0 and opt.dynamic_scale == 2.0 ** 14


def test_a_skipped_first_step_still_builds_the_inner_slots():
    opt = LossScaleOptimizer(optimizers.Adam(0.1))
    opt.apply([np.array([np.inf, 1.0])], weights())
    assert opt.built and len(opt.variables) == 4 + 2 + 2   # own, iteration + rate, m and v


def test_the_scale_doubles_after_dynamic_growth_steps_finite_steps():
    opt = LossScaleOptimizer(optimizers.SGD(0.01), initial_scale=4.0, dynamic_growth_steps=3)
    ws = weights()
    scales = []
    for _ in range(7):
        opt.apply([np.array([1.0, 1.0])], ws)
        scales.append(opt.dynamic_scale)
    assert scales == [4.0, 4.0, 8.0, 8.0, 8.0, 16.0, 16.0]
    assert opt.iterations == 7


def test_learning_rate_and_iterations_are_the_inner_optimizers():
    inner = optimizers.SGD(0.1)
    opt = LossScaleOptimizer(inner)
    opt.learning_rate = 0.5
    assert inner.learning_rate == 0.5 and opt.learning_rate == 0.5
    assert inner.loss_scale_factor is None


def test_config_has_keras_keys_and_round_trips():
    opt = LossScaleOptimizer(optimizers.Adam(0.01), initial_scale=128.0, dynamic_growth_steps=10)
    config = optimizers.serialize(opt)
    assert config["class_name"] == "LossScaleOptimizer"
    assert set(config["config"]) == {"name", "inner_optimizer", "initial_scale",
                                      "dynamic_growth_steps"}
    assert config["config"]["inner_optimizer"]["class_name"] == "Adam"
    clone = optimizers.deserialize(config)
    assert isinstance(clone.inner_optimizer, optimizers.Adam)
    assert (clone.initial_scale, clone.dynamic_growth_steps, clone.learning_rate) == (
        128.0, 10, 0.01)


def test_unsupported_arguments_are_refused_as_in_keras():
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="no longer supports `dynamic=False`"):
        LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="expects an Optimizer"):
        LossScaleOptimizer("sgd")


def test_state_saves_the_scale_and_the_inner_slots():
    opt = LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=64.0, dynamic_growth_steps=2)
    ws = weights()
    for _ in range(3):
        opt.apply([np.array([1.0, -1.0])], ws)
    state = opt.get_state()
    assert len(state) == 4 + len(opt.inner_optimizer.variables)
    assert int(state[2]) == opt.step_counter == 1 and float(state[3]) == 128.0
    other = LossScaleOptimizer(optimizers.Adam(0.1), initial_scale=64.0, dynamic_growth_steps=2)
    other.build(weights())
    other.set_state(state)
    assert (other.step_counter, other.dynamic_scale, other.iterations) == (1, 128.0, 3)
    for a, b in zip(other.inner_optimizer.get_state(), opt.inner_optimizer.get_state()):
        np.testing.assert_array_equal(backend.to_numpy(a), backend.to_numpy(b))
