"""Recurrent ops: whole-sequence SimpleRNN, LSTM and GRU Functions, and the embedding lookup."""
import numpy as np
import pytest

from lamina import ops
from lamina.autograd import Tensor, gradcheck
from lamina.ops import recurrent as R

B, T, D, U = 2, 4, 3, 2


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def steps(mask, backwards):
    order = range(T - 1, -1, -1) if backwards else range(T)
    return [(t, None if mask is None else mask[:, t:t + 1]) for t in order]


def np_simple_rnn(x, W, Uk, b, h, mask=None, backwards=False):
    outs = []
    for t, keep in steps(mask, backwards):
        new = np.tanh(x[:, t] @ W + h @ Uk + b)
        h = new if keep is None else np.where(keep, new, h)
        outs.append(h)
    return np.stack(outs, 1), h


def np_lstm(x, W, Uk, b, h, c, mask=None, backwards=False):
    u, outs = Uk.shape[0], []
    for t, keep in steps(mask, backwards):
        z = x[:, t] @ W + h @ Uk + b
        i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
        g, o = np.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        h = h_new if keep is None else np.where(keep, h_new, h)
        c = c_new if keep is None else np.where(keep, c_new, c)
        outs.append(h)
    return np.stack(outs, 1), h, c


def np_gru(x, W, Uk, b, h, reset_after=True, mask=None, backwards=False):
    u, outs = Uk.shape[0], []
    bx, bh = (b[0], b[1]) if reset_after else (b, np.zeros(3 * u))
    for t, keep in steps(mask, backwards):
        xw = x[:, t] @ W + bx
        if reset_after:
            hu = h @ Uk + bh
            z = sigmoid(xw[:, :u] + hu[:, :u])
            r = sigmoid(xw[:, u:2 * u] + hu[:, u:2 * u])
            hh = np.tanh(xw[:, 2 * u:] + r * hu[:, 2 * u:])
        else:
            z = sigmoid(xw[:, :u] + h @ Uk[:, :u])
            r = sigmoid(xw[:, u:2 * u] + h @ Uk[:, u:2 * u])
            hh = np.tanh(xw[:, 2 * u:] + (r * h) @ Uk[:, 2 * u:])
        new = z * h + (1 - z) * hh
        h = new if keep is None else np.where(keep, new, h)
        outs.append(h)
    return np.stack(outs, 1), h


def arrays(k, seed=0, bias_shape=None):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, D))
    W = rng.standard_normal((D, k * U)) * 0.6
    Uk = rng.standard_normal((U, k * U)) * 0.6
    b = rng.standard_normal(bias_shape or (k * U,)) * 0.5
    h0, c0 = rng.standard_normal((B, U)), rng.standard_normal((B, U))
    return x, W, Uk, b, h0, c0


MASK = np.array([[True, True, False, True], [False, True, True, False]])
OPTIONS = [{}, {"go_backwards": True}, {"mask": MASK}, {"mask": MASK, "go_backwards": True}]


def f64(*arrays):
    return [Tensor(a, dtype="float64") for a in arrays]


@pytest.mark.parametrize("options", OPTIONS)
def test_lstm_matches_a_numpy_loop_of_keras_equations(options):
    x, W, Uk, b, h0, c0 = arrays(4)
    y, h, c = R.lstm(*f64(x, W, Uk, b), initial_state=f64(h0, c0), return_sequences=True,
                     **options)
    ey, eh, ec = np_lstm(x, W, Uk, b, h0, c0, options.get("mask"), options.get("go_backwards"))
    np.testing.assert_allclose(y.numpy(), ey, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), eh, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), ec, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("options", OPTIONS)
def test_gru_matches_a_numpy_loop_of_keras_equations(reset_after, options):
    x, W, Uk, b, h0, _ = arrays(3, bias_shape=(2, 3 * U) if reset_after else None)
    y, h = R.gru(*f64(x, W, Uk, b), initial_state=f64(h0), reset_after=reset_after,
                 return_sequences=True, **options)
    ey, eh = np_gru(x, W, Uk, b, h0, reset_after, options.get("mask"),
                    options.get("go_backwards"))
    np.testing.assert_allclose(y.numpy(), ey, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), eh, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", OPTIONS)
def test_simple_rnn_matches_a_numpy_loop(options):
    x, W, Uk, b, h0, _ = arrays(1)
    y, h = R.simple_rnn(*f64(x, W, Uk, b), initial_state=f64(h0), return_sequences=True,
                        **options)
    ey, eh = np_simple_rnn(x, W, Uk, b, h0, options.get("mask"), options.get("go_backwards"))
    np.testing.assert_allclose(y.numpy(), ey, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), eh, rtol=1e-10, atol=1e-12)


def test_without_return_sequences_the_output_is_the_last_state():
    x, W, Uk, b, h0, c0 = arrays(4)
    out, h, c = R.lstm(*f64(x, W, Uk, b), initial_state=f64(h0, c0))
    assert out.shape == (B, U) and out is h
    seq = R.lstm(*f64(x, W, Uk, b), initial_state=f64(h0, c0), return_sequences=True)[0]
    np.testing.assert_allclose(out.numpy(), seq.numpy()[:, -1], rtol=1e-12)


def test_an_all_true_mask_changes_nothing_and_zero_states_are_the_default():
    x, W, Uk, b, _, _ = arrays(3, bias_shape=(2, 3 * U))
    plain = R.gru(*f64(x, W, Uk, b), return_sequences=True)[0].numpy()
    masked = R.gru(*f64(x, W, Uk, b), return_sequences=True,
                   mask=np.ones((B, T), bool))[0].numpy()
    np.testing.assert_array_equal(plain, masked)
    np.testing.assert_allclose(plain, np_gru(x, W, Uk, b, np.zeros((B, U)))[0], rtol=1e-10)


GRAD_OPTIONS = [
    {"return_sequences": True},
    {"mask": MASK, "go_backwards": True},
    {"return_sequences": True, "mask": MASK, "go_backwards": True,
     "dropout_mask": np.array([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]]),
     "recurrent_dropout_mask": np.array([[2.0, 0.0], [2.0, 2.0]])},
    {"return_sequences": True, "mask": MASK, "activation": "relu",
     "recurrent_activation": "hard_sigmoid"},
    {"activation": "sigmoid", "recurrent_activation": "tanh"},
    {"return_sequences": True, "activation": "linear", "recurrent_activation": "sigmoid"},
]


def flat(outs):
    """Every output of an op in one (batch, n) tensor, so one random upstream covers all."""
    return ops.concatenate([ops.reshape(o, (B, -1)) for o in outs], axis=1)


@pytest.mark.parametrize("options", GRAD_OPTIONS)
def test_lstm_gradcheck(options):
    x, W, Uk, b, h0, c0 = arrays(4, seed=1)
    assert gradcheck(lambda x, W, Uk, b, h, c: flat(R.lstm(x, W, Uk, b, [h, c], **options)),
                     x, W, Uk, b, h0, c0)


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("options", GRAD_OPTIONS)
def test_gru_gradcheck(reset_after, options):
    x, W, Uk, b, h0, _ = arrays(3, seed=2, bias_shape=(2, 3 * U) if reset_after else None)
    assert gradcheck(lambda x, W, Uk, b, h: flat(R.gru(x, W, Uk, b, [h], reset_after=reset_after,
                                                       **options)), x, W, Uk, b, h0)


@pytest.mark.parametrize("options", GRAD_OPTIONS)
def test_simple_rnn_gradcheck(options):
    x, W, Uk, b, h0, _ = arrays(1, seed=3)
    assert gradcheck(lambda x, W, Uk, b, h: flat(R.simple_rnn(x, W, Uk, b, [h], **options)),
                     x, W, Uk, b, h0)


def test_ops_without_a_bias_gradcheck():
    x, W, Uk, _, h0, c0 = arrays(4, seed=4)
    assert gradcheck(lambda x, W, Uk, h, c: flat(R.lstm(x, W, Uk, None, [h, c], mask=MASK)),
                     x, W, Uk, h0, c0)
    assert gradcheck(lambda x, W, Uk, h: flat(R.gru(x, W, Uk, None, [h], reset_after=False)),
                     x, W[:, :3 * U], Uk[:, :3 * U], h0)


def backward_all(outs, seed):
    """Backward of sum(random * output) over every output; returns the upstream arrays."""
    rng = np.random.default_rng(seed)
    gys = [rng.standard_normal(o.shape) for o in outs]
    loss = ops.sum(ops.stack([ops.sum(o * g) for o, g in zip(outs, gys)]))
    loss.backward()
    return gys


def test_lstm_forward_and_backward_match_pytorch():
    import torch
    x, W, Uk, b, h0, c0 = arrays(4, seed=5)
    ts = [Tensor(a, requires_grad=True, dtype="float64") for a in (x, W, Uk, b, h0, c0)]
    outs = R.lstm(ts[0], ts[1], ts[2], ts[3], [ts[4], ts[5]], return_sequences=True)
    gys = backward_all(outs, 6)
    lstm = torch.nn.LSTM(D, U, batch_first=True).double()
    with torch.no_grad():  # torch's gate order i, f, g, o is Keras's i, f, c, o
        lstm.weight_ih_l0.copy_(torch.tensor(W.T))
        lstm.weight_hh_l0.copy_(torch.tensor(Uk.T))
        lstm.bias_ih_l0.copy_(torch.tensor(b))
        lstm.bias_hh_l0.zero_()
    px, ph, pc = (torch.tensor(a, requires_grad=True) for a in (x, h0[None], c0[None]))
    py, (phT, pcT) = lstm(px, (ph, pc))
    for got, want in zip(outs, (py, phT[0], pcT[0])):
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((p * torch.tensor(g)).sum() for p, g in zip((py, phT[0], pcT[0]), gys)).backward()
    pairs = [(ts[0], px.grad), (ts[1], lstm.weight_ih_l0.grad.T), (ts[2], lstm.weight_hh_l0.grad.T),
             (ts[3], lstm.bias_ih_l0.grad), (ts[4], ph.grad[0]), (ts[5], pc.grad[0])]
    for t, want in pairs:
        np.testing.assert_allclose(t.grad.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)


def test_gru_forward_and_backward_match_pytorch():
    import torch
    x, W, Uk, b, h0, _ = arrays(3, seed=7, bias_shape=(2, 3 * U))
    ts = [Tensor(a, requires_grad=True, dtype="float64") for a in (x, W, Uk, b, h0)]
    outs = R.gru(ts[0], ts[1], ts[2], ts[3], [ts[4]], return_sequences=True)
    gys = backward_all(outs, 8)

    def rzn(a):  # Keras z, r, h blocks (last axis) -> torch r, z, n
        return np.concatenate([a[..., U:2 * U], a[..., :U], a[..., 2 * U:]], axis=-1)

    gru = torch.nn.GRU(D, U, batch_first=True).double()
    with torch.no_grad():  # torch's GRU is Keras's reset_after=True form
        gru.weight_ih_l0.copy_(torch.tensor(rzn(W).T))
        gru.weight_hh_l0.copy_(torch.tensor(rzn(Uk).T))
        gru.bias_ih_l0.copy_(torch.tensor(rzn(b[0])))
        gru.bias_hh_l0.copy_(torch.tensor(rzn(b[1])))
    px, ph = (torch.tensor(a, requires_grad=True) for a in (x, h0[None]))
    py, phT = gru(px, ph)
    for got, want in zip(outs, (py, phT[0])):
        np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-10, atol=1e-12)
    sum((p * torch.tensor(g)).sum() for p, g in zip((py, phT[0]), gys)).backward()
    pairs = [(ts[0].grad.numpy(), px.grad), (rzn(ts[1].grad.numpy()), gru.weight_ih_l0.grad.T),
             (rzn(ts[2].grad.numpy()), gru.weight_hh_l0.grad.T),
             (rzn(ts[3].grad.numpy()[0]), gru.bias_ih_l0.grad),
             (rzn(ts[3].grad.numpy()[1]), gru.bias_hh_l0.grad), (ts[4].grad.numpy(), ph.grad[0])]
    for got, want in pairs:
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-9, atol=1e-12)


def test_float32_ops_run_in_float32():
    x, W, Uk, b, h0, c0 = (a.astype(np.float32) for a in arrays(4))
    outs = R.lstm(*[Tensor(a, requires_grad=True) for a in (x, W, Uk, b)], return_sequences=True)
    assert all(o.dtype == np.float32 for o in outs)
    ey = np_lstm(x.astype(np.float64), W, Uk, b, np.zeros((B, U)), np.zeros((B, U)))[0]
    np.testing.assert_allclose(outs[0].numpy(), ey, rtol=1e-5, atol=1e-6)


def test_unknown_activation_names_the_valid_ones():
    with pytest.raises(ValueError, match="'softsign'.*hard_sigmoid"):
        R.LSTM(activation="softsign")


def test_embedding_op_gathers_rows_and_sums_gradients_of_repeated_indices():
    rng = np.random.default_rng(9)
    W = rng.standard_normal((5, 3))
    idx = np.array([[1, 4, 1], [0, 1, 3]])
    y = R.embedding(Tensor(W, dtype="float64"), idx)
    np.testing.assert_array_equal(y.numpy(), W[idx])
    assert gradcheck(lambda W: R.embedding(W, idx), W)
    Wt = Tensor(W, requires_grad=True, dtype="float64")
    gy = rng.standard_normal((2, 3, 3))
    R.embedding(Wt, idx).backward(gy)
    expected = np.zeros_like(W)
    for (i, j), row in np.ndenumerate(idx):
        expected[row] += gy[i, j]
    np.testing.assert_allclose(Wt.grad.numpy(), expected, rtol=1e-12)
