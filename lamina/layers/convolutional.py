"""Convolution layers: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

Images are channels-last, ``(batch, rows, cols, channels)``, unless ``data_format`` says
'channels_first'. A 1-D layer runs as its 2-D op on an image one row high.
"""
from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers.base import Layer
from lamina.ops import conv as conv_ops


def standardize_tuple(value, n, name, allow_zero=False):
    """``value`` (an int or n ints) as a tuple of n ints, as Keras reads kernel_size etc."""
    received = value
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * n
    try:
        value = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        value = None
    if value is None or len(value) != n or any(v < 0 or (v == 0 and not allow_zero)
                                               for v in value):
        raise ValueError(f"The `{name}` argument must be a tuple of {n} "
                         f"{'non-negative' if allow_zero else 'positive'} integers. "
                         f"Received {name}={received!r}")
    return value


def standardize_padding(value, allow_causal=False):
    """'valid', 'same' (or 'causal' for 1-D convolutions), case-insensitive."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(f"The `padding` argument must be one of {allowed}. "
                         f"Received: padding={value!r}")
    return padding


def standardize_data_format(value):
    """'channels_last' (the default, for None) or 'channels_first'."""
    data_format = "channels_last" if value is None else str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={value!r}")
    return data_format


class SpatialLayer(Layer):
    """Base of layers on 1-D or 2-D grids: checks the rank and moves data to NHWC and back."""
    rank = 2

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _check_ndim(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                f"ndim={self.rank + 2}, found ndim={len(shape)}. Full shape received: "
                f"{tuple(shape)}")

    def _to_nhwc(self, x):
        """The input as an (N, H, W, C) Tensor; a 1-D input becomes one row high."""
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
        if self.rank == 1:
            x = ops.reshape(x, (x.shape[0], 1) + tuple(x.shape[1:]))
        return x

    def _from_nhwc(self, y):
        if self.rank == 1:
            y = ops.reshape(y, (y.shape[0],) + tuple(y.shape[2:]))
        if self.data_format == "channels_first":
            y = ops.transpose(y, (0, y.ndim - 1) + tuple(range(1, y.ndim - 1)))
        return y

    def _grid2d(self, values, fill=1):
        """Per-axis settings of a 1-D layer with a unit row axis put first."""
        return values if self.rank == 2 else (fill,) + tuple(values)

    def _spatial_shape(self, shape):
        shape = tuple(shape)
        spatial = shape[2:] if self.data_format == "channels_first" else shape[1:-1]
        return self._grid2d(spatial)


class BaseConv(SpatialLayer):
    """Shared settings of the convolution layers (see ``Conv2D`` for the arguments)."""

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, activity_regularizer=None, bias_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        rank = self.rank
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding, allow_causal=rank == 1)
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")

    def _conv_args(self, spatial):
        """(strides, pads, dilation) of the 2-D op for an input of NHWC spatial size."""
        k = self._grid2d(self.kernel_size)
        s, d = self._grid2d(self.strides), self._grid2d(self.dilation_rate)
        pads = tuple(conv_ops.conv_padding(spatial[a], k[a], s[a], d[a], self.padding)
                     for a in range(2))
        return s, pads, d

    def _check_output_size(self, input_shape):
        spatial = self._spatial_shape(input_shape)
        if None in spatial:
            return
        s, pads, d = self._conv_args(spatial)
        k = self._grid2d(self.kernel_size)
        if any(conv_ops.conv_output_size(spatial[a], k[a], s[a], d[a], pads[a]) <= 0
               for a in range(2)):
            raise ValueError(
                f"Layer \"{self.name}\": computed output size would be negative. Received "
                f"inputs shape={tuple(input_shape)}, kernel_size={self.kernel_size}, "
                f"dilation_rate={self.dilation_rate}, padding={self.padding!r}.")

    def _add_bias(self, shape):
        if not self.use_bias:
            return None
        return self.add_weight("bias", shape, self.bias_initializer,
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _finish(self, y, activated=False):
        y = self._from_nhwc(y)
        if not activated:
            y = self.activation(y)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(y))
        return y

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class Conv2D(BaseConv):
    """2-D convolution: slides ``filters`` kernels over the image, ``activation(conv + bias)``.

    Args:
        filters: number of output channels.
        kernel_size: int or (rows, cols).
        strides: int or pair; step between windows.
        padding: 'valid' (none) or 'same' (zeros so that output = ceil(input / stride);
            the odd pixel goes to the bottom/right, as in TensorFlow).
        data_format: 'channels_last' (default) or 'channels_first'.
        dilation_rate: int or pair; spacing between kernel taps.
        groups: split the channels into this many independent convolutions.
        activation: name or callable; None means linear.
        use_bias: whether to add a bias per filter.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: functions applied after each update.

    Weights: ``kernel`` (rows, cols, in_channels // groups, filters), ``bias`` (filters,).
    """
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive "
                             f"value. Received filters={filters!r}.")
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise ValueError("The number of filters must be evenly divisible by the number of "
                             f"groups. Received: groups={groups}, filters={filters}.")
        self.filters, self.groups = filters, groups
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        self._check_ndim(input_shape)
        channels = input_shape[self._channel_axis()]
        if channels % self.groups:
            raise ValueError("The number of input channels must be evenly divisible by the number "
                             f"of groups. Received groups={self.groups}, but the input has "
                             f"{channels} channels (full input shape is {tuple(input_shape)}).")
        self._check_output_size(input_shape)
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (channels // self.groups, self.filters),
            self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = self._add_bias((self.filters,))
        self.input_axes = {self._channel_axis(): channels}
        self.built = True

    def call(self, inputs):
        self._check_ndim(inputs.shape)
        x = self._to_nhwc(inputs)
        strides, pads, dilation = self._conv_args(x.shape[1:3])
        W = self.kernel if self.rank == 2 else ops.reshape(self.kernel, (1,) + self.kernel.shape)
        if self.groups == 1:
            relu = self.activation is activations.relu  # NOTE: the fused op is faster
            y = conv_ops.conv2d(x, W, self.bias, strides, pads, dilation, relu)
            return self._finish(y, activated=relu)
        cin, fout = W.shape[2], self.filters // self.groups
        ys = [conv_ops.conv2d(x[..., g * cin:(g + 1) * cin], W[..., g * fout:(g + 1) * fout],
                              None, strides, pads, dilation) for g in range(self.groups)]
        y = ops.concatenate(ys, axis=-1)
        return self._finish(y + self.bias if self.bias is not None else y)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint)}


class Conv1D(Conv2D):
    """1-D convolution over steps: input (batch, steps, channels), kernel (k, in, filters).

    Same arguments as ``Conv2D`` with ints for kernel_size, strides and dilation_rate;
    ``padding`` may also be 'causal' (zeros on the left only, so step t sees no later step).
    """
    rank = 1


def transpose_output_size(size, kernel, stride, dilation, padding, output_padding=None):
    """Output length of a transposed convolution, by Keras's (TensorFlow's) rules."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (size - 1) * stride + k + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + k % 2 + output_padding


class Conv2DTranspose(Conv2D):
    """Transposed ("de-") convolution: upsamples by ``strides``; the gradient of a Conv2D.

    Args:
        output_padding: int or pair (each < the stride) of extra rows/cols at the end;
            None lets Keras's rule pick the size: ``input * stride`` for 'same',
            ``(input - 1) * stride + max(kernel, stride)`` for 'valid'.
        Others as in ``Conv2D`` (no ``groups``).

    Weights: ``kernel`` (rows, cols, filters, in_channels), ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1,
                         activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = None if output_padding is None else standardize_tuple(
            output_padding, self.rank, "output_padding", allow_zero=True)
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"`output_padding` must be < `strides`. Received "
                             f"output_padding={self.output_padding}, strides={self.strides}")

    def _check_output_size(self, input_shape):
        pass  # NOTE: a transposed convolution only grows its input

    def build(self, input_shape):
        self._check_ndim(input_shape)
        channels = input_shape[self._channel_axis()]
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (self.filters, channels), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self._add_bias((self.filters,))
        self.input_axes = {self._channel_axis(): channels}
        self.built = True

    def call(self, inputs):
        self._check_ndim(inputs.shape)
        x = self._to_nhwc(inputs)
        k = self._grid2d(self.kernel_size)
        s, d = self._grid2d(self.strides), self._grid2d(self.dilation_rate)
        op = self._grid2d(self.output_padding or (None,) * self.rank, fill=None)
        out = tuple(transpose_output_size(x.shape[1 + a], k[a], s[a], d[a], self.padding, op[a])
                    for a in range(2))
        pads = tuple(conv_ops.conv_padding(out[a], k[a], s[a], d[a], self.padding)
                     for a in range(2))
        W = self.kernel if self.rank == 2 else ops.reshape(self.kernel, (1,) + self.kernel.shape)
        return self._finish(conv_ops.conv2d_transpose(x, W, out, self.bias, s, pads, d))

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


class DepthwiseConv2D(BaseConv):
    """Depthwise 2-D convolution: each input channel gets its own ``depth_multiplier`` kernels.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias:
            as in ``Conv2D``.
        depth_multiplier: output channels per input channel.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the kernel.

    Weights: ``kernel`` (rows, cols, in_channels, depth_multiplier),
    ``bias`` (in_channels * depth_multiplier,).
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, activity_regularizer,
                         bias_constraint, **kwargs)
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise ValueError("Invalid value for argument `depth_multiplier`. Expected a strictly "
                             f"positive value. Received depth_multiplier={depth_multiplier!r}.")
        self.depth_multiplier = depth_multiplier
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _build_depthwise(self, input_shape, name):
        self._check_ndim(input_shape)
        self._check_output_size(input_shape)
        channels = input_shape[self._channel_axis()]
        self.input_axes = {self._channel_axis(): channels}
        return channels, self.add_weight(
            name, self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)

    def build(self, input_shape):
        channels, self.kernel = self._build_depthwise(input_shape, "kernel")
        self.bias = self._add_bias((channels * self.depth_multiplier,))
        self.built = True

    def _depthwise(self, inputs, kernel, bias=None):
        self._check_ndim(inputs.shape)
        x = self._to_nhwc(inputs)
        return conv_ops.depthwise_conv2d(x, kernel, bias, *self._conv_args(x.shape[1:3]))

    def call(self, inputs):
        return self._finish(self._depthwise(inputs, self.kernel, self.bias))

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint)}


class SeparableConv2D(DepthwiseConv2D):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution that mixes channels.

    Args:
        filters: output channels of the pointwise convolution.
        depth_multiplier: channels per input channel after the depthwise step.
        pointwise_initializer, pointwise_regularizer, pointwise_constraint: for the 1x1 kernel.
        Others as in ``DepthwiseConv2D``.

    Weights: ``depthwise_kernel`` (rows, cols, in, depth_multiplier), ``pointwise_kernel``
    (1, 1, in * depth_multiplier, filters), ``bias`` (filters,).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError("Invalid value for argument `filters`. Expected a strictly positive "
                             f"value. Received filters={filters!r}.")
        self.filters = filters
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels, self.depthwise_kernel = self._build_depthwise(input_shape, "depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = self._add_bias((self.filters,))
        self.built = True

    def call(self, inputs):
        y = self._depthwise(inputs, self.depthwise_kernel)
        W = ops.reshape(self.pointwise_kernel, (-1, self.filters))
        return self._finish(ops.linear(y, W, self.bias))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


Convolution1D, Convolution2D, Convolution2DTranspose = Conv1D, Conv2D, Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
