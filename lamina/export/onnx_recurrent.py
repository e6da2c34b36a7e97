"""ONNX converters of SimpleRNN, LSTM, GRU and Bidirectional, on ONNX's RNN/LSTM/GRU ops.

The ONNX ops read (steps, batch, features) and hold each gate's weights as rows:
``W`` (gates*units, features), ``R`` (gates*units, units), ``B`` = input and recurrent biases.
Keras's kernels are columns, (features, gates*units), so they are transposed, and the gates
reordered where the two orders differ:

- LSTM: Keras i, f, c, o; ONNX i, o, f, c.
- GRU: both z, r, h. Keras's ``reset_after=True`` (two bias rows, the reset gate applied
  after the recurrent matmul) is ONNX's ``linear_before_reset=1``; ``reset_after=False``
  (one bias) is ``linear_before_reset=0`` with a zero recurrent bias.

A layer with ``go_backwards=True`` is ONNX's ``direction='reverse'``, whose sequence output
is in the input's order; Keras returns it last step first, so it is reversed back.
"""
import numpy as np

from lamina import activations as A
from lamina import layers as L
from lamina.export.onnx_graph import unsupported
from lamina.export.onnx_layers import weight_array

# ONNX's recurrent activations: name and (alpha, beta) where the function has them
_ACTIVATIONS = {A.tanh: ("Tanh", None), A.sigmoid: ("Sigmoid", None), A.relu: ("Relu", None),
                A.hard_sigmoid: ("HardSigmoid", (1 / 6, 0.5)), A.linear: ("Affine", (1.0, 0.0)),
                A.softsign: ("Softsign", None), A.softplus: ("Softplus", None)}

_LSTM_ORDER = (0, 3, 1, 2)  # ONNX's i, o, f, c taken from Keras's i, f, c, o


def _activation_attrs(layer, functions):
    names, alphas, betas = [], [], []
    for fn in functions:
        if fn not in _ACTIVATIONS:
            raise unsupported(layer, f"ONNX's recurrent ops have no activation "
                                     f"{getattr(fn, '__name__', fn)!r} (they have "
                                     f"{', '.join(f.__name__ for f in _ACTIVATIONS)}).")
        name, params = _ACTIVATIONS[fn]
        names.append(name)
        if params:  # ONNX Runtime reads alphas and betas only for the functions that have them
            alphas.append(params[0])
            betas.append(params[1])
    attrs = {"activations": names}
    if alphas:
        attrs.update(activation_alpha=alphas, activation_beta=betas)
    return attrs


def _gates(kernel, count, order=None):
    """(rows, count*units) Keras columns -> ONNX rows (count*units, rows), gates reordered."""
    blocks = np.split(kernel, count, axis=-1)
    return np.concatenate([blocks[i] for i in (order or range(count))], axis=-1).T


def _weights(layer):
    """ONNX's W, R, B (with the direction axis) and op attributes for one recurrent layer."""
    cell, units = layer.cell, layer.units
    kernel, recurrent = weight_array(cell.kernel), weight_array(cell.recurrent_kernel)
    bias = weight_array(cell.bias)
    count = cell.gate_count
    attrs = {}
    if isinstance(layer, L.LSTM):
        op, order = "LSTM", _LSTM_ORDER
        functions = [cell.recurrent_activation, cell.activation, cell.activation]
        w_bias = None if bias is None else _gates(bias[None], count, order)[:, 0]
        r_bias = None
    elif isinstance(layer, L.GRU):
        op, order = "GRU", None
        functions = [cell.recurrent_activation, cell.activation]
        attrs["linear_before_reset"] = int(cell.reset_after)
        if bias is None:
            w_bias = r_bias = None
        elif cell.reset_after:
            w_bias, r_bias = bias[0], bias[1]
        else:
            w_bias, r_bias = bias, None
    else:
        op, order, functions = "RNN", None, [cell.activation]
        w_bias, r_bias = bias, None
    W, R = _gates(kernel, count, order), _gates(recurrent, count, order)
    B = None
    if w_bias is not None:
        r_bias = np.zeros_like(w_bias) if r_bias is None else r_bias
        B = np.concatenate([w_bias, r_bias])[None]
    attrs.update(_activation_attrs(layer, functions), hidden_size=units)
    return op, W[None], R[None], B, attrs


def _check(layer):
    if type(layer) not in (L.SimpleRNN, L.LSTM, L.GRU):
        raise unsupported(layer, "only SimpleRNN, LSTM and GRU map to ONNX's recurrent ops.")


def rnn_outputs(g, layer, x_steps_first, initial_state=None):
    """Runs ``layer`` on (steps, batch, features) ``x_steps_first``.

    Returns:
        the layer's outputs as Keras gives them: [output] or [output, h] / [output, h, c].
    """
    _check(layer)
    h = layer.name
    op, W, R, B, attrs = _weights(layer)
    inputs = [x_steps_first, g.const(W, f"{h}/W"), g.const(R, f"{h}/R"),
              None if B is None else g.const(B, f"{h}/B"), None]
    states = [g.unsqueeze(s, [0], h) for s in initial_state or []]
    inputs += states or [None] * len(layer.cell.state_names)
    while inputs[-1] is None:
        inputs.pop()
    n_out = 3 if op == "LSTM" else 2
    outs = g.op(op, inputs, h, outputs=n_out,
                direction="reverse" if layer.go_backwards else "forward", **attrs)
    finals = [g.squeeze(s, [0], h) for s in outs[1:]]
    if layer.return_sequences:
        y = g.transpose(g.squeeze(outs[0], [1], h), [1, 0, 2], h)
        if layer.go_backwards:
            y = g.reverse_time(y, h)
    else:
        y = finals[0]
    return [y] + finals if layer.return_state else [y]


def _initial_state(call):
    state = call.kwargs.get("initial_state")
    if state is None:
        return None
    return list(state) if isinstance(state, (list, tuple)) else [state]


def _steps_first(g, layer, x):
    return g.transpose(x, [1, 0, 2], f"{layer.name}/steps_first")


def recurrent(g, layer, call):
    return rnn_outputs(g, layer, _steps_first(g, layer, call.inputs[0]), _initial_state(call))


def bidirectional(g, layer, call):
    """Both layers on the same input, the backward sequence put back in the input's order,
    then merged (as ``Bidirectional.call``)."""
    x, h = _steps_first(g, layer, call.inputs[0]), layer.name
    state = _initial_state(call)
    half = None if state is None else len(state) // 2
    y = rnn_outputs(g, layer.forward_layer, x, state and state[:half])
    y_rev = rnn_outputs(g, layer.backward_layer, x, state and state[half:])
    states = y[1:] + y_rev[1:]
    y, y_rev = y[0], y_rev[0]
    if layer.return_sequences:
        y_rev = g.reverse_time(y_rev, h)
    if layer.merge_mode == "concat":
        output = [g.op("Concat", [y, y_rev], h, axis=-1)]
    elif layer.merge_mode == "sum":
        output = [g.add(y, y_rev, h)]
    elif layer.merge_mode == "ave":
        output = [g.op("Div", [g.add(y, y_rev, h), g.scalar(2.0)], h)]
    elif layer.merge_mode == "mul":
        output = [g.mul(y, y_rev, h)]
    else:
        output = [y, y_rev]
    return output + states


CONVERTERS = {L.SimpleRNN: recurrent, L.LSTM: recurrent, L.GRU: recurrent,
              L.Bidirectional: bidirectional}
