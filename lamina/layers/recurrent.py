"""Recurrent layers: SimpleRNN, LSTM and GRU, with their cells.

As in Keras 3, each layer holds a cell (``lstm/lstm_cell/kernel``) that owns the settings
and the weights: ``kernel`` (features, k*units), ``recurrent_kernel`` (units, k*units) and
``bias``. The layer runs the whole sequence through one fused op from
``lamina.ops.recurrent``; a cell's ``call`` is one step written with plain ops, which the
layer loops over only for activations the fused ops lack. The layers are ``RNN``s
(lamina.layers.rnn) over their cell, and a cell also works alone or inside ``RNN(cell)``.
"""
import numpy as np

from lamina import activations, backend, constraints, initializers, ops, regularizers
from lamina.autograd import Tensor
from lamina.layers.base import Layer
from lamina.layers.rnn import RNN
from lamina.naming import snake_case
from lamina.ops import recurrent as recurrent_ops

# activations the fused sequence ops implement, by the name they use
_FUSED = {activations.tanh: "tanh", activations.sigmoid: "sigmoid", activations.relu: "relu",
          activations.linear: "linear", activations.hard_sigmoid: "hard_sigmoid"}


class _Cell(Layer):
    """Settings and weights shared by the cells; ``call`` runs one time step.

    Args: as the layers (SimpleRNN, LSTM, GRU) document.
    """
    gate_count = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        kwargs.pop("implementation", None)  # Keras's choice of kernels; lamina has one
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a "
                             f"positive integer, got {units!r}.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._rng = None

    def _build_weights(self, input_shape, bias_shape, bias_initializer):
        n = self.gate_count * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], n), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, n), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", bias_shape, bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def build(self, input_shape):
        self._build_weights(input_shape, (self.gate_count * self.units,), self.bias_initializer)

    def dropout_masks(self, batch_size, input_dim):
        """Fresh dropout masks for one sequence, used at every step as in Keras.

        Returns:
            (input mask (batch, features) or None, recurrent mask (batch, units) or None).
        """
        xp = backend.xp()
        if self.seed is not None and self._rng is None:
            self._rng = xp.random.default_rng(self.seed)
        rng = self._rng or backend.rng(xp)

        def mask(rate, n):
            if not 0 < rate < 1:
                return None
            keep = rng.random((batch_size, n), dtype=np.dtype(self.dtype)) >= rate
            return keep.astype(self.dtype) / np.dtype(self.dtype).type(1 - rate)
        return mask(self.dropout, input_dim), mask(self.recurrent_dropout, self.units)

    @property
    def state_size(self):
        return [self.units] * len(self.state_names) if len(self.state_names) > 1 else self.units

    @property
    def output_size(self):
        return self.units

    def get_initial_state(self, batch_size=None):
        """Zero states, one (batch_size, units) array per state."""
        return [Tensor._wrap(backend.xp().zeros((batch_size, self.units), self.dtype))
                for _ in self.state_names]

    def call(self, inputs, states, training=None):
        """One step: ``(inputs (batch, features), states) -> (output, new_states)``.

        ``states`` is a list (LSTM: [h, c]) or, for SimpleRNN and GRU, one state; the new
        states come back in the same form, as in Keras."""
        nested = isinstance(states, (list, tuple))
        states = [s if isinstance(s, Tensor) else Tensor(s, dtype=self.dtype)
                  for s in (states if nested else [states])]
        if len(states) != len(self.state_names):
            raise ValueError(f"Cell '{self.name}' expects {len(self.state_names)} state(s) "
                             f"({', '.join(self.state_names)}), but received {len(states)}.")
        masks = self.dropout_masks(inputs.shape[0], inputs.shape[-1]) if training else (None,) * 2
        output, new = self.step(inputs, states, *masks)
        return output, new if nested or len(new) > 1 else new[0]

    def _fused_names(self):
        """The activation names for the fused op, or None if it lacks one of them."""
        names = [_FUSED.get(self.activation),
                 _FUSED.get(getattr(self, "recurrent_activation", activations.sigmoid))]
        return None if None in names else names

    def _sequence(self, x, states, mask, training, go_backwards, return_sequences):
        """The whole sequence, as ``RNN`` runs it for a built-in cell: one fused op (or a
        loop over ``step`` for activations the op lacks), one dropout mask per sequence.

        Returns:
            (output, [final states]).
        """
        names = self._fused_names()
        if names is None:
            masks = self.dropout_masks(x.shape[0], x.shape[-1]) if training else (None, None)
            return self._loop(x, states, mask, masks, go_backwards, return_sequences)
        # the op draws the masks itself, so a compiled step draws fresh ones at each replay
        draw = self.dropout_masks if training and (self.dropout or self.recurrent_dropout) else None
        outs = self.op(x, self.kernel, self.recurrent_kernel, self.bias, list(states),
                       activation=names[0], recurrent_activation=names[1], mask=mask,
                       go_backwards=go_backwards, return_sequences=return_sequences,
                       draw_dropout=draw, **self._op_options())
        return outs[0], list(outs[1:])

    def _op_options(self):
        return {}

    def _loop(self, x, states, mask, masks, go_backwards, return_sequences):
        """The sequence as a Python loop over the cell's step (activations without a fused op)."""
        xs = ops.transpose(x, (1, 0, 2))
        steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
        outputs = []
        for t in steps:
            _, new = self.step(xs[t], states, *masks)
            if mask is not None:
                keep = mask[:, t:t + 1]
                new = [ops.where(keep, n, s) for n, s in zip(new, states)]
            states = new
            outputs.append(states[0])
        output = ops.stack(outputs, axis=1) if return_sequences else states[0]
        return output, states

    def _project(self, x, h, dropout_mask, recurrent_dropout_mask, bias=None):
        x = x if dropout_mask is None else x * dropout_mask
        h = h if recurrent_dropout_mask is None else h * recurrent_dropout_mask
        return ops.linear(x, self.kernel, bias), h

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "seed": self.seed}


class SimpleRNNCell(_Cell):
    """One step of SimpleRNN: h = activation(x W + b + h_prev U).

    ``cell(x, states) -> (output, new_states)``; ``state_size`` and ``output_size`` are
    ``units``. Args: as ``SimpleRNN``'s.
    """
    state_names = ("h",)
    op = staticmethod(recurrent_ops.simple_rnn)

    def step(self, x, states, dropout_mask=None, recurrent_dropout_mask=None):
        xw, h = self._project(x, states[0], dropout_mask, recurrent_dropout_mask, self.bias)
        h = self.activation(xw + ops.matmul(h, self.recurrent_kernel))
        return h, [h]


class LSTMCell(_Cell):
    """One step of LSTM, Keras gate order i, f, c, o (see ``LSTM``): ``cell(x, [h, c]) ->
    (h, [h, c])``; ``state_size`` is ``[units, units]``."""
    gate_count = 4
    state_names = ("h", "c")
    op = staticmethod(recurrent_ops.lstm)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        u, init = self.units, self.bias_initializer
        if self.use_bias and self.unit_forget_bias:
            def init(shape, dtype=None):  # forget gate bias 1, the rest bias_initializer
                xp = backend.xp()
                return xp.concatenate([xp.asarray(self.bias_initializer((u,), dtype)),
                                       xp.ones((u,), dtype),
                                       xp.asarray(self.bias_initializer((2 * u,), dtype))])
        self._build_weights(input_shape, (4 * u,), init)

    def step(self, x, states, dropout_mask=None, recurrent_dropout_mask=None):
        u, (h, c) = self.units, states
        xw, hd = self._project(x, h, dropout_mask, recurrent_dropout_mask, self.bias)
        z = xw + ops.matmul(hd, self.recurrent_kernel)
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = f * c + i * self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """One step of GRU, Keras gate order z, r, h (see ``GRU``): ``cell(x, h) -> (h, h)``."""
    gate_count = 3
    state_names = ("h",)
    op = staticmethod(recurrent_ops.gru)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape):
        # NOTE: reset_after keeps separate input and recurrent biases, as cuDNN does
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._build_weights(input_shape, shape, self.bias_initializer)

    def step(self, x, states, dropout_mask=None, recurrent_dropout_mask=None):
        u, h = self.units, states[0]
        bx = bh = None
        if self.use_bias:
            bx, bh = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
        xw, hd = self._project(x, h, dropout_mask, recurrent_dropout_mask, bx)
        U = self.recurrent_kernel
        if self.reset_after:
            hu = ops.matmul(hd, U) if bh is None else ops.linear(hd, U, bh)
            z = self.recurrent_activation(xw[:, :u] + hu[:, :u])
            r = self.recurrent_activation(xw[:, u:2 * u] + hu[:, u:2 * u])
            hh = self.activation(xw[:, 2 * u:] + r * hu[:, 2 * u:])
        else:
            hu = ops.matmul(hd, U[:, :2 * u])
            z = self.recurrent_activation(xw[:, :u] + hu[:, :u])
            r = self.recurrent_activation(xw[:, u:2 * u] + hu[:, u:])
            hh = self.activation(xw[:, 2 * u:] + ops.matmul(r * hd, U[:, 2 * u:]))
        h = z * h + (1 - z) * hh
        return h, [h]

    def _op_options(self):
        return {"reset_after": self.reset_after}

    def get_config(self):
        return {**super().get_config(),
                "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


def _cell_setting(name):
    return property(lambda self: getattr(self.cell, name),
                    doc=f"The cell's ``{name}`` (read only, as in Keras).")


class _RNN(RNN):
    """A recurrent layer that makes its own cell from its arguments (SimpleRNN, LSTM, GRU).

    Args:
        cell_config: constructor arguments of ``cell_class``, the cell that holds the
            settings and the weights.
        return_sequences: return every step's output (batch, steps, units), not the last.
        return_state: also return the final states: [output, h] (LSTM: [output, h, c]).
        go_backwards: process the sequence last step first; sequences come back reversed.
        stateful: carry the final states of a batch over to the next batch (see ``RNN``).
        unroll: accepted for Keras compatibility and ignored.
        zero_output_for_mask: output zeros (instead of the previous output) at masked steps.
        activity_regularizer: penalty on the output.
    """
    cell_class = None

    def __init__(self, cell_config, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 activity_regularizer=None, **kwargs):
        for name in ("implementation", "time_major", "use_cudnn"):  # Keras kernel choices
            kwargs.pop(name, None)
        input_dim, input_length = kwargs.pop("input_dim", None), kwargs.pop("input_length", None)
        if input_dim is not None and not {"input_shape", "batch_input_shape"} & set(kwargs):
            kwargs["input_shape"] = (input_length, input_dim)  # Keras 1/2 style
        cell = self.cell_class(**cell_config, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True),
                               name=snake_case(self.cell_class.__name__))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    units = _cell_setting("units")
    activation = _cell_setting("activation")
    use_bias = _cell_setting("use_bias")
    dropout = _cell_setting("dropout")
    recurrent_dropout = _cell_setting("recurrent_dropout")
    kernel_initializer = _cell_setting("kernel_initializer")
    recurrent_initializer = _cell_setting("recurrent_initializer")
    bias_initializer = _cell_setting("bias_initializer")
    kernel_regularizer = _cell_setting("kernel_regularizer")
    recurrent_regularizer = _cell_setting("recurrent_regularizer")
    bias_regularizer = _cell_setting("bias_regularizer")

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected ndim=3 (batch, steps, features), found ndim="
                             f"{len(input_shape)}. Full shape received: {tuple(input_shape)}")
        super().build(input_shape)
        self.input_axes = {-1: input_shape[-1]}

    def call(self, sequences, initial_state=None, mask=None, training=None):
        outputs = super().call(sequences, initial_state=initial_state, mask=mask,
                               training=training)
        if self.activity_regularizer is not None:
            output = outputs[0] if self.return_state else outputs
            self.add_loss(self.activity_regularizer(output))
        return outputs

    def get_config(self):
        config = Layer.get_config(self)
        cell = {k: v for k, v in self.cell.get_config().items()
                if k not in ("name", "trainable", "dtype")}
        return {**config, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask, **cell,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)


class SimpleRNN(_RNN):
    """Fully connected RNN: h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel).

    Args:
        units: size of the output and state.
        activation: default 'tanh'.
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            'glorot_uniform', 'orthogonal', 'zeros'.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: applied after updates.
        dropout, recurrent_dropout: fractions of the inputs / states dropped in training
            (one mask per sequence).
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful, unroll,
            zero_output_for_mask, activity_regularizer: see below (all recurrent layers).

    Call arguments: ``layer(x, initial_state=None, mask=None, training=None)`` with x
    (batch, steps, features); a mask (from Embedding(mask_zero=True) or Masking, or given)
    makes masked steps keep the previous state and output.
    """
    cell_class = SimpleRNNCell

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(dict(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed), **kwargs)


class LSTM(_RNN):
    """Long short-term memory (Hochreiter 1997), Keras gate order i, f, c, o.

    With z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias split in four:
    i, f, o = recurrent_activation(z_i, z_f, z_o); c_t = f * c_{t-1} + i * activation(z_c);
    h_t = o * activation(c_t).

    Args:
        units, activation, use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed, and the sequence options: as ``SimpleRNN``.
        recurrent_activation: default 'sigmoid'.
        unit_forget_bias: start the forget gate's bias at 1 (default True).

    Returns (called): the last output (batch, units), or (batch, steps, units) with
    return_sequences; with return_state a list [output, h, c].
    """
    cell_class = LSTMCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed), **kwargs)

    recurrent_activation = _cell_setting("recurrent_activation")
    unit_forget_bias = _cell_setting("unit_forget_bias")


class GRU(_RNN):
    """Gated recurrent unit (Cho et al. 2014), Keras gate order z, r, h.

    z, r = recurrent_activation of their parts of x_t @ kernel + h_{t-1} @ recurrent_kernel
    (+ biases); h~ = activation(x_h + r * (h_{t-1} @ U_h + b_h)) with reset_after=True (the
    default, cuDNN's and PyTorch's form; bias (2, 3*units)), or
    activation(x_h + (r * h_{t-1}) @ U_h) with reset_after=False (bias (3*units,));
    h_t = z * h_{t-1} + (1 - z) * h~.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed, and the sequence options: as ``SimpleRNN``.
        recurrent_activation: default 'sigmoid'.
        reset_after: see above (default True).
    """
    cell_class = GRUCell

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 reset_after=True, **kwargs):
        super().__init__(dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            reset_after=reset_after), **kwargs)

    recurrent_activation = _cell_setting("recurrent_activation")
    reset_after = _cell_setting("reset_after")
