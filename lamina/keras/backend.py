"""keras.backend: the functions tf.keras 2 code still calls."""
from lamina.backend import epsilon, floatx, get_value, set_floatx, set_value  # noqa: F401
from lamina.naming import clear_session  # noqa: F401
