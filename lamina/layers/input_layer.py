"""InputLayer and Input: declare the shape of a model's input."""
from lamina import backend
from lamina.layers.base import KerasTensor, Layer, Node


class InputLayer(Layer):
    """Declares an input of ``shape`` (without the batch axis).

    Args:
        shape: input shape without the batch axis (Keras 2: ``input_shape``).
        batch_size: optional fixed batch size.
        dtype: input dtype, default floatx.
        batch_shape: full shape with the batch axis (Keras 2: ``batch_input_shape``).
        name: layer name.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
                 input_shape=None, batch_input_shape=None, sparse=False, ragged=False,
                 optional=False, **kwargs):
        if sparse or ragged or optional:
            raise NotImplementedError("lamina's InputLayer supports dense inputs only; received "
                                      f"sparse={sparse}, ragged={ragged}, optional={optional}.")
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (or `batch_shape`); received neither.")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        super().__init__(name=name, dtype=dtype or backend.floatx(),
                         batch_input_shape=tuple(batch_shape), **kwargs)
        self.output_shape = (None,) + self._batch_input_shape[1:]
        Node(self, [], {}, KerasTensor(self._batch_input_shape, self.dtype, self.name))
        self.built = True

    @property
    def batch_shape(self):
        return self._batch_input_shape

    def get_config(self):
        return {"batch_shape": self._batch_input_shape, "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):  # noqa: N802
    """Returns a symbolic tensor that stands for a model input of ``shape``.

    Args:
        shape: input shape without the batch axis, e.g. ``(28, 28)``.
        batch_size: optional fixed batch size.
        dtype: input dtype, default floatx.
        name: name of the input.
        batch_shape: full shape with the batch axis, instead of shape.

    Returns:
        a KerasTensor.
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                      batch_shape=batch_shape).output
