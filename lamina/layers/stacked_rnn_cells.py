"""StackedRNNCells: several RNN cells run one after the other at every time step."""
from lamina import backend, tree
from lamina.autograd import Tensor
from lamina.layers.base import Layer
from lamina.serialization import deserialize_keras_object, serialize_keras_object


def zero_states(state_size, batch_size, dtype):
    """Zero states (batch, size) in the structure of ``state_size`` (an int or nested lists)."""
    if isinstance(state_size, (list, tuple)):
        return [zero_states(s, batch_size, dtype) for s in state_size]
    return Tensor._wrap(backend.xp().zeros((batch_size, state_size), dtype))


def initial_states(cell, batch_size, dtype):
    """``cell.get_initial_state(batch_size)`` if the cell has it, else zeros for its state_size."""
    get = getattr(cell, "get_initial_state", None)
    if get is not None:
        states = get(batch_size=batch_size)
        return list(states) if tree.is_nested(states) else [states]
    size = cell.state_size
    return zero_states(list(size) if isinstance(size, (list, tuple)) else [size], batch_size,
                       dtype)


def check_cell(cell, message):
    """Raises Keras's error if ``cell`` lacks ``call`` or ``state_size``."""
    if "call" not in dir(cell):
        raise ValueError(f"{message[0]}{cell}")
    if "state_size" not in dir(cell):
        raise ValueError(f"{message[1]}{cell}")


class StackedRNNCells(Layer):
    """Wraps a list of RNN cells so that they behave as one cell: at each step the first
    cell's output is the second cell's input, and so on.

    Args:
        cells: list of RNN cells (each with ``call(inputs, states)`` and ``state_size``).

    Example:

    >>> cells = [keras.layers.LSTMCell(8), keras.layers.GRUCell(4)]
    >>> keras.layers.RNN(keras.layers.StackedRNNCells(cells))(np.zeros((2, 5, 3)))  # (2, 4)
    """

    def __init__(self, cells, **kwargs):
        policy = getattr(getattr(cells[0], "dtype_policy", None), "name", None) if cells else None
        if kwargs.get("dtype") is None and policy is not None:
            kwargs["dtype"] = policy  # the cells' dtype policy: inputs are cast to it
        super().__init__(**kwargs)
        for cell in cells:
            check_cell(cell, ("All cells must have a `call` method. Received cell without a "
                              "`call` method: ",
                              "All cells must have a `state_size` attribute. Received cell "
                              "without a `state_size`: "))
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            cell_states = initial_states(cell, batch_size, self.dtype)
            single = not isinstance(cell.state_size, (list, tuple))
            states.append(cell_states[0] if single and len(cell_states) == 1 else cell_states)
        return states

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size
                size = size[0] if isinstance(size, (list, tuple)) else size
            input_shape = (input_shape[0], size)
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            nested = tree.is_nested(cell_states)
            cell_states = list(cell_states) if nested else [cell_states]
            kwargs = {"training": training} if getattr(cell, "_call_has_training", False) else {}
            inputs, cell_states = cell(inputs, cell_states, **kwargs)
            cell_states = list(cell_states) if tree.is_nested(cell_states) else [cell_states]
            new_states.append(cell_states if nested or len(cell_states) != 1 else cell_states[0])
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(),
                "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [deserialize_keras_object(c, custom_objects=custom_objects, kind="layers")
                 for c in config.pop("cells")]
        return cls(cells, **config)
