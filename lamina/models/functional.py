"""Functional models: a graph of layers from ``Input`` tensors to output tensors."""
from lamina import tree
from lamina.layers.base import KerasTensor, _structure
from lamina.layers.input_layer import InputLayer
from lamina.models.functional_config import functional_config, functional_from_config
from lamina.models.model import Model, conform_input
from lamina.serialization import object_registration


def _producer(tensor):
    layer, node_index, _ = tensor.keras_history
    return layer._inbound_nodes[node_index]


def keras_layer_order(model):
    """The layers of a functional model in Keras's order (the order weights are saved in).

    Keras walks the graph depth first from the outputs, gives each node a depth (its
    distance to the outputs), and lists layers deepest first, ties in the order the walk
    first met them. InputLayers are included.
    """
    inputs = tree.flatten(model._inputs_struct)
    finished, in_progress, ordered, first_seen = set(), set(), [], {}
    # NOTE: an explicit stack instead of recursion, so very deep graphs work too
    stack = [(t, False) for t in reversed(tree.flatten(model._outputs_struct))]
    while stack:
        item, expanded = stack.pop()
        if expanded:  # every input of this node is done: it comes next in the order
            in_progress.discard(id(item))
            finished.add(id(item))
            ordered.append(item)
            continue
        node = _producer(item)
        if id(node) in finished:
            continue
        if node.input_tensors and any(item is t for t in inputs):
            finished.add(id(node))
            continue
        if id(node) in in_progress:
            raise ValueError(f"Layer '{node.layer.name}' is part of a cycle.")
        first_seen.setdefault(id(node.layer), (len(first_seen), node.layer))
        in_progress.add(id(node))
        stack.append((node, True))
        stack.extend((t, False) for t in reversed(node.input_tensors))
    in_graph = {id(n) for n in ordered}
    node_depth, layer_depth = {}, {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent = _producer(t)
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:  # inputs that no output depends on still belong to the model
        layer = _producer(t).layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            first_seen[id(layer)] = (-1, layer)
    order = sorted(layer_depth, key=lambda k: (-layer_depth[k], first_seen[k][0]))
    return [first_seen[k][1] for k in order]


class Functional(Model):
    """A model defined by calling layers on symbolic tensors.

    Args:
        inputs: an ``Input`` tensor, or a list or dict of them.
        outputs: a tensor, or a list or dict of tensors, computed from ``inputs``.
        name: model name, default 'functional', 'functional_1', ...
        trainable: whether the weights are trained.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        for t in tree.flatten(inputs) + tree.flatten(outputs):
            if not isinstance(t, KerasTensor) or t.keras_history is None:
                raise TypeError("Functional model inputs and outputs must be symbolic tensors "
                                f"made by `Input` and by calling layers on them; received {t!r}")
        for t in tree.flatten(inputs):
            if not isinstance(t.keras_history[0], InputLayer):
                raise ValueError(f"Model inputs must come from `keras.Input`; {t!r} was made by "
                                 f"layer '{t.keras_history[0].name}'.")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs, self.outputs = tree.flatten(inputs), tree.flatten(outputs)
        self._nodes = self._sort_nodes()
        self._layers = keras_layer_order(self)
        _structure["version"] += 1
        self.input_names = [t.keras_history[0].name for t in self.inputs]
        self.output_names = [t.keras_history[0].name for t in self.outputs]
        shapes = [t.shape for t in self.outputs]
        self.output_shape = shapes[0] if len(shapes) == 1 else shapes
        self._batch_input_shape = self.inputs[0].shape if len(self.inputs) == 1 else None
        self.built = True

    @property
    def input(self):
        """The input tensor(s) as given to the constructor (one tensor, a list or a dict)."""
        return self._inputs_struct

    @property
    def output(self):
        """The output tensor(s) as given to the constructor."""
        return self._outputs_struct

    @property
    def input_shape(self):
        """Shape of the input (batch axis None); a list of shapes for several inputs."""
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _sort_nodes(self):
        """The graph's nodes in an order where each comes after the nodes it reads from."""
        order, done, visited = [], set(), set()
        stack = [(_producer(t), False) for t in reversed(self.outputs)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                if id(node) not in done:
                    done.add(id(node))
                    order.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((_producer(t), False) for t in reversed(node.input_tensors))
        inputs = {id(t) for t in self.inputs}
        for node in order:
            if isinstance(node.layer, InputLayer) and id(node.output_tensors[0]) not in inputs:
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {node.output_tensors[0]} "
                    f"at layer '{node.layer.name}': it is not among the model's inputs "
                    f"{[t.name for t in self.inputs]}.")
        return order

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' expects inputs named {self.input_names}; "
                                 f"missing {missing} in the dict with keys {list(inputs)}.")
            return [inputs[n] for n in self.input_names]
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), but it "
                             f"received {len(flat)} input tensors.")
        return flat

    def call(self, inputs, training=None):
        values = {id(t): conform_input(v, t.shape, t.dtype, t.name)
                  for t, v in zip(self.inputs, self._flatten_inputs(inputs))}

        def value(t):
            return values[id(t)] if isinstance(t, KerasTensor) else t

        for node in self._nodes:
            if not node.input_tensors:
                continue
            outputs = node.layer(*tree.map_structure(value, node.call_args),
                                 **tree.map_structure(value, node.call_kwargs))
            for t, o in zip(node.output_tensors, tree.flatten(outputs)):
                values[id(t)] = o
        outputs = tree.map_structure(value, self._outputs_struct)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]  # outputs=[out] gives one tensor, as Keras's unpack_singleton
        return outputs

    def _connections(self):
        """'Connected to' text of each layer for summary(): inbound layer[node][tensor]."""
        nodes = {id(n) for n in self._nodes}
        out = {}
        for layer in self.layers:
            links = []
            for node in layer._inbound_nodes:
                if id(node) in nodes:
                    links += [f"{t.keras_history[0].name}[{t.keras_history[1]}]"
                              f"[{t.keras_history[2]}]" for t in node.input_tensors]
            out[layer] = links
        return out

    def get_config(self):
        """Keras 3's functional config: layers with their inbound nodes, inputs and outputs."""
        return functional_config(self)

    def get_build_config(self):
        """A functional model is built by its graph: Keras writes no input shape."""
        return {"input_shape": None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the graph from ``get_config()``'s output or a Keras file's config."""
        return functional_from_config(cls, config, custom_objects)


object_registration.register_base(Functional)
object_registration.register_keras_name(Functional, "keras.src.models.functional", "Functional")
