"""keras.backend: the few functions course code calls."""
from lamina.backend import floatx, set_floatx  # noqa: F401
from lamina.naming import clear_session  # noqa: F401
