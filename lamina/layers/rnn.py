"""RNN: runs any recurrent cell over the time axis of (batch, steps, features)."""
from lamina import backend, ops, tree
from lamina.autograd import Tensor
from lamina.layers import base
from lamina.layers.base import Layer
from lamina.layers.stacked_rnn_cells import StackedRNNCells, check_cell, initial_states
from lamina.serialization import deserialize_keras_object, serialize_keras_object


def _tensor(value, dtype):
    return value if isinstance(value, Tensor) else Tensor(value, dtype=dtype)


class RNN(Layer):
    """A recurrent layer over ``cell``: ``cell(x_t, states) -> (output_t, new_states)`` at
    every step, from the first step to the last.

    Args:
        cell: an RNN cell (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell`` or your own layer with
            ``call(inputs, states)`` and ``state_size``: an int or a list of sizes, one per
            state; optionally ``output_size`` and ``get_initial_state(batch_size)``), or a
            list of cells (stacked with ``StackedRNNCells``).
        return_sequences: return every step's output (batch, steps, output_size).
        return_state: also return the final states: ``[output, *states]``.
        go_backwards: process the sequence last step first; sequences come back reversed.
        stateful: keep the final states of a batch as the initial states of the next batch
            (sample i continues sample i); ``reset_states()`` sets them back to zeros.
        unroll: accepted for Keras compatibility (lamina always runs a Python loop).
        zero_output_for_mask: output zeros (instead of the previous output) at masked steps.

    Call arguments: ``layer(x, initial_state=None, mask=None, training=None)``.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        check_cell(cell, ("Argument `cell` should have a `call` method. Received: cell=",
                          "The RNN cell should have a `state_size` attribute (single integer "
                          "or list of integers, one integer per RNN state). Received: cell="))
        policy = getattr(getattr(cell, "dtype_policy", None), "name", None)
        if kwargs.get("dtype") is None and policy is not None:
            kwargs["dtype"] = policy  # the cell's dtype policy: inputs are cast to it
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True
        self.states = None
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one "
                             "for each state tensor).")
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) < 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected ndim=3 (batch, steps, features), found ndim="
                             f"{len(sequences_shape)}. Full shape received: "
                             f"{tuple(sequences_shape)}")
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            self.cell.built = True
            for layer in self.cell._flatten_layers():  # Keras's paths: 'rnn/lstm_cell/kernel'
                for w in layer._own_weights:
                    w.path = f"{self.name}/{w.path}"
        self.built = True

    # --- states ---
    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state`` or zeros."""
        return initial_states(self.cell, batch_size, self.dtype)

    def _check_initial_state(self, initial_state, batch_size):
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) \
            else [initial_state]
        states = tree.map_structure(lambda s: _tensor(s, self.dtype), states)
        expected = self.get_initial_state(batch_size)
        flat, flat_expected = tree.flatten(states), tree.flatten(expected)
        names = getattr(self.cell, "state_names", None) or [
            str(i) for i in range(len(flat_expected))]
        if len(flat) != len(flat_expected):
            raise ValueError(f"Layer '{self.name}' expects {len(flat_expected)} initial "
                             f"state(s) ({', '.join(names)}), but received {len(flat)}.")
        for name, s, e in zip(names, flat, flat_expected):
            if tuple(s.shape) != tuple(e.shape):
                raise ValueError(f"Layer '{self.name}' expects initial state {name} of shape "
                                 f"{tuple(e.shape)}, but received {tuple(s.shape)}.")
        return tree.pack_sequence_as(expected, tree.flatten(states))

    def _stateful_start(self, batch_size):
        if self.states is None:
            self.states = self.get_initial_state(batch_size)
        expected = tree.flatten(self.states)[0].shape[0]
        if expected != batch_size:
            raise ValueError("If an RNN is stateful, the batch size of the input sequences must "
                             "be the same as the batch size of the initial state. \n"
                             f"- Expected batch size: {expected}\n"
                             f"- Received batch size: {batch_size}")
        return self.states

    def reset_states(self, states=None):
        """Sets the states of a stateful layer back to zeros (or to ``states``, arrays)."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' is not stateful (stateful=False): it "
                                 "has no states to reset.")
        if self.states is None:
            if states is None:
                return
            self.states = self.get_initial_state(tree.flatten(states)[0].shape[0])
        current = tree.flatten(self.states)
        values = [None] * len(current) if states is None else tree.flatten(
            states if isinstance(states, (list, tuple)) else [states])
        if len(values) != len(current):
            raise ValueError(f"Layer '{self.name}' expects {len(current)} states, but "
                             f"received {len(values)}.")
        new = []
        for s, v in zip(current, values):
            xp = backend.get_array_module(s.data)
            value = xp.zeros_like(s.data) if v is None else backend.to_device(
                getattr(v, "data", v)).astype(s.dtype)
            if tuple(value.shape) != tuple(s.shape):
                raise ValueError(f"State of layer '{self.name}' has shape {tuple(s.shape)}, "
                                 f"but the given state has shape {tuple(value.shape)}.")
            new.append(Tensor._wrap(value))
        self.states = tree.pack_sequence_as(self.states, new)

    reset_state = reset_states

    # --- the sequence ---
    def call(self, sequences, initial_state=None, mask=None, training=None):
        x = sequences
        if x.ndim < 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: "
                             f"expected ndim=3 (batch, steps, features), found ndim={x.ndim}. "
                             f"Full shape received: {tuple(x.shape)}")
        B, T = x.shape[:2]
        keep_states = self.stateful and not base._probe.active
        if initial_state is not None:
            states = self._check_initial_state(initial_state, B)
        elif keep_states:
            states = self._stateful_start(B)
        else:
            states = self.get_initial_state(B)
        if mask is not None:
            mask = backend.to_device(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
            if tuple(mask.shape) != (B, T):
                raise ValueError(f"Layer '{self.name}' expects a mask of shape {(B, T)} "
                                 f"(batch, steps), but received {tuple(mask.shape)}.")
        output, states = self._run(x, states, mask, training)
        if keep_states:  # NOTE: detached: the next batch does not backpropagate into this one
            self.states = tree.map_structure(lambda s: Tensor._wrap(s.data), states)
        if self.zero_output_for_mask and mask is not None:
            keep = mask[:, ::-1] if self.go_backwards else mask
            keep = keep[..., None] if self.return_sequences else keep[:, -1:]
            output = output * keep.astype(output.dtype)
        return [output, *states] if self.return_state else output

    def _run(self, x, states, mask, training):
        """Loops the cell over the steps; returns (output, final states)."""
        if hasattr(self.cell, "_sequence"):  # a built-in cell: its fused op
            return self.cell._sequence(x, states, mask, training, self.go_backwards,
                                       self.return_sequences)
        xs = ops.transpose(x, (1, 0) + tuple(range(2, x.ndim)))
        steps = range(x.shape[1] - 1, -1, -1) if self.go_backwards else range(x.shape[1])
        kwargs = {"training": training} if getattr(self.cell, "_call_has_training", False) else {}
        outputs, output = [], None
        for t in steps:
            out, new = self.cell(xs[t], states, **kwargs)
            new = list(new) if tree.is_nested(new) else [new]
            if mask is not None:
                keep = mask[:, t:t + 1]
                new = tree.pack_sequence_as(new, [ops.where(keep, n, s) for n, s in zip(
                    tree.flatten(new), tree.flatten(states))])
                previous = output if output is not None else out * 0
                out = ops.where(keep, out, previous)
            states, output = new, out
            if self.return_sequences:
                outputs.append(out)
        if output is None:
            raise ValueError(f"Layer '{self.name}' received a sequence with 0 steps.")
        return (ops.stack(outputs, axis=1) if self.return_sequences else output), states

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences else None

    def get_config(self):
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_keras_object(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects,
                                        kind="layers")
        return cls(cell, **config)
