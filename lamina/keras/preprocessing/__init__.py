"""keras.preprocessing (the Keras 2 path): ``sequence.pad_sequences``."""
from lamina.keras.preprocessing import sequence  # noqa: F401
