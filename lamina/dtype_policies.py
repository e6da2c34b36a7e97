"""Dtype policies: the dtype a layer computes in and the dtype of its weights (Keras 3).

``'mixed_float16'`` computes in float16 and keeps float32 weights (mixed precision); a
dtype name (``'float32'``, ``'int64'``) uses that dtype for both.
"""
import numpy as np

from lamina import backend

_global = {"policy": None}


def _is_dtype(name):
    if name in ("bfloat16", "string"):
        return True
    try:
        np.dtype(name)
    except TypeError:
        return False
    return True


class DTypePolicy:
    """A layer's compute and variable dtypes.

    Args:
        name: 'mixed_float16' (float16 compute, float32 weights), 'mixed_bfloat16', or a
            float dtype name such as 'float32'. Default: the global policy's name.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError("'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name} (of type {type(name)})")
        if name in ("mixed_float16", "mixed_bfloat16"):
            compute, variable = name[len("mixed_"):], "float32"
        elif _is_dtype(name):
            compute = variable = name
        else:
            raise ValueError(f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid "
                             "policies include 'mixed_float16', 'mixed_bfloat16', and the name "
                             "of any dtype such as 'float32'.")
        self._name, self._compute_dtype, self._variable_dtype = name, compute, variable

    @property
    def name(self):
        """The policy name, e.g. 'mixed_float16'."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computation and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable_dtype

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash(self._name)


FloatDTypePolicy = DTypePolicy   # Keras's alias
Policy = DTypePolicy             # keras.mixed_precision.Policy (legacy name)


def set_dtype_policy(policy):
    """Sets the global dtype policy, used by layers created afterwards.

    Args:
        policy: a DTypePolicy or its name, e.g. ``'mixed_float16'``.
    """
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                         "(such as 'mixed_float16') or a `DTypePolicy` instance. "
                         f"Received: policy={policy} (of type {type(policy)})")
    _global["policy"] = policy


def dtype_policy():
    """Returns the global dtype policy (``floatx()`` until one is set)."""
    return _global["policy"] or DTypePolicy(backend.floatx())


set_global_policy = set_dtype_policy   # keras.mixed_precision's legacy names
global_policy = dtype_policy


def get(identifier):
    """A DTypePolicy from a layer's ``dtype`` argument.

    Args:
        identifier: None (the global policy), a policy name or any NumPy dtype, a
            DTypePolicy, or a Keras config dict ``{"class_name": "DTypePolicy", ...}``.

    Returns:
        a DTypePolicy.
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):   # a Keras 3 DTypePolicy config
        return DTypePolicy((identifier.get("config") or {}).get("name"))
    if not isinstance(identifier, str):   # np.float32, np.dtype('float64')
        try:
            identifier = np.dtype(identifier).name
        except TypeError:
            raise ValueError(f"Cannot convert {identifier!r} to a DTypePolicy; expected a "
                             "policy name such as 'mixed_float16' or a dtype.") from None
    return DTypePolicy(identifier)
