"""The fused SimpleRNN/LSTM/GRU ops against their step-by-step twins in lamina.reference:
equal outputs and equal gradients (random upstream on every output), float64."""
import numpy as np
import pytest

from lamina import ops
from lamina.autograd import Tensor
from lamina.reference import recurrent as plain

B, T, D, U = 3, 5, 4, 3
MASK = np.array([[True, True, False, True, True], [False, True, True, False, True],
                 [True, True, True, True, True]])
OPTIONS = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "go_backwards": True},
    {"return_sequences": True, "mask": MASK},
    {"mask": MASK, "go_backwards": True},
    {"return_sequences": True, "mask": MASK, "go_backwards": True,
     "dropout_mask": np.array([[2.0, 0.0, 2.0, 2.0], [0.0, 2.0, 2.0, 0.0], [2.0, 2.0, 0.0, 2.0]]),
     "recurrent_dropout_mask": np.array([[2.0, 0.0, 2.0], [2.0, 2.0, 0.0], [0.0, 2.0, 2.0]])},
    {"return_sequences": True, "activation": "relu", "recurrent_activation": "hard_sigmoid"},
    {"activation": "sigmoid", "recurrent_activation": "tanh"},
    {"return_sequences": True, "activation": "linear"},
]


def weights(gates, seed, bias_shape=None, n_states=1, bias=True):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((B, T, D)), rng.standard_normal((D, gates * U)) * 0.5,
              rng.standard_normal((U, gates * U)) * 0.5]
    arrays.append(rng.standard_normal(bias_shape or (gates * U,)) if bias else None)
    arrays += [rng.standard_normal((B, U)) for _ in range(n_states)]
    return arrays


def outputs_and_gradients(fn, arrays, seed=7, **options):
    """Runs ``fn(x, W, U, b, [states])``, then backward of sum(random * output) over all outputs."""
    ts = [None if a is None else Tensor(a, requires_grad=True, dtype=np.float64) for a in arrays]
    outs = fn(ts[0], ts[1], ts[2], ts[3], ts[4:], **options)
    rng = np.random.default_rng(seed)
    loss = ops.sum(ops.stack([ops.sum(o * rng.standard_normal(o.shape)) for o in outs]))
    loss.backward()
    return [o.numpy() for o in outs], [t.grad.numpy() for t in ts if t is not None]


def assert_twins_agree(fast, reference, arrays, **options):
    fast_outs, fast_grads = outputs_and_gradients(fast, arrays, **options)
    plain_outs, plain_grads = outputs_and_gradients(reference, arrays, **options)
    assert len(fast_outs) == len(plain_outs)
    for a, b in zip(fast_outs + fast_grads, plain_outs + plain_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", OPTIONS)
def test_lstm_equals_its_step_by_step_twin(options):
    assert_twins_agree(ops.lstm, plain.lstm, weights(4, 1, n_states=2), **options)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("options", OPTIONS)
def test_gru_equals_its_step_by_step_twin(reset_after, options):
    arrays = weights(3, 2, bias_shape=(2, 3 * U) if reset_after else None)
    assert_twins_agree(ops.gru, plain.gru, arrays, reset_after=reset_after, **options)


@pytest.mark.parametrize("options", OPTIONS)
def test_simple_rnn_equals_its_step_by_step_twin(options):
    assert_twins_agree(ops.simple_rnn, plain.simple_rnn, weights(1, 3), **options)


@pytest.mark.parametrize("name, gates, n_states", [("lstm", 4, 2), ("gru", 3, 1),
                                                   ("simple_rnn", 1, 1)])
def test_twins_agree_without_a_bias(name, gates, n_states):
    arrays = weights(gates, 4, n_states=n_states, bias=False)
    extra = {"reset_after": False} if name == "gru" else {}
    assert_twins_agree(getattr(ops, name), getattr(plain, name), arrays, mask=MASK, **extra)


def test_a_wrong_twin_is_caught():
    """The comparison can fail: a twin with the forget gate's bias dropped disagrees."""
    arrays = weights(4, 5, n_states=2)
    arrays[3] = arrays[3].copy()

    def broken(x, W, Uk, b, states, **options):
        b = b * Tensor(np.r_[np.ones(U), np.zeros(U), np.ones(2 * U)])
        return plain.lstm(x, W, Uk, b, states, **options)
    with pytest.raises(AssertionError):
        assert_twins_agree(ops.lstm, broken, arrays)
