"""Layer wrappers: Bidirectional (an RNN both ways) and TimeDistributed (a layer per step)."""
from lamina import ops
from lamina.layers.base import Layer
from lamina.serialization import deserialize_keras_object

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _from_config(spec):
    """A layer from ``{'class_name': ..., 'config': ...}`` (or the layer itself)."""
    if spec is None or isinstance(spec, Layer):
        return spec
    return deserialize_keras_object(spec, kind="layers")


def _serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _build_inside(wrapper, layer, input_shape):
    """Builds ``layer`` for ``input_shape``; its weights' paths start with the wrapper's name."""
    if layer.built:
        return
    layer.build(input_shape)
    layer.built = True
    for w in layer.weights:
        w.path = f"{wrapper.name}/{w.path}"


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards over the sequence, and merges them.

    Args:
        layer: an RNN layer (LSTM, GRU, SimpleRNN). The wrapper builds fresh copies of it
            from its config: ``forward_<name>`` and ``backward_<name>``.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None for a list of both.
        weights: optional initial weights: the forward layer's, then the backward layer's.
        backward_layer: optional RNN layer for the backward direction (go_backwards=True).

    Call arguments as the wrapped layer; ``initial_state`` is the forward layer's states
    followed by the backward layer's.
    """

    _autocast_inputs = False  # the wrapped layer casts its own inputs

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `Bidirectional` layer with a `Layer` instance. "
                             f"Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` needs to be a `Layer` instance. "
                             f"Received: {backward_layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should "
                             f"be one of {{'sum', 'mul', 'ave', 'concat', None}}")
        super().__init__(**kwargs)
        if self._batch_input_shape is None:
            self._batch_input_shape = layer._batch_input_shape
        config = layer.get_config()
        self.forward_layer = type(layer).from_config(
            {**config, "name": "forward_" + layer.name.removeprefix("forward_")})
        if backward_layer is None:
            backward_layer = type(layer).from_config(
                {**config, "name": "backward_" + layer.name.removeprefix("backward_"),
                 "go_backwards": not layer.go_backwards})
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == backward_layer.go_backwards:
            raise ValueError("Forward layer and backward layer should have different "
                             f"`go_backwards` values. Received: {layer.go_backwards} for both.")
        for a in ("return_sequences", "return_state"):
            if getattr(self.forward_layer, a) != getattr(backward_layer, a):
                raise ValueError(f"Forward layer and backward layer are expected to have the "
                                 f"same value for attribute \"{a}\", got "
                                 f"\"{getattr(self.forward_layer, a)}\" for forward layer and "
                                 f"\"{getattr(backward_layer, a)}\" for backward layer")
        for rnn in (self.forward_layer, self.backward_layer):
            # as Keras: masked steps of returned sequences are zeros, whichever way they ran
            rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self.supports_masking = True
        self._initial_weights = weights

    def reset_states(self):
        """Resets the states of both stateful layers to zeros (see ``RNN.reset_states``)."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def build(self, input_shape):
        _build_inside(self, self.forward_layer, input_shape)
        _build_inside(self, self.backward_layer, input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                               training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                    training=training)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]  # back in the input's order
        if self.merge_mode == "concat":
            output = [ops.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            output = [y + y_rev]
        elif self.merge_mode == "ave":
            output = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            output = [y * y_rev]
        else:
            output = [y, y_rev]
        if not states and len(output) == 1:
            return output[0]
        return output + states

    def compute_mask(self, inputs, mask=None):
        return mask if self.return_sequences and self.merge_mode is not None else None

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": _serialize(self.forward_layer),
                "backward_layer": _serialize(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _from_config(config["layer"])
        config["backward_layer"] = _from_config(config.get("backward_layer"))
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of (batch, steps, ...) with the same weights.

    The steps are folded into the batch axis, so the layer runs once on (batch*steps, ...).

    Args:
        layer: the layer to apply, e.g. Dense(10) or Conv2D(...).
    """

    _autocast_inputs = False  # the wrapped layer casts its own inputs

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("Please initialize `TimeDistributed` layer with a `Layer` "
                             f"instance. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with "
                             f"at least 3 dimensions, received: {tuple(input_shape)}")
        _build_inside(self, self.layer, (input_shape[0],) + tuple(input_shape[2:]))
        self.built = True

    def call(self, inputs, training=None, mask=None):
        B, T = inputs.shape[:2]
        kwargs = {"training": training}
        if mask is not None and self.layer._call_has_mask:
            kwargs["mask"] = mask.reshape((B * T,) + tuple(mask.shape[2:]))
        y = self.layer(ops.reshape(inputs, (B * T,) + tuple(inputs.shape[2:])), **kwargs)
        return ops.reshape(y, (B, T) + tuple(y.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = _from_config(config["layer"])
        return cls(**config)
