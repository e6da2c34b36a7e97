"""Each optimizer's fast in-place ``update_step`` against its ``plain_update_step`` twin,
over several steps, in float32 and float64, with weight decay, schedules and clipping; and
the learning rate is read at every step."""
import numpy as np
import pytest

from lamina import backend, optimizers, schedules
from lamina.autograd import Tensor

SHAPES = [(4, 3), (3,)]
STEPS = 6

# name: (class, learning rate, keyword arguments)
CONFIGS = {
    "sgd": (optimizers.SGD, 0.1, {}),
    "sgd_momentum": (optimizers.SGD, 0.1, {"momentum": 0.9}),
    "sgd_nesterov": (optimizers.SGD, 0.1, {"momentum": 0.9, "nesterov": True}),
    "adam": (optimizers.Adam, 0.05, {}),
    "adam_amsgrad": (optimizers.Adam, 0.05, {"amsgrad": True}),
    "adamw": (optimizers.AdamW, 0.05, {"weight_decay": 0.1}),
    "rmsprop": (optimizers.RMSprop, 0.01, {}),
    "rmsprop_centered_momentum": (optimizers.RMSprop, 0.01, {"centered": True, "momentum": 0.5}),
    "adagrad": (optimizers.Adagrad, 0.1, {}),
    "adadelta": (optimizers.Adadelta, 1.0, {}),
    "adamax": (optimizers.Adamax, 0.05, {}),
    "nadam": (optimizers.Nadam, 0.05, {}),
}
OPTIONS = {
    "none": {},
    "weight_decay": {"weight_decay": 0.05},
    "schedule": {"learning_rate": "schedule"},
    "clipnorm": {"clipnorm": 0.5},
    "clipvalue": {"clipvalue": 0.3},
    "global_clipnorm": {"global_clipnorm": 0.8},
}


def make(name, option="none"):
    cls, lr, kwargs = CONFIGS[name]
    kwargs = {**kwargs, **OPTIONS[option]}
    if kwargs.get("learning_rate") == "schedule":
        kwargs["learning_rate"] = schedules.ExponentialDecay(lr, decay_steps=2, decay_rate=0.5)
    else:
        kwargs.setdefault("learning_rate", lr)
    return cls(**kwargs)


def use_plain_twin(opt):
    """Makes ``opt`` update through ``plain_update_step``, writing its results back."""
    def update_step(g, w, s, lr):
        before = backend.to_numpy(w).copy(), {k: backend.to_numpy(a).copy()
                                                for k, a in s.slots.items()}
        new_w, new_slots = opt.plain_update_step(g, w, s.slots, lr)
        np.testing.assert_array_equal(backend.to_numpy(w), before[0])   # the twin modifies nothing
        for k, a in s.slots.items():
            np.testing.assert_array_equal(backend.to_numpy(a), before[1][k])
        assert set(new_slots) == set(s.slots)
        w[...] = new_w
        for k, a in new_slots.items():
            s.slots[k][...] = a
    opt.update_step = update_step
    return opt


def gradients(dtype, steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]


def run(opt, dtype, grads):
    rng = np.random.default_rng(1)
    ws = [Tensor(rng.standard_normal(s).astype(dtype), dtype=dtype) for s in SHAPES]
    for gs in grads:
        opt.apply(gs, ws)
    return [w.numpy() for w in ws], opt


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize("name", list(CONFIGS))
def test_fast_update_equals_plain_twin(name, option, dtype, rtol):
    grads = gradients(dtype)
    fast, fast_opt = run(make(name, option), dtype, grads)
    plain, plain_opt = run(use_plain_twin(make(name, option)), dtype, grads)
    for a, b in zip(fast, plain):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    for a, b in zip(fast_opt.get_state(), plain_opt.get_state()):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    start = run(make(name, option), dtype, grads[:0])[0]
    assert not np.allclose(fast[0], start[0])   # the weights did move


def clone(opt, name, ws):
    """A second optimizer of the same kind, in ``opt``'s state (saved scalars are float32)."""
    copies = [Tensor(w.numpy().copy(), dtype=w.dtype) for w in ws]
    other = make(name)
    other.build(copies)
    other.set_state(opt.get_state())
    return other, copies


# Optimizers whose step is proportional to the learning rate when it is the only change.
LINEAR_IN_LR = ["sgd", "adam", "adam_amsgrad", "rmsprop", "adagrad", "adadelta", "adamax",
                "nadam"]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_changing_learning_rate_between_steps_changes_the_update(name):
    grads = gradients(np.float64, steps=3)
    rng = np.random.default_rng(1)
    ws = [Tensor(rng.standard_normal(s), dtype=np.float64) for s in SHAPES]
    opt = make(name)
    for gs in grads[:2]:
        opt.apply(gs, ws)
    faster, faster_ws = clone(opt, name, ws)
    faster.learning_rate = 3 * opt.learning_rate
    plain, plain_ws = clone(opt, name, ws)
    use_plain_twin(plain).learning_rate = 3 * opt.learning_rate
    before = [w.numpy().copy() for w in ws]
    for o, vs in ((opt, ws), (faster, faster_ws), (plain, plain_ws)):
        o.apply(grads[2], vs)
    for w0, w, w_fast, w_plain in zip(before, ws, faster_ws, plain_ws):
        assert not np.allclose(w_fast.numpy() - w0, w.numpy() - w0)
        np.testing.assert_allclose(w_fast.numpy(), w_plain.numpy(), rtol=1e-12)
        if name in LINEAR_IN_LR:
            np.testing.assert_allclose(w_fast.numpy() - w0, 3 * (w.numpy() - w0), rtol=1e-6)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_update_step_uses_the_learning_rate_it_is_given(name):
    """``update_step(g, w, s, lr)`` scales with ``lr``, read there and nowhere else."""
    g = backend.to_device(np.random.default_rng(2).standard_normal((3,)))
    steps = []
    for lr in (0.01, 0.02):
        opt = make(name)
        w = Tensor(np.ones(3), dtype=np.float64)
        opt.build([w])
        opt._prepare_step()
        opt.update_step(g, w.data, opt._states[id(w)], lr)
        steps.append(w.numpy() - 1.0)
    np.testing.assert_allclose(steps[1], 2 * steps[0], rtol=1e-12)
