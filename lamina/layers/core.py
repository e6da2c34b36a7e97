"""Core layers: Dense and Activation."""
import numbers

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers.base import Layer
from lamina.serialization import serialize_keras_object


class Dense(Layer):
    """Densely connected layer: ``activation(inputs @ kernel + bias)``.

    Args:
        units: size of the output's last axis.
        activation: name or callable; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers for the weights.
        kernel_regularizer, bias_regularizer: penalties added to the loss.
        activity_regularizer: penalty on the layer's output.
        kernel_constraint, bias_constraint: functions applied after each update.
        lora_rank, lora_alpha, quantization_config: Keras 3 options (LoRA, quantization)
            that lamina does not have; accepted when off (None), as Keras writes them.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        for option, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                              ("quantization_config", quantization_config)):
            if value is not None:
                raise NotImplementedError(f"lamina's Dense has no LoRA or quantization; "
                                          f"received {option}={value!r} (expected None).")
        super().__init__(**kwargs)
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.kernel = self.add_weight("kernel", (in_dim, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_axes = {-1: in_dim}
        self.built = True

    def call(self, inputs):
        if self.activation is activations.relu:  # NOTE: the fused op is faster
            y = ops.linear(inputs, self.kernel, self.bias, relu=True)
        else:
            y = self.activation(ops.linear(inputs, self.kernel, self.bias))
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(y))
        return y

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint))
        return config


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: name or callable, e.g. 'relu'.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Lambda(Layer):
    """Wraps a function of tensors as a layer, e.g. ``Lambda(lambda x: x * 2)``.

    Saving stores the function's code, so loading a model with a Lambda layer needs
    ``safe_mode=False`` (it runs code from the file).

    Args:
        function: called as ``function(inputs, **arguments)``.
        output_shape: accepted for Keras compatibility (shapes are found by a trial call).
        mask: accepted for Keras compatibility.
        arguments: extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape_arg, self._mask_arg = output_shape, mask

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        return {**super().get_config(), "function": serialize_keras_object(self.function),
                "output_shape": self._output_shape_arg, "arguments": self.arguments}
