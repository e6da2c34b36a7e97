"""The object registry: the names under which classes and functions are saved and found.

lamina's own classes and functions register themselves, by kind, when their module is
imported (``register_builtins``; every Layer subclass through ``Layer.__init_subclass__``).
User objects register as in Keras: ``@register_keras_serializable(package="my_pkg")``
records a class under ``"my_pkg>ClassName"``; ``custom_objects={"ClassName": cls}`` and
``CustomObjectScope`` make names known for one load. Nothing here imports code named in a
file, and this module imports nothing of lamina.
"""
import inspect

KINDS = ("schedules", "optimizers", "losses", "metrics", "initializers", "regularizers",
         "constraints", "activations", "layers", "models")
GLOBAL_CUSTOM_OBJECTS = {}   # "package>name" -> class or function
GLOBAL_CUSTOM_NAMES = {}     # class or function -> "package>name"
_scope_stack = [{}]          # objects of the open CustomObjectScopes, innermost last
_builtins = {}               # kind -> {name: lamina's class or function}
_bases = {}                  # name -> lamina's base class ('Layer', 'Model', 'Optimizer', ...)
_keras_names = {}            # class -> (module, registered_name) Keras writes for it


# --- lamina's own objects ---
def register_builtins(kind, objects):
    """Makes lamina's own classes or functions of one kind known to deserialization.

    Args:
        kind: 'layers', 'optimizers', 'losses', 'metrics', 'metric_functions',
            'initializers', 'regularizers', 'schedules', 'activations' or 'constraints'.
        objects: ``{name: class or function}``; aliases are names too.
    """
    _builtins.setdefault(kind, {}).update(objects)


def register_base(cls):
    """Makes one of lamina's base classes (Layer, Model, Functional, KerasTensor, Optimizer)
    known by name, so that serialization can test ``isinstance`` without importing it."""
    _bases[cls.__name__] = cls


def register_keras_name(cls, module, registered_name=None):
    """Saves ``cls`` under Keras's ``module`` (and ``registered_name``) instead of
    ``keras.<kind>`` (Keras writes ``"module": "keras"`` for Sequential and Model)."""
    _keras_names[cls] = (module, registered_name)


def keras_name(cls):
    """``(module, registered_name)`` given by ``register_keras_name``, or None."""
    return _keras_names.get(cls)


def base_class(name):
    """lamina's base class called ``name`` ('Layer', 'Model', ...), or None before the
    module defining it is imported."""
    return _bases.get(name)


def builtin_table(kind):
    """{class or function name: object} of lamina's built-ins of one kind.

    Args:
        kind: 'layers' (models included), 'optimizers', 'losses', 'metrics',
            'metric_functions', 'initializers', 'regularizers', 'schedules', 'activations'
            or 'constraints'.
    """
    kind = "layers" if kind == "models" else kind
    if kind not in KINDS + ("metric_functions",):
        raise ValueError(f"Unknown object kind {kind!r}; expected one of {KINDS}.")
    return _builtins.get(kind, {})


# --- user objects ---


class CustomObjectScope:
    """Makes custom classes and functions known to loading inside a ``with`` block.

    Args:
        custom_objects: dict ``{name: class or function}``.

    Example:
        >>> with CustomObjectScope({"MyLayer": MyLayer}):
        ...     model = lamina.saving.load_model("model.keras")
    """

    def __init__(self, custom_objects):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError("custom_objects must be a dict {name: class or function}, "
                            f"got {type(custom_objects).__name__}: {custom_objects!r}")
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _scope_stack.append({**_scope_stack[-1], **self.custom_objects})
        return self

    def __exit__(self, *exc):
        _scope_stack.pop()


custom_object_scope = CustomObjectScope


def get_custom_objects():
    """Returns the live global dict of registered objects ({"package>name": obj})."""
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Decorator that registers a class or function for saving and loading.

    Args:
        package: package part of the key (default 'Custom').
        name: name part of the key (default the object's ``__name__``).

    Returns:
        The decorator; it returns the object unchanged.

    Example:
        >>> @register_keras_serializable(package="my_layers")
        ... class Scale(lamina.layers.Layer):
        ...     ...
    """
    def decorator(obj):
        key = f"{package}>{name if name is not None else obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class needs a get_config() "
                             "method to be saved.")
        existing = GLOBAL_CUSTOM_OBJECTS.get(key)
        if existing is not None and existing is not obj and getattr(
                existing, "__qualname__", None) != getattr(obj, "__qualname__", None):
            raise ValueError(f"{key!r} is already registered to {existing!r}; choose another "
                             "package or name.")
        GLOBAL_CUSTOM_OBJECTS[key] = obj
        GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """The name ``obj`` is saved under: its registered key, else its ``__name__``."""
    return GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def get_registered_object(name, custom_objects=None):
    """Looks ``name`` up in the open scopes, the registry, then ``custom_objects``.

    Returns:
        The class or function, or None when the name is unknown.
    """
    if name is None:
        return None
    for table in (_scope_stack[-1], GLOBAL_CUSTOM_OBJECTS, custom_objects or {}):
        if name in table:
            return table[name]
    return None
