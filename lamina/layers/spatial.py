"""Layers that change the grid of an image or sequence: zero padding, upsampling, cropping."""
from lamina.layers.convolutional import SpatialLayer, standardize_data_format, standardize_tuple
from lamina.ops import pooling as pool_ops


def standardize_pairs(value, rank, name):
    """An int, ``rank`` ints or ``rank`` (before, after) pairs, as ``rank`` pairs of ints."""
    received = value
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * rank
    try:
        value = tuple(value)
        if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            value = (value,)
        pairs = tuple((v, v) if isinstance(v, int) else tuple(int(u) for u in v) for v in value)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or len(pairs) != rank or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"`{name}` should be an int, a tuple of {rank} ints or a tuple of {rank} "
                         f"tuples of 2 non-negative ints. Received: {name}={received!r}")
    return pairs


class _Resize(SpatialLayer):
    """Shared code: per-axis widths on the spatial axes of either data format."""

    def _widths(self, ndim, pairs):
        widths = [(0, 0)] * ndim
        first = 2 if self.data_format == "channels_first" else 1
        for a, pair in enumerate(pairs):
            widths[first + a] = pair
        return widths

    def build(self, input_shape):
        self._check_ndim(input_shape)
        self.built = True


class ZeroPadding2D(_Resize):
    """Adds rows and columns of zeros around an image.

    Args:
        padding: int (all sides), (rows, cols) (symmetric), or
            ((top, bottom), (left, right)).
        data_format: 'channels_last' (default) or 'channels_first'.
    """
    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = standardize_pairs(padding, self.rank, "padding")
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        self._check_ndim(inputs.shape)
        return pool_ops.pad(inputs, self._widths(inputs.ndim, self.padding))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(ZeroPadding2D):
    """Adds zero steps at both ends of (batch, steps, features): padding int or (left, right)."""
    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)

    def get_config(self):  # Keras writes the one (left, right) pair
        return {**super().get_config(), "padding": list(self.padding[0])}


class Cropping2D(_Resize):
    """Removes rows and columns at the edges of an image.

    Args:
        cropping: int (all sides), (rows, cols) (symmetric), or
            ((top, bottom), (left, right)).
        data_format: 'channels_last' (default) or 'channels_first'.
    """
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_pairs(cropping, self.rank, "cropping")
        self.data_format = standardize_data_format(data_format)

    def build(self, input_shape):
        self._check_ndim(input_shape)
        spatial = self._spatial_shape(input_shape)[2 - self.rank:]
        for n, (a, b) in zip(spatial, self.cropping):
            if n is not None and a + b >= n:
                raise ValueError(f"Layer \"{self.name}\": cropping={self.cropping} leaves nothing "
                                 f"of an input of shape {tuple(input_shape)}.")
        self.built = True

    def call(self, inputs):
        self._check_ndim(inputs.shape)
        return pool_ops.crop(inputs, self._widths(inputs.ndim, self.cropping))

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


class Cropping1D(Cropping2D):
    """Removes steps at both ends of (batch, steps, features): cropping int or (left, right)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)

    def get_config(self):  # Keras writes the one (left, right) pair, no data_format
        config = {**super().get_config(), "cropping": list(self.cropping[0])}
        del config["data_format"]
        return config


class UpSampling2D(_Resize):
    """Enlarges an image by integer factors, repeating pixels or interpolating.

    Args:
        size: int or (rows, cols) factors.
        data_format: 'channels_last' (default) or 'channels_first'.
        interpolation: 'nearest' (repeat each pixel) or 'bilinear' (half-pixel centres,
            as TensorFlow's and PyTorch's resize).
    """
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, self.rank, "size")
        self.data_format = standardize_data_format(data_format)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError("`interpolation` argument should be one of: 'nearest', 'bilinear'. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        self._check_ndim(inputs.shape)
        x = self._to_nhwc(inputs)
        y = pool_ops.upsample2d(x, self._grid2d(self.size), self.interpolation)
        return self._from_nhwc(y)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class UpSampling1D(UpSampling2D):
    """Repeats each step ``size`` times: (batch, steps, features) -> (batch, steps * size, ...)."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "size": self.size[0]}  # Keras writes an int
        del config["data_format"], config["interpolation"]
        return config
