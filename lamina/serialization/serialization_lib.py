"""Object configs in Keras 3's format: ``serialize_keras_object`` / ``deserialize_keras_object``.

A serialized object is ``{"module", "class_name", "config", "registered_name"}`` (plus
``build_config`` and ``compile_config`` for models), as Keras 3 writes in ``config.json``.
Classes are looked up by name among lamina's own classes (which register themselves), the
registered ones and ``custom_objects``: a module named in a file is never imported, and
nothing is unpickled. This module imports no layers or models: it asks objects for their
``get_config`` / ``get_build_config`` / ``get_compile_config`` and classes for
``from_config`` / ``build_from_config``.
Loading a ``Lambda`` layer or a serialized ``lambda`` (Python code stored in the file) is
refused unless ``safe_mode=False``.
"""
import base64
import codecs
import inspect
import marshal
import types
import warnings

import numpy as np

from lamina.serialization import object_registration
from lamina.serialization.object_registration import KINDS, builtin_table

_PLAIN = (str, int, float, bool)
_state = {"safe_mode": None, "depth": 0}


# --- lamina's own classes, by kind ---
def _builtin(kind, name):
    """lamina's built-in ``name`` of ``kind``, or None."""
    return builtin_table(kind).get(name)


def _is_a(obj, base):
    """True when ``obj`` is an instance of lamina's class named ``base`` ('Layer', 'Model')."""
    base = object_registration.base_class(base)
    return base is not None and isinstance(obj, base)


def _is_subclass(cls, base):
    base = object_registration.base_class(base)
    return base is not None and issubclass(cls, base)


def _kind_of_module(module):
    if not module:
        return None
    module = module.replace(".src", "")
    for kind in KINDS:  # schedules first: their module is keras.optimizers.schedules
        if kind in module:
            return kind
    if module == "keras":
        return "models"
    return None


def _builtin_kind(obj):
    """The kind under which ``obj`` (a class or function) is one of lamina's built-ins."""
    candidates = ("layers", "optimizers", "losses", "metrics", "metric_functions",
                  "initializers", "regularizers", "schedules", "activations", "constraints")
    name = getattr(obj, "__name__", None)
    for kind in candidates:
        if builtin_table(kind).get(name) is obj:
            return "metrics" if kind == "metric_functions" else kind
    return None


# --- serializing ---
def _func_dump(fn):
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return [code, fn.__defaults__, closure]


def serialize_keras_object(obj):
    """Returns a JSON-friendly dict describing ``obj``, in Keras 3's format.

    Args:
        obj: a layer, model, optimizer, loss, metric, initializer, regularizer, schedule,
            function, or a plain value / list / dict of them.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}`` (models also get
        ``build_config`` and ``compile_config``); plain values are returned as they are.
    """
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _tag_layer(str(k), serialize_keras_object(v)) for k, v in obj.items()}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if _is_a(obj, "KerasTensor"):
        return _serialize_keras_tensor(obj, getattr(obj, "keras_history", None))
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        warnings.warn("The object being saved includes a `lambda`. Loading it back runs code "
                      "stored in the file, so it needs `safe_mode=False`; prefer a named "
                      "function.", stacklevel=2)
        return {"class_name": "__lambda__", "config": {"value": _func_dump(obj)}}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        kind = _builtin_kind(obj)
        registered = object_registration.GLOBAL_CUSTOM_NAMES.get(obj, obj.__name__)
        return {"module": f"keras.{kind}" if kind else obj.__module__,
                "class_name": "function", "config": obj.__name__,
                "registered_name": obj.__name__ if kind else registered}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__}: it has no "
                        "get_config() method.")
    cls = type(obj)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"{cls.__name__}.get_config() should return a dict, got {config!r}.")
    module, class_name, registered = _public_names(cls)
    out = {"module": module, "class_name": class_name,
           "config": serialize_keras_object(config), "registered_name": registered}
    if _is_a(obj, "Model"):
        build_config = obj.get_build_config() if obj.built else None
        if build_config is not None:
            out["build_config"] = serialize_keras_object(build_config)
        compile_config = obj.get_compile_config() if obj.compiled else None
        if compile_config is not None:
            out["compile_config"] = serialize_keras_object(compile_config)
    return out


def _tag_layer(key, value):
    """Adds Keras 3's 'module' to a nested layer config given as {"class_name", "config"}
    (a wrapper's ``layer``, an RNN's ``cell``), which Keras needs to read it back."""
    if ("layer" in key or key == "cell") and isinstance(value, dict) and "module" not in value \
            and set(value) == {"class_name", "config"} and _builtin("layers", value["class_name"]):
        return {"module": "keras.layers", **value, "registered_name": None}
    return value


def _public_names(cls):
    """(module, class_name, registered_name) as Keras writes them for ``cls``."""
    name = cls.__name__
    keras_name = object_registration.keras_name(cls)
    if keras_name is not None:
        return keras_name[0], name, keras_name[1]
    kind = _builtin_kind(cls)
    if kind is not None:
        return f"keras.{kind}", name, None
    module = None if cls.__module__ == "__main__" else cls.__module__
    return module, name, object_registration.get_registered_name(cls)


def _serialize_keras_tensor(tensor, history):
    if history:
        history = [history[0].name if hasattr(history[0], "name") else history[0],
                   history[1], history[2]]
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype,
                       "keras_history": history}}


def _overrides(cls, method):
    """True when a user subclass (outside lamina) defines ``method``."""
    for klass in cls.__mro__:
        if method in vars(klass):
            return not klass.__module__.startswith("lamina.")
    return False


# --- deserializing ---
class SafeModeScope:
    """Sets safe mode for nested deserialization (a layer's from_config that loads sub-layers)."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._old = _state["safe_mode"]
        _state["safe_mode"] = self.safe_mode

    def __exit__(self, *exc):
        _state["safe_mode"] = self._old


def in_safe_mode():
    """True while objects are deserialized in safe mode, False with ``safe_mode=False``, and
    None outside deserialization (as Keras's ``serialization_lib.in_safe_mode``)."""
    return _state["safe_mode"]


def _lambda_refused(what):
    return ValueError(
        f"{what} stores Python code in the file, and running it could do anything, so it "
        "is refused in safe mode. If you trust the file, load it with safe_mode=False.")


def _func_load(value):
    code, defaults, closure = (list(value) + [None, None])[:3]
    raw = codecs.decode(code.encode("ascii"), "base64")
    code = marshal.loads(raw)  # noqa: S302 -- only reached with safe_mode=False
    if closure is not None:
        closure = tuple(types.CellType(c) for c in closure)
    return types.FunctionType(code, globals(), code.co_name,
                              tuple(defaults) if defaults is not None else None, closure)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, kind=None):
    """Rebuilds the object described by ``config`` (the reverse of serialize_keras_object).

    Args:
        config: a dict in Keras 3's format (or Keras 2's ``{"class_name", "config"}``),
            a name, or a list / dict of them.
        custom_objects: optional ``{name: class or function}`` for user objects.
        safe_mode: refuse Lambda layers and serialized lambdas (code stored in the file).
        kind: where to look up a bare name or a config without 'module': 'layers',
            'optimizers', 'losses', 'metrics', 'initializers', 'regularizers', ...

    Returns:
        The object.
    """
    if _state["safe_mode"] is not None:
        safe_mode = _state["safe_mode"]
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        found = object_registration.get_registered_object(config, custom_objects)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(c, custom_objects, safe_mode, kind) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config {config!r} of type {type(config).__name__}.")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode, kind)
                for k, v in config.items()}
    class_name, inner = config["class_name"], config["config"]
    special = _deserialize_special(class_name, inner, safe_mode)
    if special is not _NOT_SPECIAL:
        return special
    module = config.get("module")
    kind = _kind_of_module(module) or kind
    if class_name == "function":
        return _resolve_function(inner, config.get("registered_name"), kind, custom_objects)
    if class_name in ("DTypePolicy", "Policy", "FloatDTypePolicy"):
        return inner.get("name") if isinstance(inner, dict) else inner
    if safe_mode and class_name == "Lambda" and kind in (None, "layers", "models"):
        name = inner.get("name", "lambda") if isinstance(inner, dict) else "lambda"
        raise _lambda_refused(f"Lambda layer '{name}'")
    cls = resolve_class(class_name, config.get("registered_name"), kind, custom_objects)
    if not inspect.isclass(cls):
        return cls  # a function registered under this name
    inner = dict(inner or {})
    _state["depth"] += 1
    try:
        with object_registration.CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
            instance = _from_config(cls, inner, custom_objects, safe_mode)
    finally:
        _state["depth"] -= 1
    if _is_a(instance, "Layer"):
        build_config = config.get("build_config")
        if build_config and (_is_a(instance, "Model") or _state["depth"] == 0):
            build_from_config(instance, build_config)
        compile_config = config.get("compile_config")
        if compile_config and _is_a(instance, "Model"):
            compile_from_config(instance, compile_config, custom_objects, safe_mode)
    return instance


_NOT_SPECIAL = object()


def _deserialize_special(class_name, inner, safe_mode):
    if class_name == "__lambda__":
        if safe_mode:
            raise _lambda_refused("A serialized `lambda` function")
        return _func_load(inner["value"])
    if class_name == "__numpy__" or class_name == "__tensor__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(inner["start"], inner["stop"], inner["step"])
    if class_name == "__keras_tensor__":
        return dict(inner, __keras_tensor__=True)  # resolved by functional_from_config
    return _NOT_SPECIAL


def resolve_class(class_name, registered_name=None, kind=None, custom_objects=None):
    """Finds the class (or function) saved as ``class_name``.

    Looks in the open CustomObjectScopes, the registry and ``custom_objects`` (by registered
    name, then by class name), then among lamina's built-ins of ``kind``.

    Raises:
        ValueError: naming the class and how to make it known.
    """
    for key in (registered_name, class_name):
        found = object_registration.get_registered_object(key, custom_objects)
        if found is not None:
            return found
    names = [class_name]
    if isinstance(registered_name, str) and registered_name.startswith("Custom>"):
        names.append(registered_name[len("Custom>"):])  # Keras 2 optimizers: 'Custom>SGD'
    if isinstance(class_name, str) and class_name.startswith("Custom>"):
        names.append(class_name[len("Custom>"):])
    kinds = [kind] if kind else []
    kinds += [k for k in ("layers", "optimizers", "losses", "metrics", "initializers",
                          "regularizers", "schedules") if k not in kinds]
    for k in kinds:
        for name in names:
            found = _builtin(k, name)
            if found is not None:
                return found
        table = builtin_table(k)
        if k == "optimizers":
            for name in names:
                if str(name).lower() in table:
                    return table[str(name).lower()]
    what = kind[:-1] if kind and kind.endswith("s") else (kind or "object")
    if kind == "models":
        what = "model"
    raise ValueError(
        f"Could not locate {what} class '{class_name}'"
        + (f" (registered as '{registered_name}')" if registered_name not in (None, class_name)
           else "")
        + ". If it is your own class, pass custom_objects={'" + str(class_name)
        + "': " + str(class_name) + "} or decorate it with "
        "@lamina.saving.register_keras_serializable().")


def _resolve_function(name, registered_name, kind, custom_objects):
    for key in (registered_name, name):
        found = object_registration.get_registered_object(key, custom_objects)
        if found is not None:
            return found
    kinds = ["metric_functions" if kind == "metrics" else kind] if kind else []
    kinds += [k for k in ("activations", "losses", "metric_functions") if k not in kinds]
    for k in kinds:
        obj = builtin_table(k).get(name) if k in KINDS + ("metric_functions",) else None
        if obj is not None and not inspect.isclass(obj):
            return obj
    raise ValueError(f"Could not locate function '{name}'. If it is your own function, pass "
                     f"custom_objects={{'{name}': {name}}} or decorate it with "
                     "@lamina.saving.register_keras_serializable().")


def _init_parameters(cls):
    """Names the constructor of ``cls`` accepts (following **kwargs up to lamina's bases)."""
    layer, optimizer = object_registration.base_class("Layer"), \
        object_registration.base_class("Optimizer")
    names = set()
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params.values()
                     if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        if klass is optimizer:
            names.update(("lr", "decay"))
        if klass in (layer, optimizer) or not any(
                p.kind is p.VAR_KEYWORD for p in params.values()):
            return names
    return names


def _nested_value(value, custom_objects, safe_mode, key=""):
    """Turns a Keras 3 nested config (initializer, regularizer, dtype policy, activation
    function) into the lamina object; other values pass through."""
    if isinstance(value, str) and "activation" in key:
        found = object_registration.get_registered_object(value, custom_objects)
        return found if callable(found) else value  # a custom activation saved by name
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    class_name = value["class_name"]
    if class_name in ("DTypePolicy", "Policy", "FloatDTypePolicy"):
        inner = value.get("config")
        return inner.get("name") if isinstance(inner, dict) else inner
    if class_name == "__lambda__" or (class_name == "function" and "module" in value):
        return deserialize_keras_object(value, custom_objects, safe_mode)
    kind = _kind_of_module(value.get("module"))
    if kind in ("initializers", "regularizers", "constraints"):
        return deserialize_keras_object(value, custom_objects, safe_mode, kind)
    return value


def _from_config(cls, config, custom_objects, safe_mode):
    """``cls.from_config(config)``, after adapting a Keras 2 / Keras 3 config to lamina."""
    if _overrides(cls, "from_config") or not _is_builtin(cls):
        config = {k: _nested_value(v, custom_objects, safe_mode, k) for k, v in config.items()}
        return cls.from_config(config)
    model = object_registration.base_class("Model")
    if cls is model and "input_layers" in config:  # Keras 2 saved functional models as 'Model'
        cls = object_registration.base_class("Functional")
    if _is_subclass(cls, "Model") and cls is not model:
        # Sequential and functional models rebuild their layers in their own from_config
        return cls.from_config(config, custom_objects=custom_objects)
    if _is_subclass(cls, "Layer"):
        config = {k: _nested_value(v, custom_objects, safe_mode, k) for k, v in config.items()}
        axis = config.get("axis")
        if isinstance(axis, list) and len(axis) == 1:  # Keras 2 saved some axes as [axis]
            config["axis"] = int(axis[0])
        if cls.__name__ == "Lambda" and isinstance(config.get("function"), list):
            if safe_mode:
                raise _lambda_refused(f"Lambda layer '{config.get('name', 'lambda')}'")
            config["function"] = _func_load(config["function"])
    accepted = _init_parameters(cls)
    if accepted is not None:
        for key in [k for k in config if k not in accepted]:
            if config[key] in (None, False, {}, []):  # Keras-only options left at defaults
                del config[key]
    try:
        if _accepts_custom_objects(cls.from_config):
            return cls.from_config(config, custom_objects=custom_objects)
        return cls.from_config(config)
    except TypeError as e:
        raise TypeError(f"Could not rebuild {cls.__name__} from its saved config: {e}. "
                        f"Saved config: {config}") from e
    except ValueError as e:
        if str(e).startswith("Could not rebuild"):
            raise
        raise ValueError(f"Could not rebuild {cls.__name__} '{config.get('name', '')}' from its "
                         f"saved config: {e} If it uses your own function or class, pass "
                         "custom_objects={name: object} or register it with "
                         "@lamina.saving.register_keras_serializable().") from e


def _is_builtin(cls):
    return cls.__module__.startswith("lamina.")


def _accepts_custom_objects(method):
    try:
        return "custom_objects" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


# --- building and compiling rebuilt models ---
def build_from_config(layer, build_config):
    """Builds a rebuilt layer or model for the input shape saved in ``build_config``
    (through its ``build_from_config`` where it has one, as models do)."""
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    if shape is None or layer.built:
        return
    if hasattr(layer, "build_from_config"):
        layer.build_from_config(build_config)
    else:
        layer.build(tuple(shape))
    layer.built = True


def _is_single_object(value):
    return isinstance(value, str) or (isinstance(value, dict) and "class_name" in value)


def _deserialize_nested(value, fn):
    if value is None:
        return None
    if _is_single_object(value):
        return fn(value)
    if isinstance(value, dict):
        return {k: _deserialize_nested(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_deserialize_nested(v, fn) for v in value]
    raise ValueError(f"Saved compile configuration not understood: {value!r}.")


def _metric_from_config(value, custom_objects, safe_mode):
    if isinstance(value, str):
        found = object_registration.get_registered_object(value, custom_objects)
        return found if found is not None else value
    if value.get("class_name") == "MeanMetricWrapper" and isinstance(
            value.get("config", {}).get("fn"), str):
        # Keras 2 wrote compile(metrics=["accuracy"]) as a MeanMetricWrapper around a function
        inner = value["config"]
        name = inner.get("name")
        if name in ("accuracy", "acc") or inspect.isclass(builtin_table("metrics").get(name)):
            return name
        return inner["fn"]
    return deserialize_keras_object(value, custom_objects, safe_mode, kind="metrics")


def compile_args_from_config(compile_config, custom_objects=None, safe_mode=True):
    """The keyword arguments of ``model.compile`` saved in ``compile_config``."""
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = deserialize_keras_object(optimizer, custom_objects, safe_mode, "optimizers")
    loss = _deserialize_nested(
        compile_config.get("loss"),
        lambda v: v if isinstance(v, str) and object_registration.get_registered_object(
            v, custom_objects) is None
        else deserialize_keras_object(v, custom_objects, safe_mode, "losses"))
    metrics, weighted = (
        _deserialize_nested(compile_config.get(key),
                            lambda v: _metric_from_config(v, custom_objects, safe_mode))
        for key in ("metrics", "weighted_metrics"))
    # Keras 2 nested single-output metric lists one level deeper: [["accuracy"]]
    metrics, weighted = (m[0] if isinstance(m, list) and len(m) == 1 and isinstance(m[0], list)
                         else m for m in (metrics, weighted))
    kwargs = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
              "weighted_metrics": weighted}
    if compile_config.get("loss_weights") is not None:
        kwargs["loss_weights"] = compile_config["loss_weights"]
    return kwargs


def compile_from_config(model, compile_config, custom_objects=None, safe_mode=True):
    """Compiles a rebuilt model as it was compiled when saved (a warning if that fails)."""
    kwargs = compile_args_from_config(compile_config, custom_objects, safe_mode)
    if hasattr(model, "compile_from_config"):
        model.compile_from_config(compile_config)
        return
    try:
        model.compile(**kwargs)
    except (TypeError, ValueError, NotImplementedError) as e:
        warnings.warn(f"The model was saved compiled, but compiling it again failed, so it is "
                      f"returned uncompiled: {e}", stacklevel=3)
