"""Shared by the modules with a ``get(identifier)``: serialize an object to
``{'class_name', 'config'}`` and build it back from a name or such a dict."""
import inspect


def serialize(obj, base, kind):
    """``{'class_name': ..., 'config': ...}`` for an instance of ``base`` (None for None)."""
    if obj is None:
        return None
    if not isinstance(obj, base):
        raise ValueError(f"Cannot serialize {obj!r}: expected a{'n' if kind[0] in 'aeiou' else ''} "
                         f"{base.__name__} instance.")
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(config, table, kind, custom_objects=None):
    """Builds an object from a name or ``{'class_name', 'config'}`` (extra keys ignored).

    Args:
        config: the name or dict.
        table: {name: class or factory} of the built-in objects.
        kind: what is built, for error messages ('initializer').
        custom_objects: optional extra {name: class}.
    """
    table = {**table, **(custom_objects or {})}
    if isinstance(config, str):
        name, kwargs = config, {}
    elif isinstance(config, dict) and "class_name" in config:
        name, kwargs = config["class_name"], config.get("config") or {}
    else:
        raise ValueError(f"Cannot deserialize {kind} {config!r}: expected a name or a dict with "
                         "'class_name' and 'config'.")
    if name not in table:
        raise ValueError(f"Unknown {kind} {name!r}; expected one of {sorted(table)}.")
    factory = table[name]
    return factory.from_config(kwargs) if hasattr(factory, "from_config") else factory(**kwargs)


def get(identifier, table, kind, custom_objects=None):
    """An object from a name, a config dict, a class (instantiated), or a callable (as is).

    None gives None; anything else raises an error listing the valid names.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier, table, kind, custom_objects)
    if inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier {identifier!r}; expected a "
                     f"callable or one of {sorted(table)}.")


def _a(name):
    return f"a{'n' if name[0].lower() in 'aeiou' else ''} {name}"


def get_instance(identifier, base, deserialize, kind, names, by_name=False):
    """The ``get`` of the kinds whose objects hold state (optimizers, schedules): an instance
    of ``base`` from itself, a config dict, or (``by_name``) a name with default arguments.

    Args:
        identifier: None, an instance of ``base``, a config dict or a name.
        base: Optimizer or LearningRateSchedule.
        deserialize: builds an object from a config dict.
        kind: 'optimizer' or 'learning rate schedule', for error messages.
        names: the valid names, listed in the error.
        by_name: whether a name is accepted.
    """
    if identifier is None or isinstance(identifier, base):
        return identifier
    if by_name and isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    expected = (f"{_a(base.__name__)}, a config dict or one of the names {sorted(names)}"
                if by_name else f"{_a(base.__name__)} or a config dict with 'class_name' "
                f"(one of {sorted(names)})")
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Expected "
                     f"{expected}.")


def serialize_instance(obj, base, module, builtin):
    """Keras's dict for an optimizer or a schedule: ``{'module', 'class_name', 'config',
    'registered_name'}``; a user class keeps its own module and is registered by name.

    Args:
        obj: the object.
        base: Optimizer or LearningRateSchedule.
        module: Keras's module of the built-ins ('keras.optimizers').
        builtin: whether ``type(obj)`` is one of lamina's built-ins.
    """
    if not isinstance(obj, base):
        raise ValueError(f"serialize expects {_a(base.__name__)}, got {obj!r}.")
    cls = type(obj)
    return {"module": module if builtin else cls.__module__, "class_name": cls.__name__,
            "config": obj.get_config(), "registered_name": None if builtin else cls.__name__}


def lookup(identifier, table, kind, base, deserialize, hint=""):
    """A loss, a metric or an activation from a name, a config dict, an object or a function.

    A name gives the entry of ``table``: a class is instantiated, a function returned as
    it is (Keras's ``losses.get`` and ``metrics.get``).

    Args:
        identifier: None, a name, a config dict (given to ``deserialize``), an object or a
            function.
        table: {name: class or function}.
        kind: 'loss', 'metric' or 'activation', for error messages.
        base: the base class, for error messages (None: functions only).
        deserialize: builds an object from a config dict.
        hint: appended to the list of valid names in the unknown-name error.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        obj = table.get(identifier)
        if obj is None:
            raise ValueError(f"Unknown {kind} {identifier!r}. Valid names: "
                             f"{', '.join(sorted(table))}{hint}.")
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    instance = f"a {base.__name__} instance, " if base is not None else ""
    raise ValueError(f"Could not interpret {kind} identifier {identifier!r}: expected "
                     f"a{'n' if kind[0] in 'aeiou' else ''} {kind} name, {instance}a function "
                     "or a config dict.")


def serialize_callable(obj, base, module, kind):
    """Keras's dict for a loss or a metric: an instance of ``base``, or a plain function
    (``class_name`` 'function', ``config`` its name).

    Args:
        obj: the object or function.
        base: Loss or Metric.
        module: 'keras.losses' or 'keras.metrics'.
        kind: 'loss' or 'metric', for the error message.
    """
    if isinstance(obj, base):
        return {"module": module, "class_name": type(obj).__name__,
                "config": obj.get_config(), "registered_name": None}
    name = getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {kind} {obj!r}: expected a {base.__name__} or a "
                         "function.")
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": name}


def deserialize_callable(config, objects, kind, valid_names):
    """Builds a loss or a metric back from ``serialize_callable``'s dict.

    Args:
        config: the dict.
        objects: {name: class or function} to look the name up in.
        kind: 'loss' or 'metric', for the error message.
        valid_names: the names listed in the unknown-name error.
    """
    class_name, inner = config.get("class_name"), config.get("config") or {}
    if class_name == "function":
        class_name, inner = inner, None
    obj = objects.get(class_name)
    if obj is None:
        raise ValueError(f"Unknown {kind} {class_name!r} in config {config!r}. "
                         f"Valid names: {', '.join(sorted(valid_names))}.")
    return obj.from_config(inner) if isinstance(obj, type) else obj
