"""Image augmentation: RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
RandomContrast and RandomCrop.

They change images at random while training and leave them alone at inference
(``predict``, ``evaluate``, ``training=False``); RandomCrop then crops the centre. Called
directly, ``layer(images)`` augments, as in Keras (``training`` defaults to True). Images
are (batch, height, width, channels) or one (height, width, channels) image; the output
is floats. They work on data: no gradient flows through them to earlier layers.
"""
import math

import numpy as np

from lamina import backend, ops
from lamina.layers.base import Layer
from lamina.layers.preprocessing._image import (FILL_MODES, INTERPOLATIONS, affine_transform,
                                                resize_bilinear)


class _Augmentation(Layer):
    """Shared by the augmentation layers: the random generator, the data format, the
    ``factor`` check, and batching of single images."""
    factor_bounds = (-1, 1)

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        if bounding_box_format is not None:
            raise NotImplementedError(f"{type(self).__name__}: bounding boxes are not supported "
                                      "in lamina; received bounding_box_format="
                                      f"{bounding_box_format!r}. Pass images only.")
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of {{'channels_first', "
                             f"'channels_last'}}. Received: data_format={data_format}")
        self.seed = seed
        self.data_format = data_format or "channels_last"
        self._rng = None

    def _generator(self, xp):
        if self.seed is None:
            return backend.rng(xp)
        if self._rng is None:
            self._rng = xp.random.default_rng(self.seed)
        return self._rng

    def _set_factor(self, factor):
        low, high = self.factor_bounds
        message = ("The `factor` argument should be a number (or a list of two numbers) in the "
                   f"range [{low}, {high}]. Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < low or factor > high:
                raise ValueError(message)
            return max(-abs(factor), low), abs(factor)
        raise ValueError(message)

    def call(self, inputs, training=None):
        x = inputs.data
        if x.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__} expects images of rank 3 (height, width, "
                             "channels) or 4 (batch, height, width, channels). Received: "
                             f"inputs.shape={tuple(x.shape)}")
        if x.dtype.kind not in "iuf":
            raise TypeError(f"{type(self).__name__} layer '{self.name}' expects numeric images, "
                            f"but received {x.dtype} values.")
        # an op, so a compiled step replays it, drawing new numbers as eager does
        return ops.detached(_transform, inputs, layer=self, augment=training is None or training)

    def infer(self, images):
        """The inference output: the images themselves."""
        return images

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


def _transform(xp, x, layer, augment):
    """The work of ``_Augmentation.call`` on the images' array."""
    single = x.ndim == 3
    x = x[None] if single else x
    if layer.data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    x = x.astype(layer.dtype)
    y = layer.augment(x) if augment else layer.infer(x)
    if layer.data_format == "channels_first":
        y = y.transpose(0, 3, 1, 2)
    return y[0] if single else y


class _Affine(_Augmentation):
    """An augmentation that resamples each image by a random affine transform."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{FILL_MODES}.")
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      f"{INTERPOLATIONS}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def augment(self, images):
        xp = backend.get_array_module(images)
        transforms = self.transforms(images.shape, self._generator(xp), xp)
        return affine_transform(images, transforms, self.interpolation, self.fill_mode,
                                self.fill_value)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomFlip(_Augmentation):
    """Flips each image, with probability 1/2, left-right ('horizontal'), upside down
    ('vertical') or both ('horizontal_and_vertical', the default: one draw for both).

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical'.
        seed: seed of the random draws.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        modes = ("horizontal", "vertical", "horizontal_and_vertical")
        if mode not in modes:
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument "
                             f"{mode!r}; expected one of {modes}.")
        self.mode = mode

    def augment(self, images):
        xp = backend.get_array_module(images)
        flips = (self._generator(xp).random((len(images), 1, 1, 1)) <= 0.5)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = xp.where(flips, images[:, :, ::-1], images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = xp.where(flips, images[:, ::-1], images)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def _affine_matrix(angle, height, width, scale=None):
    """Keras's rotation (degrees) about the image centre, as (batch, 8) transforms."""
    xp = backend.get_array_module(angle)
    theta = angle * (math.pi / 180.0)
    scale = xp.ones_like(theta) if scale is None else scale
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    a0, a1 = scale * xp.cos(theta), -scale * xp.sin(theta)
    b0, b1 = scale * xp.sin(theta), scale * xp.cos(theta)
    zeros = xp.zeros_like(theta)
    return xp.stack([a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1,
                     zeros, zeros], axis=1)


class RandomRotation(_Affine):
    """Rotates each image about its centre by a random angle of ``factor`` turns.

    Args:
        factor: a number f (angles in [-f, f] * 360 degrees) or a pair (low, high), in
            [-1, 1]; 0.1 rotates by up to 36 degrees either way.
        fill_mode: 'reflect' (default), 'wrap', 'constant' or 'nearest': how the corners
            that come from outside the image are filled.
        interpolation: 'bilinear' (default) or 'nearest'.
        seed: seed of the random draws.
        fill_value: the value of fill_mode='constant'.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = self._set_factor(factor)

    def transforms(self, shape, rng, xp):
        low, high = self.factor
        angle = rng.uniform(low * 360.0, high * 360.0, size=shape[0])
        return _affine_matrix(angle, shape[1], shape[2])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _TwoFactors(_Affine):
    """RandomZoom and RandomTranslation: a height and a width factor in (-1, 1]."""
    factor_message = ("The `height_factor` and `width_factor` arguments should be a number (or "
                      "a list of two numbers) in the range (-1.0, 1.0]. ")
    lowest_open = True

    def _set_hw_factor(self, factor, name):
        def check(value):
            if value > 1.0 or value < -1.0 or (self.lowest_open and value <= -1.0):
                raise ValueError(self.factor_message + f"Received: input_number={value}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(self.factor_message + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            return tuple(sorted(factor))
        if isinstance(factor, (int, float)) and not isinstance(factor, bool):
            check(factor)
            return -abs(factor), abs(factor)
        raise ValueError(self.factor_message + f"Received: {name}={factor}")

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomZoom(_TwoFactors):
    """Zooms each image in or out about its centre by a random factor.

    Args:
        height_factor: a number f or a pair (low, high) in (-1, 1]: the height is zoomed by
            1 + a draw from [-f, f]; positive values zoom out, negative zoom in.
        width_factor: the same for the width; None (default) keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = self._set_hw_factor(height_factor,
                                                                   "height_factor")
        if width_factor is not None:
            self.width_lower, self.width_upper = self._set_hw_factor(width_factor,
                                                                     "width_factor")

    def transforms(self, shape, rng, xp):
        B, H, W = shape[:3]
        zy = 1.0 + rng.uniform(self.height_lower, self.height_upper, size=B)
        zx = zy if self.width_factor is None else 1.0 + rng.uniform(
            self.width_lower, self.width_upper, size=B)
        zeros = xp.zeros(B)
        return xp.stack([zx, zeros, (W - 1) / 2.0 * (1 - zx), zeros, zy,
                         (H - 1) / 2.0 * (1 - zy), zeros, zeros], axis=1)


class RandomTranslation(_TwoFactors):
    """Shifts each image by a random fraction of its height and width.

    Args:
        height_factor: a number f or a pair (low, high) in [-1, 1]: the vertical shift is a
            draw from [-f, f] times the height (positive: down).
        width_factor: the same for the horizontal shift (positive: right).
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
    """
    lowest_open = False
    factor_message = ("The `height_factor` and `width_factor` arguments should be a number (or "
                      "a list of two numbers) in the range [-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = self._set_hw_factor(height_factor,
                                                                   "height_factor")
        self.width_lower, self.width_upper = self._set_hw_factor(width_factor, "width_factor")

    def transforms(self, shape, rng, xp):
        B, H, W = shape[:3]
        ty = rng.uniform(self.height_lower, self.height_upper, size=B) * H
        tx = rng.uniform(self.width_lower, self.width_upper, size=B) * W
        ones, zeros = xp.ones(B), xp.zeros(B)
        return xp.stack([ones, zeros, -tx, zeros, ones, -ty, zeros, zeros], axis=1)


class RandomContrast(_Augmentation):
    """Scales each image's contrast: ``(x - mean) * c + mean`` per channel, with the mean
    over the pixels and c drawn per image, then clips to ``value_range``.

    Args:
        factor: a number f or a pair in [0, 1]; as in Keras, c is drawn from
            [1 - low, 1 + high] with (low, high) = (0, f) for a number f.
        value_range: (min, max) of the pixel values, default (0, 255).
        seed: seed of the random draws.
    """
    factor_bounds = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = value_range

    def augment(self, images):
        xp = backend.get_array_module(images)
        c = self._generator(xp).uniform(1.0 - self.factor[0], 1.0 + self.factor[1],
                                        size=(len(images), 1, 1, 1)).astype(images.dtype)
        mean = images.mean(axis=(1, 2), keepdims=True)
        return xp.clip((images - mean) * c + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class RandomCrop(_Augmentation):
    """Crops a random ``height`` x ``width`` window (the same for the whole batch) while
    training. At inference, and for images not larger than the window, it resizes the
    largest centred window of the target's aspect ratio to ``height`` x ``width``.

    Args:
        height, width: size of the output.
        seed: seed of the random draws.
        data_format: 'channels_last' (default) or 'channels_first'.
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        for arg, value in (("height", height), ("width", width)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"RandomCrop expects `{arg}` to be a positive integer. "
                                 f"Received: {arg}={value!r}")
        self.height, self.width = int(height), int(width)

    def augment(self, images):
        H, W = images.shape[1:3]
        if not (H > self.height and W > self.width):
            return self.infer(images)
        rng = self._generator(backend.get_array_module(images))
        top = int(rng.integers(0, H - self.height + 1))
        left = int(rng.integers(0, W - self.width + 1))
        return images[:, top:top + self.height, left:left + self.width]

    def infer(self, images):
        H, W = images.shape[1:3]
        crop_h = max(min(H, int(float(W * self.height) / self.width)), 1)
        crop_w = max(min(W, int(float(H * self.width) / self.height)), 1)
        top, left = int((H - crop_h) / 2), int((W - crop_w) / 2)
        images = images[:, top:top + crop_h, left:left + crop_w]
        if (crop_h, crop_w) == (self.height, self.width):
            return images
        return resize_bilinear(images, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
