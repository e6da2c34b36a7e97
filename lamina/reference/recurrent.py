"""SimpleRNN, LSTM and GRU one step at a time: the plain twins of ``lamina.ops.recurrent``.

Each function takes the arguments of its fast twin and returns the same list
``[output, *final states]``, with Keras's weight layout and gate orders (LSTM i, f, c, o;
GRU z, r, h). A step is written as the equations read, with primitive ops only, so
autograd derives the backward pass through time.
"""
from lamina import backend, ops
from lamina.autograd import Tensor

ACTIVATIONS = {
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "linear": lambda z: z,
    "hard_sigmoid": lambda z: ops.clip(z / 6 + 0.5, 0, 1),
}


def _gates(w, n):
    """The ``n`` gate blocks of a kernel's (or bias's) last axis; zeros for no bias."""
    if w is None:
        return [0.0] * n
    u = w.shape[-1] // n
    return [w[..., k * u:(k + 1) * u] for k in range(n)]


def _steps(x, mask, go_backwards, dropout_mask):
    """Yields (x_t, keep_t) in processing order; keep_t (batch, 1) is None without a mask."""
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    for t in order:
        x_t = x[:, t, :] if dropout_mask is None else x[:, t, :] * dropout_mask
        yield x_t, None if mask is None else mask[:, t:t + 1]


def _keep(keep, new, old):
    """A masked step keeps the previous state."""
    return new if keep is None else ops.where(keep, new, old)


def _initial_states(x, recurrent_kernel, initial_state, n):
    if initial_state is not None:
        return list(initial_state)
    data = x.data if isinstance(x, Tensor) else x
    zeros = backend.get_array_module(data).zeros((x.shape[0], recurrent_kernel.shape[0]),
                                                 recurrent_kernel.dtype)
    return [Tensor(zeros)] * n


def _result(outputs, return_sequences, *states):
    output = ops.stack(outputs, axis=1) if return_sequences else states[0]
    return [output, *states]


def simple_rnn(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
               recurrent_activation="sigmoid", mask=None, go_backwards=False,
               return_sequences=False, dropout_mask=None, recurrent_dropout_mask=None):
    """``h_t = activation(x_t W + b + h_{t-1} U)``; the twin of ``ops.simple_rnn``."""
    act = ACTIVATIONS[activation]
    b = 0.0 if bias is None else bias
    (h,) = _initial_states(x, recurrent_kernel, initial_state, 1)
    outputs = []
    for x_t, keep in _steps(x, mask, go_backwards, dropout_mask):
        h_in = h if recurrent_dropout_mask is None else h * recurrent_dropout_mask
        h = _keep(keep, act(x_t @ kernel + b + h_in @ recurrent_kernel), h)
        outputs.append(h)
    return _result(outputs, return_sequences, h)


def lstm(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
         recurrent_activation="sigmoid", mask=None, go_backwards=False, return_sequences=False,
         dropout_mask=None, recurrent_dropout_mask=None):
    """Long short-term memory, one step at a time; the twin of ``ops.lstm``.

    ``i, f, o = recurrent_activation(x_t W + h_{t-1} U + b)`` for their columns,
    ``c~ = activation(...)``, ``c_t = f * c_{t-1} + i * c~``, ``h_t = o * activation(c_t)``.
    """
    act, ract = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    W_i, W_f, W_c, W_o = _gates(kernel, 4)
    U_i, U_f, U_c, U_o = _gates(recurrent_kernel, 4)
    b_i, b_f, b_c, b_o = _gates(bias, 4)
    h, c = _initial_states(x, recurrent_kernel, initial_state, 2)
    outputs = []
    for x_t, keep in _steps(x, mask, go_backwards, dropout_mask):
        h_in = h if recurrent_dropout_mask is None else h * recurrent_dropout_mask
        i = ract(x_t @ W_i + h_in @ U_i + b_i)
        f = ract(x_t @ W_f + h_in @ U_f + b_f)
        c_candidate = act(x_t @ W_c + h_in @ U_c + b_c)
        o = ract(x_t @ W_o + h_in @ U_o + b_o)
        c_new = f * c + i * c_candidate
        h_new = o * act(c_new)
        h, c = _keep(keep, h_new, h), _keep(keep, c_new, c)
        outputs.append(h)
    return _result(outputs, return_sequences, h, c)


def gru(x, kernel, recurrent_kernel, bias=None, initial_state=None, reset_after=True,
        activation="tanh", recurrent_activation="sigmoid", mask=None, go_backwards=False,
        return_sequences=False, dropout_mask=None, recurrent_dropout_mask=None):
    """Gated recurrent unit, one step at a time; the twin of ``ops.gru``.

    ``z, r = recurrent_activation(x_t W + h_{t-1} U + b)`` for their columns;
    reset_after: ``h~ = activation(x_t W_h + b_xh + r * (h_{t-1} U_h + b_hh))``, bias (2, 3u);
    else ``h~ = activation(x_t W_h + b_h + (r * h_{t-1}) U_h)``, bias (3u,);
    ``h_t = z * h_{t-1} + (1 - z) * h~``.
    """
    act, ract = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    W_z, W_r, W_h = _gates(kernel, 3)
    U_z, U_r, U_h = _gates(recurrent_kernel, 3)
    if reset_after:
        input_bias, recurrent_bias = (None, None) if bias is None else (bias[0], bias[1])
    else:
        input_bias, recurrent_bias = bias, None
    bx_z, bx_r, bx_h = _gates(input_bias, 3)
    bh_z, bh_r, bh_h = _gates(recurrent_bias, 3)
    (h,) = _initial_states(x, recurrent_kernel, initial_state, 1)
    outputs = []
    for x_t, keep in _steps(x, mask, go_backwards, dropout_mask):
        h_in = h if recurrent_dropout_mask is None else h * recurrent_dropout_mask
        z = ract(x_t @ W_z + bx_z + h_in @ U_z + bh_z)
        r = ract(x_t @ W_r + bx_r + h_in @ U_r + bh_r)
        if reset_after:
            h_candidate = act(x_t @ W_h + bx_h + r * (h_in @ U_h + bh_h))
        else:
            h_candidate = act(x_t @ W_h + bx_h + (r * h_in) @ U_h)
        h = _keep(keep, z * h + (1 - z) * h_candidate, h)
        outputs.append(h)
    return _result(outputs, return_sequences, h)
