"""Object names as Keras gives them: the class name in snake case, numbered per session
(``dense``, ``dense_1``, ...). Layers, losses and metrics name themselves with these."""
import re
import threading

_name_counts = {}
_name_lock = threading.Lock()  # threads creating layers at once get distinct names


def snake_case(name):
    """'MyLayer' -> 'my_layer', 'MyOPT' -> 'my_opt', as Keras turns class names into names."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(prefix):
    """Returns prefix, prefix_1, prefix_2, ... within a session, as Keras names objects."""
    with _name_lock:
        n = _name_counts.get(prefix, 0)
        _name_counts[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def clear_session():
    """Resets automatic names, so the next Dense is 'dense' again."""
    _name_counts.clear()
