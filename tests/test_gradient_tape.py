"""GradientTape: TensorFlow's gradient API over lamina's engine."""
import numpy as np
import pytest

import lamina
from lamina import GradientTape, Tensor, Variable


def test_gradient_of_variables_matches_the_formula():
    w = Variable([1.0, 2.0, 3.0])
    b = Variable(0.5)
    x = Tensor([2.0, 3.0, 4.0])
    with GradientTape() as tape:
        y = (w * x).sum() + b * b
    gw, gb = tape.gradient(y, [w, b])
    np.testing.assert_allclose(gw.numpy(), [2.0, 3.0, 4.0])
    assert float(gb) == 1.0 and w.grad is None  # .grad is left alone


def test_nested_sources_and_unconnected_gradients():
    a, b, c = Variable(2.0), Variable(3.0), Variable(4.0)
    with GradientTape(persistent=True) as tape:
        y = a * a * b
    grads = tape.gradient(y, {"ab": (a, b), "c": [c]})
    assert float(grads["ab"][0]) == 12.0 and float(grads["ab"][1]) == 4.0
    assert grads["c"] == [None]
    zero = tape.gradient(y, c, unconnected_gradients="zero")
    assert float(zero) == 0.0 and zero.shape == ()


def test_watch_a_constant_and_non_scalar_target_is_summed():
    x = Tensor([1.0, 2.0, 3.0])
    with GradientTape() as tape:
        tape.watch(x)
        y = x * x  # shape (3,): TensorFlow sums it
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    x2 = Tensor(3.0)
    with GradientTape() as tape:
        y = x2 * x2
    assert tape.gradient(y, x2) is None  # not watched


def test_gradient_with_respect_to_an_intermediate_tensor():
    w = Variable(3.0)
    with GradientTape() as tape:
        h = w * 2.0
        y = h * h
    gh, gw = tape.gradient(y, [h, w])
    assert float(gh) == 12.0 and float(gw) == 24.0


def test_output_gradients_and_a_list_of_targets():
    w = Variable([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        y1, y2 = w * 3.0, (w * w).sum()
    g = tape.gradient(y1, w, output_gradients=Tensor([1.0, 10.0]))
    np.testing.assert_allclose(g.numpy(), [3.0, 30.0])
    np.testing.assert_allclose(tape.gradient([y1, y2], w).numpy(), [5.0, 7.0])


def test_stop_recording():
    w = Variable(2.0)
    with GradientTape() as tape:
        with tape.stop_recording():
            frozen = w * 5.0
        y = w * w + frozen
    assert float(tape.gradient(y, w)) == 4.0


def test_persistent_and_used_tape():
    w = Variable(2.0)
    with GradientTape(persistent=True) as tape:
        y = w * w * w
    assert float(tape.gradient(y, w)) == 12.0 and float(tape.gradient(y, w)) == 12.0
    with GradientTape() as tape:
        y = w * w
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, w)


def test_nested_tapes_raise_not_implemented():
    x = Variable(3.0)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = x * x * x
        with pytest.raises(NotImplementedError, match="second|gradients of gradients"):
            inner.gradient(y, x)
    assert outer is not None


def test_bad_sources():
    with GradientTape() as tape:
        y = Variable(1.0) * 2.0
    with pytest.raises(ValueError, match="got float"):
        tape.gradient(y, [1.0])
    with pytest.raises(ValueError, match="got float: 1.0"):
        tape.watch([[1.0]])
    with pytest.raises(ValueError, match="'none' or 'zero'"):
        tape.gradient(y, [], unconnected_gradients="nan")


def test_gradients_reach_an_optimizer_both_ways():
    model = lamina.keras.Sequential([lamina.keras.layers.Dense(1)])
    model.build((None, 2))
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    for step in ("apply_gradients", "apply"):
        opt = lamina.keras.optimizers.SGD(0.1)
        before = [w.numpy() for w in model.trainable_variables]
        with GradientTape() as tape:
            loss = lamina.ops.mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        if step == "apply":
            opt.apply(grads, model.trainable_variables)
        else:
            opt.apply_gradients(zip(grads, model.trainable_variables))
        for b, w, g in zip(before, model.trainable_variables, grads):
            np.testing.assert_allclose(w.numpy(), b - 0.1 * g.numpy(), rtol=1e-6)
