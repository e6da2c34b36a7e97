"""Optimizers: update formulas against PyTorch and NumPy transcriptions of Keras, API, state."""

import numpy as np
import pytest

from lamina import backend, optimizers, schedules
from lamina.autograd import Tensor, Variable

SHAPES = [(4, 3), (3,), (1,)]
STEPS = 5


def make_problem(seed=0, shapes=SHAPES):
    """Initial weights, and a gradient function of (weights, step): a quadratic plus noise."""
    rng = np.random.default_rng(seed)
    w0 = [rng.standard_normal(s) for s in shapes]
    centers = [rng.standard_normal(s) for s in shapes]
    scales = [rng.uniform(0.5, 2.0, s) for s in shapes]
    noise = [[rng.standard_normal(s) * 0.3 for s in shapes] for _ in range(STEPS + 3)]

    def grad(ws, t):
        return [a * (backend.to_numpy(w) - c) + n
                for w, a, c, n in zip(ws, scales, centers, noise[t])]
    return w0, grad


def run_lamina(opt, w0, grad, steps=STEPS):
    vs = [Tensor(w.copy(), dtype=np.float64) for w in w0]
    for t in range(steps):
        opt.apply(grad([v.data for v in vs], t), vs)
    return [v.numpy() for v in vs]


def run_torch(make_opt, w0, grad, steps=STEPS):
    import torch
    ps = [torch.tensor(w.copy(), dtype=torch.float64, requires_grad=True) for w in w0]
    # torch keeps scalar state (NAdam's mu_product) in the default dtype: make it float64.
    old_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        opt = make_opt(ps)
        for t in range(steps):
            for p, g in zip(ps, grad([p.detach().numpy() for p in ps], t)):
                p.grad = torch.from_numpy(g)
            opt.step()
    finally:
        torch.set_default_dtype(old_dtype)
    return [p.detach().numpy() for p in ps]


def run_numpy(update, w0, grad, steps=STEPS):
    """Runs a NumPy transcription ``update(w, g, state, t)`` (t starts at 1) of a Keras rule."""
    ws = [w.copy() for w in w0]
    states = [{} for _ in ws]
    for t in range(steps):
        gs = grad(ws, t)
        ws = [update(w, g, s, t + 1) for w, g, s in zip(ws, gs, states)]
    return ws


def assert_all_close(a, b, rtol=1e-10, atol=1e-12):
    for x, y in zip(a, b):
        np.testing.assert_allclose(backend.to_numpy(x), backend.to_numpy(y), rtol=rtol, atol=atol)


# --- against PyTorch, with hyper-parameters chosen so the formulas coincide ---
# Keras adds epsilon inside the square root (RMSprop, Adagrad) or scales it with the
# bias correction (Adam), torch outside; with epsilon=0 the formulas are identical.
TORCH_CASES = {
    "sgd": (lambda: optimizers.SGD(0.1),
            lambda torch, ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum": (lambda: optimizers.SGD(0.1, momentum=0.9),
                     lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "sgd_nesterov": (lambda: optimizers.SGD(0.1, momentum=0.8, nesterov=True),
                     lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.8, nesterov=True)),
    "adam": (lambda: optimizers.Adam(0.05, epsilon=0.0),
             lambda torch, ps: torch.optim.Adam(ps, lr=0.05, eps=0.0)),
    "adam_amsgrad": (lambda: optimizers.Adam(0.05, beta_1=0.8, beta_2=0.9, epsilon=0.0,
                                             amsgrad=True),
                     lambda torch, ps: torch.optim.Adam(ps, lr=0.05, betas=(0.8, 0.9), eps=0.0,
                                                        amsgrad=True)),
    "adamw": (lambda: optimizers.AdamW(0.05, weight_decay=0.1, epsilon=0.0),
              lambda torch, ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.1, eps=0.0)),
    "rmsprop": (lambda: optimizers.RMSprop(0.01, rho=0.8, epsilon=0.0),
                lambda torch, ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.8, eps=0.0)),
    "rmsprop_momentum_centered": (
        lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=0.0, centered=True),
        lambda torch, ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.8, eps=0.0, momentum=0.5,
                                              centered=True)),
    "adagrad": (lambda: optimizers.Adagrad(0.1, epsilon=0.0),
                lambda torch, ps: torch.optim.Adagrad(ps, lr=0.1, initial_accumulator_value=0.1,
                                                      eps=0.0)),
    # Adadelta: both put epsilon inside the square roots; torch's default lr is 1.0.
    "adadelta": (lambda: optimizers.Adadelta(1.0),
                 lambda torch, ps: torch.optim.Adadelta(ps, lr=1.0, rho=0.95, eps=1e-7)),
    # Adamax: torch adds epsilon to |g| inside the max, Keras to u; equal with epsilon=0.
    "adamax": (lambda: optimizers.Adamax(0.05, epsilon=0.0),
               lambda torch, ps: torch.optim.Adamax(ps, lr=0.05, eps=0.0)),
    # Nadam: Keras's momentum schedule 0.96**t is torch's with momentum_decay=1.
    "nadam": (lambda: optimizers.Nadam(0.05),
              lambda torch, ps: torch.optim.NAdam(ps, lr=0.05, eps=1e-7, momentum_decay=1.0)),
}


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_matches_torch(case):
    import torch
    make_ours, make_theirs = TORCH_CASES[case]
    w0, grad = make_problem()
    ours = run_lamina(make_ours(), w0, grad)
    theirs = run_torch(lambda ps: make_theirs(torch, ps), w0, grad)
    assert_all_close(ours, theirs)
    # The weights moved: the comparison is not trivially between unchanged arrays.
    assert not np.allclose(ours[0], w0[0])


def test_adam_default_epsilon_close_to_torch():
    # Keras's epsilon acts as torch's epsilon divided by sqrt(1 - beta_2**t) (about 0.03 at
    # t=1): with |g| ~ 0.1 the steps differ by ~1e-7 / 0.03 / 0.1 = 3e-5 relative at most.
    import torch
    w0, grad = make_problem(1)
    ours = run_lamina(optimizers.Adam(0.05), w0, grad)
    theirs = run_torch(lambda ps: torch.optim.Adam(ps, lr=0.05, eps=1e-7), w0, grad)
    assert_all_close(ours, theirs, rtol=1e-4, atol=1e-6)
    assert not np.allclose(ours[0], run_lamina(optimizers.Adam(0.04), w0, grad)[0], rtol=1e-4)


# --- against NumPy transcriptions of Keras's update_step, at default epsilon ---
def keras_adam(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, s, t):
        m = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
        v = s.get("v", 0 * w) + (g * g - s.get("v", 0 * w)) * (1 - b2)
        s["m"], s["v"] = m, v
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - m * alpha / (np.sqrt(v) + eps)
    return update


def keras_rmsprop(lr, rho=0.9, eps=1e-7):
    def update(w, g, s, t):
        s["v"] = rho * s.get("v", 0 * w) + (1 - rho) * g * g
        return w - lr * g / np.sqrt(s["v"] + eps)
    return update


def keras_adagrad(lr, init=0.1, eps=1e-7):
    def update(w, g, s, t):
        s["acc"] = s.get("acc", 0 * w + init) + g * g
        return w - lr * g / np.sqrt(s["acc"] + eps)
    return update


def keras_adamax(lr, b1=0.9, b2=0.999, eps=1e-7):
    def update(w, g, s, t):
        s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - b1)
        s["u"] = np.maximum(b2 * s.get("u", 0 * w), np.abs(g))
        return w - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))
    return update


def keras_sgd_weight_decay(lr, wd):
    def update(w, g, s, t):
        w = w - w * wd * lr
        return w - g * lr
    return update


@pytest.mark.parametrize("ours, reference", [
    (lambda: optimizers.Adam(0.05), keras_adam(0.05)),
    (lambda: optimizers.RMSprop(0.01), keras_rmsprop(0.01)),
    (lambda: optimizers.Adagrad(0.1), keras_adagrad(0.1)),
    (lambda: optimizers.Adamax(0.05), keras_adamax(0.05)),
    (lambda: optimizers.SGD(0.1, weight_decay=0.2), keras_sgd_weight_decay(0.1, 0.2)),
], ids=["adam", "rmsprop", "adagrad", "adamax", "sgd_weight_decay"])
def test_matches_keras_transcription(ours, reference):
    w0, grad = make_problem(2)
    assert_all_close(run_lamina(ours(), w0, grad), run_numpy(reference, w0, grad))


def test_float32_updates_in_place(xp):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)
    g = rng.standard_normal((5, 4)).astype(np.float32)
    v = Tensor(xp.asarray(w0.copy()))
    data = v.data
    g_dev = xp.asarray(g)
    opt = optimizers.Adam(0.01)
    for _ in range(3):
        opt.apply([g_dev], [v])
    assert v.data is data and v.data.dtype == np.float32
    np.testing.assert_array_equal(g_dev.get() if hasattr(g_dev, "get") else g_dev, g)
    expected = run_numpy(keras_adam(0.01), [w0.astype(np.float64)], lambda ws, t: [g], steps=3)
    got = v.data.get() if hasattr(v.data, "get") else v.data
    np.testing.assert_allclose(got, expected[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(optimizers.ALL_OPTIMIZERS) - {"lossscaleoptimizer"}))
def test_gradients_are_not_modified(name):   # the wrapper: test_loss_scale_optimizer.py
    opt = optimizers.get({"class_name": name, "config": {"learning_rate": 0.1, "clipnorm": 0.5}})
    w0, grad = make_problem(4)
    vs = [Tensor(w.copy(), dtype=np.float64) for w in w0]
    gs = [backend.to_device(g) for g in grad(w0, 0)]
    saved = [backend.to_numpy(g).copy() for g in gs]
    opt.apply(gs, vs)
    opt.apply(gs, vs)
    assert_all_close([backend.to_numpy(g) for g in gs], saved, rtol=0, atol=0)
    assert opt.iterations == 2
    assert not np.allclose(vs[0].numpy(), w0[0])


# --- defaults and arguments ---
KERAS_DEFAULTS = {
    "SGD": dict(name="SGD", learning_rate=0.01, momentum=0.0, nesterov=False),
    "Adam": dict(name="adam", learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False),
    "AdamW": dict(name="adamw", learning_rate=0.001, weight_decay=0.004, beta_1=0.9,
                  beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "RMSprop": dict(name="rmsprop", learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                    centered=False),
    "Adagrad": dict(name="adagrad", learning_rate=0.001, initial_accumulator_value=0.1,
                    epsilon=1e-7),
    "Adadelta": dict(name="adadelta", learning_rate=0.001, rho=0.95, epsilon=1e-7),
    "Adamax": dict(name="adamax", learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    "Nadam": dict(name="nadam", learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


@pytest.mark.parametrize("cls_name", sorted(KERAS_DEFAULTS))
def test_keras_defaults(cls_name):
    config = getattr(optimizers, cls_name)().get_config()
    for key, value in KERAS_DEFAULTS[cls_name].items():
        assert config[key] == value, key
    if cls_name != "AdamW":
        assert config["weight_decay"] is None
    assert config["clipnorm"] is None and config["clipvalue"] is None


def test_lr_alias_and_learning_rate_property():
    opt = optimizers.SGD(lr=3e-3)
    assert float(opt.learning_rate) == 3e-3 and isinstance(opt.learning_rate, Variable)
    assert opt.get_config()["learning_rate"] == 3e-3
    opt.learning_rate = 0.01
    assert opt.learning_rate == 0.01 and opt.lr == 0.01
    opt.lr = np.float32(0.5)
    assert float(opt.learning_rate) == pytest.approx(0.5) and opt.learning_rate.numpy() == 0.5
    assert optimizers.Adam(lr=0.02).learning_rate == 0.02


def test_learning_rate_setter_takes_effect():
    v = Tensor(np.array([1.0]), dtype=np.float64)
    opt = optimizers.SGD(0.1)
    opt.apply([np.array([1.0])], [v])
    opt.learning_rate = 0.01
    opt.apply([np.array([1.0])], [v])
    np.testing.assert_allclose(v.numpy(), [1.0 - 0.1 - 0.01])


def test_bad_arguments():
    with pytest.raises(TypeError, match="betas"):
        optimizers.Adam(betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_legacy_decay_and_epsilon_none():
    # Keras 2: the rate at step t is lr / (1 + decay * t); epsilon=None meant 1e-7.
    v = Tensor(np.array([0.0]), dtype=np.float64)
    opt = optimizers.SGD(lr=0.1, decay=0.5)
    for _ in range(3):
        opt.apply([np.array([1.0])], [v])
    np.testing.assert_allclose(v.numpy(), [-0.1 * (1 + 1 / 1.5 + 1 / 2.0)])
    assert optimizers.Adam(epsilon=None).epsilon == 1e-7
    assert optimizers.SGD(lr=0.1, decay=0.5).get_config()["decay"] == 0.5


# --- clipping ---
def sgd_step(grads, **kwargs):
    """One SGD(lr=1) step from zero weights: returns minus the (clipped) gradients used."""
    vs = [Tensor(np.zeros_like(g), dtype=np.float64) for g in grads]
    optimizers.SGD(1.0, **kwargs).apply(grads, vs)
    return [-v.numpy() for v in vs]


def test_clipvalue():
    g = np.array([-3.0, -0.2, 0.4, 2.0])
    np.testing.assert_allclose(sgd_step([g], clipvalue=0.5)[0], [-0.5, -0.2, 0.4, 0.5])


def test_clipnorm_per_gradient():
    big, small = np.array([3.0, 4.0]), np.array([0.3, 0.4])
    used = sgd_step([big, small], clipnorm=1.0)
    np.testing.assert_allclose(used[0], [0.6, 0.8])      # norm 5 -> 1
    np.testing.assert_allclose(used[1], small)           # norm 0.5 <= 1: unchanged


def test_global_clipnorm():
    a, b = np.array([3.0, 0.0]), np.array([[0.0], [4.0]])
    used = sgd_step([a, b], global_clipnorm=2.5)          # joint norm 5 -> scale 0.5
    np.testing.assert_allclose(used[0], a * 0.5)
    np.testing.assert_allclose(used[1], b * 0.5)
    used = sgd_step([a, b], global_clipnorm=10.0)
    np.testing.assert_allclose(used[0], a)
    import torch
    ts = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    for t, g in zip(ts, (a, b)):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_norm_(ts, 2.5)
    assert_all_close(sgd_step([a, b], global_clipnorm=2.5), [t.grad.numpy() for t in ts],
                     rtol=1e-6, atol=1e-6)


# --- weight decay ---
def test_weight_decay_exclusion():
    kernel = Tensor(np.ones(3), dtype=np.float64, name="kernel")
    bias = Tensor(np.ones(3), dtype=np.float64, name="bias")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.zeros(3), np.zeros(3)], [kernel, bias])
    np.testing.assert_allclose(kernel.numpy(), 1 - 0.1 * 0.5)
    np.testing.assert_allclose(bias.numpy(), 1.0)


# --- schedules and callables ---
def test_schedule_read_at_iterations_before_update():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    v = Tensor(np.array([0.0]), dtype=np.float64)
    rates = []
    for _ in range(3):
        rates.append(opt.learning_rate)
        opt.apply([np.array([1.0])], [v])
    assert rates == [0.1, 0.05, 0.025]
    np.testing.assert_allclose(v.numpy(), [-(0.1 + 0.05 + 0.025)])
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.1
    assert optimizers.schedules.ExponentialDecay is schedules.ExponentialDecay


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda step: 1.0 / (step + 1))
    v = Tensor(np.array([0.0]), dtype=np.float64)
    for _ in range(3):
        opt.apply([np.array([1.0])], [v])
    np.testing.assert_allclose(v.numpy(), [-(1 + 1 / 2 + 1 / 3)])
    assert optimizers.SGD(learning_rate=lambda: 0.3).learning_rate == 0.3


# --- missing gradients, Tensors, step(), errors ---
def test_none_gradients_skipped_and_tensor_gradients():
    a = Tensor(np.ones(2), dtype=np.float64, name="a")
    b = Tensor(np.ones(2), dtype=np.float64, name="b")
    opt = optimizers.SGD(0.5)
    with pytest.warns(UserWarning, match="b"):
        opt.apply_gradients([(Tensor(np.ones(2), dtype=np.float64), a), (None, b)])
    np.testing.assert_allclose(a.numpy(), [0.5, 0.5])
    np.testing.assert_allclose(b.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply([None], [a])


def test_step_uses_grad_attribute():
    a = Tensor(np.array([1.0, 2.0]), dtype=np.float64, requires_grad=True)
    b = Tensor(np.array([1.0, 2.0]), dtype=np.float64, requires_grad=True)
    a.grad = Tensor(2 * a.data)
    with pytest.warns(UserWarning):
        optimizers.SGD(0.25).step([a, b])
    np.testing.assert_allclose(a.numpy(), [0.5, 1.0])
    np.testing.assert_allclose(b.numpy(), [1.0, 2.0])


def test_shape_mismatch_error():
    v = Tensor(np.zeros((2, 3)), name="kernel")
    with pytest.raises(ValueError, match=r"kernel.*\(2, 3\)"):
        optimizers.Adam().apply([np.zeros(3, dtype=np.float32)], [v])


# --- get / serialize / config ---
def test_get_by_name_case_insensitive():
    for name, cls in [("adam", optimizers.Adam), ("Adam", optimizers.Adam),
                      ("sgd", optimizers.SGD), ("SGD", optimizers.SGD),
                      ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
                      ("adamw", optimizers.AdamW), ("nadam", optimizers.Nadam),
                      ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
                      ("adamax", optimizers.Adamax)]:
        assert type(optimizers.get(name)) is cls
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


def test_get_errors_list_names():
    with pytest.raises(ValueError, match="adam") as info:
        optimizers.get("adamm")
    for name in ("sgd", "rmsprop", "nadam", "adamw"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3)


@pytest.mark.parametrize("opt", [
    optimizers.SGD(0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
    optimizers.Adam(0.002, beta_1=0.8, amsgrad=True, global_clipnorm=2.0),
    optimizers.AdamW(weight_decay=0.01),
    optimizers.RMSprop(rho=0.8, momentum=0.1, centered=True, clipvalue=0.5),
    optimizers.Adagrad(initial_accumulator_value=0.2),
    optimizers.Adadelta(1.0, rho=0.9),
    optimizers.Adamax(beta_2=0.99),
    optimizers.Nadam(name="my_nadam"),
    optimizers.Adam(schedules.CosineDecay(0.1, 1000, alpha=0.1)),
], ids=lambda o: o.name)
def test_config_round_trip(opt):
    config = opt.get_config()
    again = type(opt).from_config(config)
    assert again.get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert type(restored) is type(opt) and restored.get_config() == config
    assert optimizers.get(optimizers.serialize(opt)).get_config() == config


def test_config_serializes_schedule():
    opt = optimizers.SGD(schedules.ExponentialDecay(0.1, 100, 0.5, staircase=True))
    lr = opt.get_config()["learning_rate"]
    assert lr["class_name"] == "ExponentialDecay" and lr["config"]["staircase"] is True
    restored = optimizers.SGD.from_config(opt.get_config())
    assert isinstance(restored._learning_rate, schedules.ExponentialDecay)
    assert restored.learning_rate == 0.1


# --- state ---
def test_variables_order_and_set_state_resumes_training():
    w0, grad = make_problem(5)
    vs = [Tensor(w.copy(), dtype=np.float64) for w in w0]
    opt = optimizers.Adam(0.05)
    for t in range(3):
        opt.apply(grad([v.data for v in vs], t), vs)
    variables = opt.variables
    # Keras's order: iterations, learning_rate, then momentum/velocity interleaved per weight.
    assert int(variables[0]) == 3 and float(variables[1]) == pytest.approx(0.05)
    assert [a.shape for a in variables[2:]] == [s for s in SHAPES for _ in range(2)]
    state = opt.get_state()

    copies = [Tensor(v.data.copy(), dtype=np.float64) for v in vs]
    fresh = optimizers.Adam(0.5)
    fresh.build(copies)
    fresh.set_state(state)
    assert fresh.iterations == 3 and float(fresh.learning_rate) == pytest.approx(0.05)
    for t in range(3, 5):
        opt.apply(grad([v.data for v in vs], t), vs)
        fresh.apply(grad([v.data for v in copies], t), copies)
    assert_all_close([v.data for v in vs], [v.data for v in copies], rtol=1e-6, atol=1e-12)

    with pytest.raises(ValueError, match="state arrays"):
        optimizers.Adam().set_state(state)


def test_nadam_state_includes_u_product():
    w0, grad = make_problem(6)
    vs = [Tensor(w.copy(), dtype=np.float64) for w in w0]
    opt = optimizers.Nadam(0.05)
    opt.apply(grad(w0, 0), vs)
    copies = [Tensor(v.data.copy(), dtype=np.float64) for v in vs]
    fresh = optimizers.Nadam(0.05)
    fresh.build(copies)
    assert len(fresh.variables) == 2 + 2 * len(SHAPES) + 1
    fresh.set_state(opt.get_state())
    opt.apply(grad([v.data for v in vs], 1), vs)
    fresh.apply(grad([v.data for v in copies], 1), copies)
    assert_all_close([v.data for v in vs], [v.data for v in copies], rtol=1e-6)


def test_save_and_load_own_variables():
    v = Tensor(np.ones(3), dtype=np.float64)
    opt = optimizers.RMSprop(0.1, momentum=0.5)
    opt.apply([np.array([1.0, 2.0, 3.0])], [v])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"]
    other = optimizers.RMSprop(0.1, momentum=0.5)
    other.build([v])
    other.load_own_variables(store)
    assert_all_close(other.variables[2:], opt.variables[2:], rtol=0, atol=0)


def test_loss_scale_factor_and_unsupported_options():
    opt = optimizers.SGD(1.0, loss_scale_factor=4.0)
    assert opt.scale_loss(2.0) == 8.0
    assert_all_close(sgd_step([np.array([4.0, -8.0])], loss_scale_factor=4.0), [[1.0, -2.0]])
    with pytest.raises(NotImplementedError, match="use_ema"):
        optimizers.Adam(use_ema=True)
    # A Keras config with the default values of these options loads.
    assert optimizers.Adam.from_config(optimizers.Adam().get_config()).name == "adam"
