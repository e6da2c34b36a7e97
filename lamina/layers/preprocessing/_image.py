"""Image resampling for the augmentation layers: affine transforms and bilinear resizing of
(batch, height, width, channels) arrays, on NumPy or CuPy."""
from lamina import backend

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fill_index(index, size, fill_mode):
    """Maps integer pixel indices outside [0, size) as ``fill_mode`` says; for 'constant'
    also returns which indices were inside."""
    xp = backend.get_array_module(index)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        index = index % (2 * size)
        return xp.where(index >= size, 2 * size - 1 - index, index), None
    if fill_mode == "wrap":  # (a b c d | a b c d | a b c d)
        return index % size, None
    inside = (index >= 0) & (index < size)
    return xp.clip(index, 0, size - 1), (inside if fill_mode == "constant" else None)


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect",
                     fill_value=0.0):
    """Resamples each image by its transform, as ``keras.ops.image.affine_transform``.

    Args:
        images: (batch, height, width, channels) floats.
        transforms: (batch, 8) rows [a0, a1, a2, b0, b1, b2, c0, c1]: output pixel (x, y)
            takes the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with
            k = c0 x + c1 y + 1.
        interpolation: 'bilinear' or 'nearest'.
        fill_mode: how points outside the input are filled: 'reflect', 'wrap',
            'constant' (``fill_value``) or 'nearest'.
        fill_value: the value of 'constant'.

    Returns:
        The transformed images, same shape.
    """
    xp = backend.get_array_module(images)
    B, H, W, _ = images.shape
    ys, xs = xp.meshgrid(xp.arange(H, dtype=images.dtype), xp.arange(W, dtype=images.dtype),
                         indexing="ij")
    t = xp.asarray(transforms, dtype=images.dtype)[:, :, None, None]
    k = t[:, 6] * xs + t[:, 7] * ys + 1
    x_in = (t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / k
    y_in = (t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / k
    batch = xp.arange(B)[:, None, None]

    def pixels(yi, xi):
        yi, y_inside = _fill_index(yi, H, fill_mode)
        xi, x_inside = _fill_index(xi, W, fill_mode)
        out = images[batch, yi, xi]
        if y_inside is not None:
            out = xp.where((y_inside & x_inside)[..., None], out, images.dtype.type(fill_value))
        return out

    if interpolation == "nearest":
        return pixels(xp.round(y_in).astype(int), xp.round(x_in).astype(int))
    y0, x0 = xp.floor(y_in), xp.floor(x_in)
    wy, wx = (y_in - y0)[..., None], (x_in - x0)[..., None]
    y0, x0 = y0.astype(int), x0.astype(int)
    return ((1 - wy) * ((1 - wx) * pixels(y0, x0) + wx * pixels(y0, x0 + 1))
            + wy * ((1 - wx) * pixels(y0 + 1, x0) + wx * pixels(y0 + 1, x0 + 1)))


def resize_bilinear(images, height, width):
    """Bilinear resize of (batch, h, w, c) images to (batch, height, width, c), pixel
    centres aligned (half-pixel), edges clamped."""
    xp = backend.get_array_module(images)
    B, H, W, _ = images.shape

    def source(size_out, size_in):
        pos = (xp.arange(size_out, dtype=images.dtype) + 0.5) * (size_in / size_out) - 0.5
        pos = xp.clip(pos, 0, size_in - 1)
        low = xp.floor(pos).astype(int)
        return low, xp.minimum(low + 1, size_in - 1), pos - low

    y0, y1, wy = source(height, H)
    x0, x1, wx = source(width, W)
    wy, wx = wy[None, :, None, None], wx[None, None, :, None]
    top = images[:, y0][:, :, x0] * (1 - wx) + images[:, y0][:, :, x1] * wx
    bottom = images[:, y1][:, :, x0] * (1 - wx) + images[:, y1][:, :, x1] * wx
    return top * (1 - wy) + bottom * wy
