"""keras.ops.image: lamina has no image ops yet; use keras.layers.Resizing and friends."""


def __getattr__(name):
    raise AttributeError(f"keras.ops.image.{name} is not available in lamina; use the "
                         "preprocessing layers (keras.layers.Resizing, ...) instead.")
