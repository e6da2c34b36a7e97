"""Functional models to and from their Keras configs: each layer with the calls (nodes)
that connect it, then the model's input and output tensors."""
from lamina import tree
from lamina.layers.base import KerasTensor
from lamina.serialization import deserialize_keras_object, serialize_keras_object


def _node_indices(model):
    """For each node of the model, its index among its layer's nodes in this model."""
    ids = {id(n) for n in model._nodes}
    index = {}
    for layer in model.layers:
        own = [n for n in layer._inbound_nodes if id(n) in ids]
        index.update({id(n): i for i, n in enumerate(own)})
    return index


def functional_config(model):
    """Returns the Keras 3 config dict of a functional model: each layer with its inbound
    nodes (calls on symbolic tensors), then the model's input and output tensors."""
    index = _node_indices(model)

    def history(t):
        layer, node_index, tensor_index = t.keras_history
        return [layer.name, index[id(layer._inbound_nodes[node_index])], tensor_index]

    def tensor_config(t):
        if not isinstance(t, KerasTensor):
            return t
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": history(t)}}

    layers = []
    for layer in model.layers:
        entry = serialize_keras_object(layer)
        nodes = [n for n in layer._inbound_nodes if id(n) in index and n.input_tensors]
        if nodes:
            entry["build_config"] = {"input_shape": tree.map_structure(
                lambda t: list(t.shape), nodes[0].call_args[0])}
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": [tree.map_structure(tensor_config, a) for a in n.call_args],
             "kwargs": tree.map_structure(tensor_config, n.call_kwargs)} for n in nodes]
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": tree.map_structure(history, model._inputs_struct),
            "output_layers": tree.map_structure(history, model._outputs_struct)}


class _NotReady(Exception):
    """A call needs the output of a layer call that has not been rebuilt yet."""


def functional_from_config(cls, config, custom_objects=None):
    """Rebuilds a functional model from its Keras 2 or Keras 3 config.

    Args:
        cls: the functional model class (``lamina.models.Functional`` or a subclass).
        config: ``{"name", "layers": [... with "inbound_nodes"], "input_layers",
            "output_layers"}``, as ``Functional.get_config()`` or Keras writes it.
        custom_objects: optional ``{name: class}`` for user layers.

    Returns:
        ``cls(inputs, outputs, name=...)``.
    """
    created, pending = {}, {}
    for layer_data in config["layers"]:
        spec = {k: v for k, v in layer_data.items() if k not in ("inbound_nodes", "name")}
        layer = deserialize_keras_object(spec, custom_objects, kind="layers")
        name = layer_data.get("name") or layer_data["config"]["name"]
        created[name] = layer
        pending[name] = list(layer_data.get("inbound_nodes") or [])

    def output_of(name, node_index, tensor_index, *_):
        if name not in created:
            raise ValueError(f"Invalid functional model config: no layer named '{name}'.")
        nodes = created[name]._inbound_nodes
        if node_index >= len(nodes):
            raise _NotReady(name)
        return tree.flatten(nodes[node_index].outputs)[tensor_index]

    def revive(x):
        if isinstance(x, dict) and x.get("__keras_tensor__"):
            return output_of(*x["keras_history"])
        if isinstance(x, dict):
            return {k: revive(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [revive(v) for v in x]
        return x

    def call_node(layer, node_data):
        if isinstance(node_data, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
            tensors = [output_of(*entry[:3]) for entry in node_data]
            kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 else {}
            args = [tensors[0] if len(tensors) == 1 else tensors]
        else:
            args = revive(deserialize_keras_object(node_data.get("args", []), custom_objects))
            kwargs = revive(deserialize_keras_object(node_data.get("kwargs", {}),
                                                     custom_objects))
        layer(*args, **(kwargs or {}))

    while any(pending.values()):
        progressed = False
        for name, nodes in pending.items():
            while nodes:
                try:
                    call_node(created[name], nodes[0])
                except _NotReady:
                    break
                nodes.pop(0)
                progressed = True
        if not progressed:
            stuck = [n for n, nodes in pending.items() if nodes]
            raise ValueError("Invalid functional model config: the calls of layers "
                             f"{stuck} need outputs that no layer produces.")

    def ends(structure):
        if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
            return output_of(*structure)
        if isinstance(structure, dict):
            return {k: ends(v) for k, v in structure.items()}
        return [ends(s) for s in structure]

    inputs, outputs = ends(config["input_layers"]), ends(config["output_layers"])
    inputs = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
    outputs = outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    if config.get("trainable") is False:
        model.trainable = False
    return model
