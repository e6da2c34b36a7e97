"""Layer: settings in __init__, weights in build(), computation in call()."""
import contextlib
import inspect
import threading

import numpy as np

from lamina import backend, constraints, dtype_policies, initializers, regularizers, tree
from lamina.autograd import Cast, Tensor, Variable, as_tensor, autocast_scope, no_grad
from lamina.autograd import config as autograd_config
from lamina.naming import clear_session, snake_case, unique_name  # noqa: F401
from lamina.serialization import object_registration



class _CallContext(threading.local):
    training = None  # the `training` flag of the outer call, per thread


_call_context = _CallContext()


class _MemoryBudget(threading.local):
    left = None  # bytes that new weights and trial inputs may still take (None: no limit)
    source = None  # the file being loaded


_budget = _MemoryBudget()


@contextlib.contextmanager
def memory_budget(nbytes, source):
    """Within the block, this thread's new weights and trial inputs may take at most
    ``nbytes`` in all; beyond that they raise a ValueError naming ``source``. Loaders use it
    so a model rebuilt from a file takes memory in proportion to the file, not to its claims.
    """
    saved = _budget.left, _budget.source
    _budget.left, _budget.source = int(nbytes), source
    try:
        yield
    finally:
        _budget.left, _budget.source = saved


def _charge(shape, dtype, what):
    """Takes the bytes of an array of ``shape`` and ``dtype`` from the memory budget."""
    if _budget.left is None or any(d is None for d in shape):
        return
    try:
        nbytes = np.dtype(dtype).itemsize
    except TypeError:  # 'string' and other dtypes NumPy lacks: one object reference each
        nbytes = 8
    for d in shape:
        nbytes *= max(int(d), 0)  # Python ints: a crafted shape cannot overflow
    if nbytes > _budget.left:
        raise ValueError(f"Cannot load '{_budget.source}': {what} of shape {tuple(shape)} "
                         f"would take {nbytes} bytes, more than the file can hold (limit "
                         f"{_budget.left} bytes left). Its config is corrupt or crafted.")
    _budget.left -= nbytes
_structure = {"version": 0}  # bumped whenever a layer gains or loses a sub-layer
_PROBE_SIZES = (64, 96)  # sizes tried for an unknown (None) axis of a symbolic input


class _Probe(threading.local):
    active = False  # True while a symbolic call runs layers on probe inputs (per thread)


_probe = _Probe()


def _to_tensors(inputs):
    """Array-likes to Tensors; a list or dict of arrays keeps its structure."""
    if isinstance(inputs, (list, tuple, dict)) and any(
            backend.is_array(i) or isinstance(i, Tensor) or hasattr(i, "shape")
            for i in tree.flatten(inputs)):
        return tree.map_structure(lambda i: None if i is None else as_tensor(i), inputs)
    return as_tensor(inputs)


def _cast_floats(inputs, dtype):
    """Float input Tensors cast to ``dtype`` (differentiably), their masks kept."""
    def cast(t):
        if not isinstance(t, Tensor) or t.dtype.kind != "f" or t.dtype == dtype:
            return t
        out = Cast(dtype)(t)
        out._keras_mask = getattr(t, "_keras_mask", None)
        return out
    return tree.map_structure(cast, inputs)


def _cast_data(inputs, dtype):
    """Float input data (Tensors that record no graph) cast to the layer's ``dtype``, as Keras
    casts inputs: float64 arrays into a float32 layer, float32 after set_floatx('float16')."""
    def cast(t):
        if (not isinstance(t, Tensor) or t.dtype.kind != "f" or t.dtype == dtype
                or t.requires_grad):
            return t
        out = Tensor._wrap(t.data.astype(dtype))
        mask = getattr(t, "_keras_mask", None)
        if mask is not None:
            out._keras_mask = mask
        return out
    if isinstance(inputs, Tensor):
        return cast(inputs)
    return tree.map_structure(cast, inputs)


def _float_dtype(dtype):
    """``dtype`` as a NumPy float dtype, or None (an int, string or unknown dtype)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        return None
    return dtype if dtype.kind == "f" else None


def _accepts(method, argument):
    try:
        return argument in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _zeros(shape, dtype):
    """A probe input: zeros, or empty strings for a string input."""
    if dtype in ("string", "str", "object") or np.dtype(dtype).kind in "USO":
        return np.full(shape, "", dtype="<U1")
    return backend.xp().zeros(shape, dtype=dtype)


class KerasTensor:
    """A symbolic tensor: a shape (batch axis None) and dtype, made by ``Input`` or by
    calling a layer on symbolic tensors. ``keras_history`` is (layer, node_index,
    tensor_index): which call of which layer produced it."""

    def __init__(self, shape, dtype="float32", name=None, probe_shapes=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.ndim = len(self.shape)
        self.keras_history = None
        if probe_shapes is None:  # batch of one; an unknown axis is tried at two sizes
            probe_shapes = tuple(tuple(1 if i == 0 else size if d is None else d
                                       for i, d in enumerate(self.shape))
                                 for size in _PROBE_SIZES)
        self.probe_shapes = probe_shapes

    @property
    def layer(self):
        """The layer whose call produced this tensor (None before a Node records it)."""
        return self.keras_history[0] if self.keras_history else None

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer on symbolic tensors: the edges of a functional graph.

    Args:
        layer: the layer called.
        call_args: the positional arguments of the call, as a tuple (the first is the
            inputs; ``Layer()(logits, targets)`` gives two).
        call_kwargs: the keyword arguments of the call (they may hold tensors too).
        outputs: the (nested) KerasTensor outputs.
    """

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = tuple(call_args)
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in tree.flatten([call_args, call_kwargs])
                              if isinstance(t, KerasTensor)]
        self.output_tensors = tree.flatten(outputs)
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for i, t in enumerate(self.output_tensors):
            t.keras_history = (layer, self.index, i)


class Layer:
    """Base class of every layer and model.

    Subclasses store settings in ``__init__``, create weights in ``build(input_shape)``
    with ``add_weight``, and compute in ``call(inputs, training=None)``.

    Args:
        trainable: whether the layer's weights are trained.
        name: layer name; default the class name in snake case, numbered.
        dtype: a dtype policy or its name: the dtype of the weights and computation
            (default the global policy, floatx 'float32'); 'mixed_float16' computes in
            float16 with float32 weights.
        input_shape: shape without the batch axis, for the first layer of a Sequential.
        input_dim: Keras 2 shorthand for ``input_shape=(input_dim,)``.
        batch_input_shape / batch_size: Keras 2 forms of the same.
    """
    _autocast_inputs = True  # cast float inputs to the compute dtype; off for models, wrappers

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        self._layers = []
        self._inbound_nodes = []
        self._own_weights = []
        self._regularized = []
        self._added_losses = {}  # by thread id: each thread's call adds its own losses
        self._trainable = trainable
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.dtype_policy = dtype_policies.get(dtype)   # name, dict config or None (global)
        self.dtype = self.dtype_policy.variable_dtype
        # mixed precision: the dtype ops read this layer's float weights in during call
        policy = self.dtype_policy
        self._autocast_to = (policy.compute_dtype
                             if policy.compute_dtype != policy.variable_dtype else None)
        self.built = False
        self.input_axes = None
        self.output_shape = None
        self.supports_masking = False
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
            self._batch_input_shape = (batch_size,) + shape
        else:
            self._batch_input_shape = None
        self._input_dtype_cast = _float_dtype(policy.compute_dtype)
        self._call_has_training = _accepts(self.call, "training")
        self._call_has_mask = _accepts(self.call, "mask")
        self._computes_mask = type(self).compute_mask is not Layer.compute_mask

    def __init_subclass__(cls, **kwargs):
        """Registers lamina's own layers and models, so that configs naming them load."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith(("lamina.layers.", "lamina.models.")) \
                and not cls.__name__.startswith("_"):
            object_registration.register_builtins("layers", {cls.__name__: cls})

    # --- tracking: sub-layers are found in attributes, in insertion order ---
    def __setattr__(self, name, value):
        if not name.startswith("_") and "_layers" in self.__dict__:
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Layer) and item is not self and not any(
                        item is l for l in self._layers):
                    self._layers.append(item)
                    _structure["version"] += 1
        object.__setattr__(self, name, value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._flatten_layers():
            for w in layer._own_weights:
                w.requires_grad = w.trainable and self._trainable
            if layer is not self:
                layer._trainable = self._trainable

    def _flatten_layers(self):
        """This layer and every nested layer, depth first, each once."""
        cached = self.__dict__.get("_flat_cache")
        if cached is not None and cached[0] == _structure["version"]:
            return cached[1]
        seen, out, stack = set(), [], [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._layers))
        self._flat_cache = (_structure["version"], out)
        return out

    # --- weights ---
    def add_weight(self, name=None, shape=(), initializer="glorot_uniform", dtype=None,
                   trainable=True, regularizer=None, constraint=None):
        """Creates a weight and tracks it.

        Args:
            name: short name ('kernel', 'bias').
            shape: weight shape.
            initializer: name, Initializer or callable (shape, dtype) -> array.
            dtype: default the layer's dtype.
            trainable: False for state such as moving averages.
            regularizer: name or callable (weight) -> scalar Tensor added to the loss.
            constraint: name or callable applied to the weight after each update.

        Returns:
            the Variable.
        """
        dtype = dtype or self.dtype
        _charge(tuple(shape), dtype, f"weight '{self.name}/{name}'")
        value = initializers.get(initializer)(tuple(shape), dtype=dtype)
        w = Variable(value, trainable=trainable and self._trainable, name=name, dtype=dtype,
                     path=f"{self.name}/{name}")
        w.trainable = trainable
        w.constraint = constraints.get(constraint)
        self._own_weights.append(w)
        if regularizer is not None:
            self._regularized.append((w, regularizers.get(regularizer)))
        return w

    def _collect(self, keep):
        return [w for layer in self._flatten_layers() for w in layer._own_weights if keep(layer, w)]

    @property
    def weights(self):
        """All weights, trainable first, in creation order (as Keras lists them)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return self._collect(lambda layer, w: w.trainable and layer._trainable)

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self._collect(lambda layer, w: True)
        return self._collect(lambda layer, w: not (w.trainable and layer._trainable))

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def count_params(self):
        """Number of weight values (trainable and not)."""
        if not self.built:
            raise ValueError(f"You tried to call count_params on layer '{self.name}', but the "
                             "layer isn't built. Call it on data or call build(input_shape) first.")
        return int(sum(np.prod(w.shape, dtype=np.int64) for w in self.weights))

    def get_weights(self):
        """Returns the weights as a list of NumPy arrays."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays with matching shapes."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(f"Layer '{self.name}' expects {len(own)} weights, but the given "
                             f"list has {len(weights)} elements.")
        for w, value in zip(own, weights):
            value = value if backend.is_array(value) else np.asarray(value)
            if tuple(value.shape) != tuple(w.shape):
                raise ValueError(f"Layer '{self.name}' weight '{w.name}' has shape "
                                 f"{tuple(w.shape)}, but the given weight has shape {value.shape}.")
        for w, value in zip(own, weights):
            w.assign(value)

    @property
    def losses(self):
        """Regularization penalties of this layer and its sub-layers, as scalar Tensors."""
        out = []
        for layer in self._flatten_layers():
            if layer._regularized:
                out.extend(reg(w) for w, reg in layer._regularized)
            if layer._added_losses:
                out.extend(layer._added_losses.get(threading.get_ident(), ()))
        return out

    def add_loss(self, loss):
        """Adds a scalar loss Tensor (for example an activity penalty) to this call's loss."""
        self._added_losses.setdefault(threading.get_ident(), []).append(loss)

    # --- building and calling ---
    def build(self, input_shape):
        """Creates the weights for inputs of ``input_shape``; default: none."""
        self.built = True

    def call(self, inputs):
        """The computation; default: identity."""
        return inputs

    def _input_error(self, x, axis, size):
        return ValueError(
            f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis "
            f"{axis} of input shape to have value {size}, but received input with shape "
            f"{tuple(x.shape)}")

    def __call__(self, inputs, *args, training=None, **kwargs):
        if not isinstance(inputs, Tensor):
            if isinstance(inputs, KerasTensor) or any(
                    isinstance(t, KerasTensor) for t in tree.flatten([inputs, args, kwargs])):
                return self._symbolic_call(inputs, *args, **kwargs)
            inputs = _to_tensors(inputs)
        if self._autocast_inputs:
            if self._autocast_to is not None:
                inputs = _cast_floats(inputs, self._autocast_to)
            elif self._input_dtype_cast is not None:
                inputs = _cast_data(inputs, self._input_dtype_cast)
        if not self.built:
            shape = (tuple(inputs.shape) if isinstance(inputs, Tensor)
                     else tree.map_structure(lambda t: tuple(t.shape), inputs))
            self._build_input_shape = shape
            self.build(shape)
            self.built = True
        if self.input_axes and isinstance(inputs, Tensor):
            shape = inputs.data.shape
            for axis, size in self.input_axes.items():
                if len(shape) <= abs(axis) - (axis < 0) or shape[axis] != size:
                    raise self._input_error(inputs, axis, size)
        outer = _call_context.training
        if training is None:
            training = outer
        if self._call_has_training:
            kwargs["training"] = training
        if self._added_losses:
            self._added_losses.pop(threading.get_ident(), None)
        mask = kwargs.pop("mask", None)
        if mask is None and isinstance(inputs, Tensor):
            mask = getattr(inputs, "_keras_mask", None)
        if mask is not None and self._call_has_mask:
            kwargs["mask"] = mask
        _call_context.training = training
        try:
            if self._autocast_to is not None or autograd_config.Config.autocast is not None:
                with autocast_scope(self._autocast_to):
                    outputs = self.call(inputs, *args, **kwargs)
            else:
                outputs = self.call(inputs, *args, **kwargs)
        finally:
            _call_context.training = outer
        if (mask is not None or self._computes_mask) and isinstance(outputs, Tensor):
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None:
                outputs._keras_mask = out_mask
        return outputs

    @property
    def compute_dtype(self):
        """The dtype of this layer's computation ('float16' under 'mixed_float16')."""
        return self.dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of this layer's weights."""
        return self.dtype_policy.variable_dtype

    def compute_mask(self, inputs, mask=None):
        """The mask of the output (a boolean array (batch, steps) or None).

        By default a layer that ``supports_masking`` passes its input mask on, and any
        other layer drops it. ``Embedding(mask_zero=True)`` and ``Masking`` create one.
        """
        return mask if self.supports_masking else None

    def _symbolic_call(self, inputs, *args, **kwargs):
        """Calls the layer on symbolic tensors: runs it on zero batches of one to learn the
        output shapes, and records the call as a Node of the functional graph.

        An unknown axis (None) is tried at two sizes; an output axis whose size differs
        between the two runs is unknown (None) too."""
        flat = [t for t in tree.flatten([inputs, args, kwargs]) if isinstance(t, KerasTensor)]
        runs = 2 if any(None in t.shape[1:] for t in flat) else 1
        results = []
        for run in range(runs):
            def dummy(t):
                if not isinstance(t, KerasTensor):
                    return t
                _charge(tuple(t.probe_shapes[run]), t.dtype,
                        f"the trial input of layer '{self.name}'")
                return Tensor._wrap(_zeros(t.probe_shapes[run], t.dtype))

            outer, _probe.active = _probe.active, True  # stateful layers keep their states
            try:
                with no_grad():
                    results.append(self(tree.map_structure(dummy, inputs),
                                        *tree.map_structure(dummy, args), training=False,
                                        **tree.map_structure(dummy, kwargs)))
            except ValueError as e:
                if run == 0:
                    raise
                shapes = [t.shape for t in flat]
                raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) needs to know "
                                 f"the size of an axis that is unknown (None) in its input "
                                 f"shape {shapes[0] if len(shapes) == 1 else shapes}: {e}") from e
            finally:
                _probe.active = outer

        def symbolic(*ys):
            shapes = [tuple(y.shape) for y in ys]
            if len(shapes) == 1:  # no unknown axis: both probe shapes are this one
                shapes *= 2
            shape = tuple(None if i == 0 or shapes[0][i] != shapes[1][i] else shapes[0][i]
                          for i in range(len(shapes[0])))
            return KerasTensor(shape, str(ys[0].dtype), probe_shapes=tuple(shapes))

        outputs = tree.pack_sequence_as(results[0], [symbolic(*ys) for ys in zip(
            *(tree.flatten(r) for r in results))])
        if type(self).compute_output_shape is not Layer.compute_output_shape and isinstance(
                outputs, KerasTensor):  # the layer knows its output shape better than a probe
            shape = self.compute_output_shape(flat[0].shape)
            if isinstance(shape, (tuple, list)) and len(shape) == outputs.ndim and all(
                    d is None or isinstance(d, (int, np.integer)) for d in shape):
                outputs.shape = (None,) + tuple(shape[1:])
        shapes = [t.shape for t in tree.flatten(outputs)]
        self.output_shape = shapes[0] if len(shapes) == 1 else shapes
        Node(self, (inputs,) + args, kwargs, outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch axis None), found by a trial call."""
        return self._symbolic_call(KerasTensor(input_shape)).shape

    # --- graph introspection (functional models) ---
    def _node_attribute(self, attr, what):
        """``attr`` of the layer's first call on symbolic tensors, as Keras's Operation."""
        if not self._inbound_nodes:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                                 f"defined {what}.")
        values = getattr(self._inbound_nodes[0], attr)
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        """The input tensor(s) of the layer's first call on symbolic tensors."""
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self):
        """The output tensor(s) of the layer's first call on symbolic tensors."""
        return self._node_attribute("output_tensors", "output")

    # --- configuration ---
    def get_config(self):
        """Returns the constructor arguments as a JSON-friendly dict."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


object_registration.register_base(Layer)
object_registration.register_base(KerasTensor)
object_registration.register_builtins("layers", {"Layer": Layer})
