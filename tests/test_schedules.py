"""Learning-rate schedules: values against closed forms and PyTorch, config round trips."""
import math

import numpy as np
import pytest

from lamina import schedules

STEPS = [0, 1, 5, 10, 15, 99, 100, 101, 150, 1000]


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(10) == pytest.approx(0.05)
    assert s(15) == pytest.approx(0.1 * 0.5 ** 1.5)
    assert s(20) == pytest.approx(0.025)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(t) for t in (0, 9, 10, 19, 20)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert isinstance(s(np.int64(3)), float)


def test_exponential_decay_matches_torch():
    import torch
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    ours = schedules.ExponentialDecay(0.3, decay_steps=1, decay_rate=0.9)
    for t in range(20):
        assert ours(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        sched.step()


def test_piecewise_constant_decay():
    s = schedules.PiecewiseConstantDecay([100, 110], [1.0, 0.5, 0.1])
    expected = {0: 1.0, 99: 1.0, 100: 1.0, 101: 0.5, 110: 0.5, 111: 0.1, 10**6: 0.1}
    for step, value in expected.items():
        assert s(step) == value, step
    with pytest.raises(ValueError, match="length"):
        schedules.PiecewiseConstantDecay([100], [1.0])
    with pytest.raises(ValueError, match="increasing"):
        schedules.PiecewiseConstantDecay([100, 50], [1.0, 0.5, 0.1])


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0)
    assert [s(t) for t in (0, 5, 10, 30)] == pytest.approx([1.0, 1 / 1.5, 0.5, 0.25])
    stairs = schedules.InverseTimeDecay(1.0, decay_steps=10, decay_rate=1.0, staircase=True)
    assert [stairs(t) for t in (5, 15, 25)] == pytest.approx([1.0, 0.5, 1 / 3])


def test_cosine_decay_closed_form_and_torch():
    s = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    for t in STEPS:
        p = min(t, 100) / 100
        assert s(t) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)), rel=1e-12)
    assert schedules.CosineDecay(2.0, 100)(50) == pytest.approx(1.0)
    assert schedules.CosineDecay(2.0, 100)(500) == pytest.approx(0.0, abs=1e-12)
    import torch
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=0.1)
    for t in range(101):
        assert s(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        sched.step()


def test_cosine_decay_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    assert [s(t) for t in (0, 5, 10)] == pytest.approx([0.0, 0.5, 1.0])
    assert s(60) == pytest.approx(0.5)
    assert s(110) == pytest.approx(0.0, abs=1e-12)
    assert s(10_000) == pytest.approx(0.0, abs=1e-12)


def test_polynomial_decay():
    s = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    assert [s(t) for t in (0, 5, 10, 20)] == pytest.approx([1.0, 0.25, 0.0, 0.0])
    cyc = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert cyc(15) == pytest.approx(1 - 15 / 20)


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert s(0) == pytest.approx(1.0)
    assert s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(0.5)            # restart 1 at m_mul
    assert s(20) == pytest.approx(0.25)           # halfway through the 20-step period
    assert s(30) == pytest.approx(0.25)           # restart 2 at m_mul**2
    same = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    assert [same(t) for t in (3, 13, 23)] == pytest.approx([same(3)] * 3)


def test_decay_steps_must_be_positive():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.CosineDecay(0.1, decay_steps=-1)


ALL = [
    schedules.ExponentialDecay(0.1, 100, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
    schedules.PolynomialDecay(0.1, 100, 0.01, power=0.5),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=5),
    schedules.CosineDecayRestarts(0.1, 10),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert type(restored) is type(schedule) and restored.get_config() == config
    assert schedules.get(schedules.serialize(schedule)).get_config() == config
    assert [restored(t) for t in STEPS] == [schedule(t) for t in STEPS]


def test_get_and_deserialize_errors():
    s = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert schedules.get(s) is s
    assert schedules.get(None) is None
    with pytest.raises(ValueError, match="ExponentialDecay") as info:
        schedules.deserialize({"class_name": "Nope", "config": {}})
    assert "CosineDecay" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret"):
        schedules.get("cosine")


def test_custom_schedule_base_class():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, start):
            self.start = start

        def __call__(self, step):
            return self.start / 2 ** step

        def get_config(self):
            return {"start": self.start}

    s = Halving(1.0)
    assert s(3) == 0.125
    config = schedules.serialize(s)
    restored = schedules.deserialize(config, custom_objects={"Halving": Halving})
    assert restored(2) == 0.25
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
