"""Rescaling: multiplies inputs by a scale and adds an offset."""
import numpy as np

from lamina import backend, ops
from lamina.autograd import Tensor
from lamina.layers.base import Layer


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``: ``Rescaling(1. / 255)`` maps
    pixel values 0-255 to [0, 1]. Integer inputs become floats (the layer's dtype).

    Args:
        scale: float, or a list/array broadcast along the last axes.
        offset: float (or array) added after scaling.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs):
        x = inputs
        if x.dtype != self.dtype and not x.requires_grad:
            x = Tensor._wrap(x.data.astype(self.dtype))
        xp = backend.get_array_module(x.data)
        y = ops.multiply(x, xp.asarray(self.scale, dtype=x.dtype))
        return ops.add(y, xp.asarray(self.offset, dtype=x.dtype))

    def get_config(self):
        def plain(value):
            return np.asarray(value).tolist() if np.ndim(value) else float(value)
        return {**super().get_config(), "scale": plain(self.scale), "offset": plain(self.offset)}
