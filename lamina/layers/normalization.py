"""Normalization layers: BatchNormalization and LayerNormalization."""
from lamina import constraints, initializers, ops, regularizers
from lamina.autograd import Tensor, autocast_scope, no_grad
from lamina.layers.base import Layer
from lamina.ops.normalization import normalize


def _broadcast(weight, shape, axes):
    """``weight`` reshaped to broadcast against an input of ``shape`` along ``axes``."""
    if weight is None or list(axes) == [len(shape) - 1]:
        return weight
    return ops.reshape(weight, [n if i in axes else 1 for i, n in enumerate(shape)])


def _inverse_std(xp, variance, epsilon):
    return 1 / (variance + epsilon) ** 0.5


class BatchNormalization(Layer):
    """Normalizes each channel with the batch's statistics in training, moving averages otherwise.

    In training (``training=True`` and the layer trainable) the output is
    ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` with the mean and (biased) variance
    of the batch over every axis but ``axis``, and the moving statistics are updated:
    ``moving = moving * momentum + batch * (1 - momentum)``. In inference the moving
    statistics take the batch's place.

    Args:
        axis: the channel axis (default -1).
        momentum: decay of the moving averages.
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer: penalties.
        beta_constraint, gamma_constraint: functions applied after each update.
        synchronized, renorm, renorm_clipping, renorm_momentum: Keras options (cross-replica
            statistics, batch renormalization) accepted when off, as Keras writes them.

    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``
    (non-trainable), each of shape (channels,).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, **kwargs):
        if renorm or renorm_clipping is not None:
            raise NotImplementedError("lamina's BatchNormalization has no batch renormalization; "
                                      f"received renorm={renorm!r}, renorm_clipping="
                                      f"{renorm_clipping!r} (expected False and None).")
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Layer \"{self.name}\": axis={self.axis} is out of range for an "
                             f"input of shape {tuple(input_shape)}.")
        self._axis = self.axis % ndim
        shape = (input_shape[self.axis],)
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape,
                                               self.moving_variance_initializer, trainable=False)
        self._ndim = ndim
        self._reduction_axes = tuple(i for i in range(ndim) if i != self._axis)
        self.input_axes = {self.axis: input_shape[self.axis]}
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if inputs.ndim != self._ndim:
            raise ValueError(
                f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected "
                f"ndim={self._ndim}, found ndim={inputs.ndim}. Full shape received: "
                f"{tuple(inputs.shape)}")
        shape, axes = inputs.shape, (self._axis,)
        gamma = _broadcast(self.gamma, shape, axes)
        beta = _broadcast(self.beta, shape, axes)
        if training and self.trainable:
            if mask is None:
                y, mean, var = normalize(inputs, 1.0 if gamma is None else gamma,
                                         0.0 if beta is None else beta,
                                         self._reduction_axes, self.epsilon)
            else:
                y, mean, var = self._masked(inputs, mask, gamma, beta)
            m = self.momentum
            # ops, so a compiled step replays the update (the statistics in their own dtype)
            with no_grad(), autocast_scope(None):
                self.moving_mean.assign(self.moving_mean * m + ops.reshape(mean, (-1,)) * (1 - m))
                self.moving_variance.assign(
                    self.moving_variance * m + ops.reshape(var, (-1,)) * (1 - m))
            return y
        # NOTE: inference is one affine map, x * scale + shift, per channel.
        xp_shape = [n if i == self._axis else 1 for i, n in enumerate(shape)]
        with autocast_scope(None):   # the moving statistics in their own dtype
            inv = ops.reshape(ops.detached(_inverse_std, self.moving_variance,
                                           epsilon=self.epsilon), xp_shape)
            negative_mean = ops.reshape(-self.moving_mean, xp_shape)
        scale = inv if gamma is None else gamma * inv
        shift = negative_mean * scale
        if beta is not None:
            shift = shift + beta
        return inputs * scale + shift

    def _masked(self, inputs, mask, gamma, beta):
        """Batch statistics over the unmasked steps only (mask: the inputs' shape but the last)."""
        m = mask.data if isinstance(mask, Tensor) else mask
        if m.ndim != inputs.ndim - 1:
            raise ValueError("The mask provided should be one dimension less than the inputs. "
                             f"Received: mask.shape={m.shape}, inputs.shape={inputs.shape}")
        w = m.astype(inputs.dtype)[..., None]
        count = w.sum(axis=self._reduction_axes, keepdims=True) + 1e-7
        mean = ops.sum(inputs * w, axis=self._reduction_axes, keepdims=True) / count
        d = inputs * w - mean
        var = ops.sum(d * d * w, axis=self._reduction_axes, keepdims=True) / count
        y = (inputs - mean) / ops.sqrt(var + self.epsilon)
        if gamma is not None:
            y = y * gamma
        if beta is not None:
            y = y + beta
        return y, mean, var

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer":
                    initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized}


class LayerNormalization(Layer):
    """Normalizes each sample: ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` over ``axis``.

    Args:
        axis: int or list of ints, the axes to normalize over (default -1).
        epsilon: added to the variance.
        center, scale: whether to learn ``beta`` and ``gamma``.
        rms_scaling: if True, ``x / sqrt(var + eps) * gamma`` (no centering, no beta), as Keras.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
            beta_constraint, gamma_constraint: for the weights.

    Weights: ``gamma`` and ``beta``, each of the shape of the normalized axes.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError("Expected an int or a list/tuple of ints for the argument 'axis', "
                            f"but received: {axis!r}")
        self.epsilon, self.center, self.scale = epsilon, center, scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"Layer \"{self.name}\": axis={self.axis} is out of range for an "
                             f"input of shape {tuple(input_shape)}.")
        self._axes = sorted(a % ndim for a in axes)
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight("beta", shape, self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.input_axes = {a: input_shape[a] for a in axes}
        self.built = True

    def call(self, inputs):
        gamma = _broadcast(self.gamma, inputs.shape, self._axes)
        beta = _broadcast(self.beta, inputs.shape, self._axes)
        if self.rms_scaling:
            mean = ops.mean(inputs, axis=self._axes, keepdims=True)
            d = inputs - mean
            var = ops.mean(d * d, axis=self._axes, keepdims=True)
            return inputs / ops.sqrt(var + self.epsilon) * gamma
        y, _, _ = normalize(inputs, 1.0 if gamma is None else gamma,
                            0.0 if beta is None else beta, self._axes, self.epsilon)
        return y

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}
