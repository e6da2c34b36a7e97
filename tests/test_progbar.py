"""Progbar prints Keras 2's exact text, cheaply."""
import sys
import types

import numpy as np
import pytest

from lamina.utils import Progbar
from lamina import progbar as progbar_module


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=clock.time))
    return clock


@pytest.fixture
def terminal(monkeypatch):
    """Makes the progbar believe it runs in a notebook (a dynamic display)."""
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))


def run_epoch(clock, bar, losses, accs, step_time):
    for i, (loss, acc) in enumerate(zip(losses, accs), start=1):
        clock.now += step_time
        bar.update(i, [("loss", loss), ("accuracy", acc)])


def test_file_output_is_one_final_line(clock, capsys):
    rng = np.random.default_rng(0)
    losses, accs = rng.uniform(0.1, 0.5, 1875), rng.uniform(0.8, 1.0, 1875)
    bar = Progbar(1875)
    run_epoch(clock, bar, losses, accs, 0.0032)
    out = capsys.readouterr().out
    expected = ("1875/1875 [==============================] - 6s 3ms/step"
                f" - loss: {losses.mean():.4f} - accuracy: {accs.mean():.4f}\n")
    assert out == expected


def test_verbose_2_line(clock, capsys):
    rng = np.random.default_rng(1)
    losses, accs = rng.uniform(0.1, 0.5, 1875), rng.uniform(0.8, 1.0, 1875)
    bar = Progbar(1875, verbose=2)
    run_epoch(clock, bar, losses, accs, 0.0032)
    out = capsys.readouterr().out
    expected = (f"1875/1875 - 6s - loss: {losses.mean():.4f} - accuracy: {accs.mean():.4f}"
                " - 6s/epoch - 3ms/step\n")
    assert out == expected


def test_verbose_0_prints_nothing(clock, capsys):
    bar = Progbar(10, verbose=0)
    run_epoch(clock, bar, [0.5] * 10, [0.5] * 10, 1.0)
    assert capsys.readouterr().out == ""


def test_small_values_use_scientific_notation(clock, capsys):
    bar = Progbar(4, verbose=2)
    for i in range(1, 5):
        clock.now += 2.0
        bar.update(i, [("loss", 4e-4 * i), ("zero", 0.0), ("neg", -0.25), ("tiny_neg", -2e-4)])
    # loss averages to 1e-3 exactly, which Keras 2 still writes as 1.0000e-03.
    assert capsys.readouterr().out == (
        "4/4 - 8s - loss: 1.0000e-03 - zero: 0.0000e+00 - neg: -0.2500 - tiny_neg: -2.0000e-04"
        " - 8s/epoch - 2s/step\n")


def test_bar_in_the_middle_redraws_in_place(clock, terminal, capsys):
    bar = Progbar(100)
    clock.now += 1.0
    bar.update(1, [("loss", 0.9)])
    first = capsys.readouterr().out
    assert first == "\r  1/100 [..............................] - ETA: 1:39 - loss: 0.9000"
    clock.now += 49.0
    bar.update(50, [("loss", 0.5)])
    # 50 steps weighted: (1 * 0.9 + 49 * 0.5) / 50; one second per step after the first.
    middle = capsys.readouterr().out
    assert middle == ("\b" * len(first[1:]) + "\r"
                      " 50/100 [==============>...............] - ETA: 50s"
                      f" - loss: {(0.9 + 49 * 0.5) / 50:.4f}"
                      " ")  # blanks the last character of the longer first line
    clock.now += 50.0
    bar.update(100, [("loss", 0.1)])
    assert capsys.readouterr().out == (
        "\b" * len(middle.lstrip("\b\r").rstrip(" ")) + "\r"  # as Keras 2: padding not counted
        "100/100 [==============================] - 100s 1s/step"
        f" - loss: {(0.9 + 49 * 0.5 + 50 * 0.1) / 100:.4f}\n")


def test_redraw_waits_for_interval(clock, terminal, capsys):
    bar = Progbar(1000, interval=0.05)
    clock.now += 0.01
    bar.update(1, [("loss", 1.0)])
    assert capsys.readouterr().out != ""
    for i in range(2, 50):
        clock.now += 0.001  # 48 ms in all: no redraw
        bar.update(i, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    clock.now += 0.01
    bar.update(50, [("loss", 1.0)])
    assert "\r  50/1000 [>......" in capsys.readouterr().out


def test_no_output_before_the_end_when_not_a_terminal(clock, capsys):
    bar = Progbar(10)
    for i in range(1, 10):
        clock.now += 5.0
        bar.update(i)
    assert capsys.readouterr().out == ""
    clock.now += 5.0
    bar.update(10)
    assert capsys.readouterr().out == "10/10 [==============================] - 50s 5s/step\n"


def test_shorter_line_blanks_the_rest(clock, terminal, capsys):
    bar = Progbar(10)
    clock.now += 36000.0  # a very slow first step: a long ETA
    bar.update(1)
    first = " 1/10 [==>...........................] - ETA: 90:00:00"
    assert capsys.readouterr().out == "\r" + first
    clock.now += 1.0
    bar.update(2)
    # Keras 2 pads with spaces to cover the rest of the previous, longer line.
    second = " 2/10 [=====>........................] - ETA: 8s"
    assert capsys.readouterr().out == "\b" * len(first) + "\r" + second + " " * (len(first) - len(second))


def test_stateful_metrics_are_shown_as_given_and_add_advances(clock, capsys):
    bar = Progbar(4, stateful_metrics=["acc"], verbose=2)
    clock.now += 1.0
    bar.add(2, [("loss", 1.0), ("acc", 0.25)])
    clock.now += 1.0
    bar.add(2, [("loss", 3.0), ("acc", 0.75)])
    assert capsys.readouterr().out == "4/4 - 2s - loss: 2.0000 - acc: 0.7500 - 2s/epoch - 500ms/step\n"


def test_unknown_target_and_microseconds(clock, terminal, capsys):
    bar = Progbar(None, unit_name="byte")
    clock.now += 0.0005
    bar.update(1000, finalize=True)
    assert capsys.readouterr().out == "\r   1000/Unknown - 0s 0us/byte\n"
    bar = Progbar(2000)
    clock.now += 0.002
    bar.update(2000)
    assert capsys.readouterr().out.endswith("2000/2000 [==============================] - 0s 1us/step\n")


def test_bad_verbose():
    with pytest.raises(ValueError, match="got 3"):
        Progbar(10, verbose=3)
