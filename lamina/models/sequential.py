"""Sequential: a plain stack of layers, each feeding the next."""
from lamina import backend
from lamina.layers.base import KerasTensor, Layer, _structure
from lamina.layers.input_layer import InputLayer
from lamina.models.model import Model, conform_input
from lamina.serialization import (deserialize_keras_object, object_registration,
                                  serialize_keras_object)


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: list of layers (the first may be an ``Input(...)`` or carry ``input_shape``).
        name: model name, default 'sequential', 'sequential_1', ...
        trainable: whether the weights are trained.
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_layer = None
        self._graph = None  # (input tensor, output tensor, [(layer, node)]) of the last build
        self._input_dtype = None  # an Input's dtype; None: floatx
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._layers and self._batch_input_shape is not None:
            self.build(self._batch_input_shape)

    def add(self, layer, rebuild=True):
        """Appends a layer (or an ``Input``) to the stack, building the model when the
        input shape is known (and ``rebuild`` is True)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model; "
                                 f"model '{self.name}' already has {len(self._layers)} layers.")
            self._batch_input_shape = layer.batch_shape
            self._input_layer = layer
            self._input_dtype = layer.dtype
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. "
                            f"Received: layer={layer!r} of type {type(layer)}.")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique names. "
                             f"Name '{layer.name}' is already the name of a layer in this model.")
        if not self._layers and self._batch_input_shape is None:
            self._batch_input_shape = layer._batch_input_shape
        self._layers.append(layer)
        _structure["version"] += 1
        if rebuild and self._batch_input_shape is not None:
            self.build(self._batch_input_shape)

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        self._drop_graph()
        layer = self._layers.pop()
        _structure["version"] += 1
        if rebuild and self._layers and self._batch_input_shape is not None:
            self.build(self._batch_input_shape)
        return layer

    def build(self, input_shape=None):
        """Builds every layer by passing a symbolic input of ``input_shape`` through the stack."""
        input_shape = input_shape or self._batch_input_shape
        if input_shape is None:
            raise ValueError(f"Sequential model '{self.name}' cannot be built: it has no input "
                             "shape. Pass `input_shape=` to the first layer, add an `Input`, or "
                             "call the model on data.")
        shape = (None,) + tuple(input_shape[1:])
        self._drop_graph()
        input_layer = self._input_layer
        if input_layer is None or tuple(input_layer.batch_shape[1:]) != shape[1:]:
            input_layer = InputLayer(batch_shape=shape)
        x = inputs = input_layer.output
        nodes = []
        for layer in self._layers:
            x = layer(x)
            nodes.append((layer, layer._inbound_nodes[-1]))
        self._graph = (inputs, x, nodes)
        self._batch_input_shape = shape
        self.output_shape = x.shape
        self.built = True

    def _drop_graph(self):
        """Forgets the layer calls of the previous build, so each layer's ``output`` is the
        one in the current graph (calls made since by other models are kept)."""
        if self._graph is not None:
            for layer, node in self._graph[2]:
                if layer._inbound_nodes and layer._inbound_nodes[-1] is node:
                    layer._inbound_nodes.pop()
        self._graph = None

    def _graph_end(self, index, what):
        if self._graph is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return self._graph[index]

    @property
    def inputs(self):
        """[the symbolic input tensor] once the model is built (as Keras 3)."""
        return [self._graph_end(0, "inputs")]

    @property
    def outputs(self):
        """[the symbolic output tensor] once the model is built (as Keras 3)."""
        return [self._graph_end(1, "outputs")]

    @property
    def input_shape(self):
        """The input shape with the batch axis None, once the model is built."""
        return self._graph_end(0, "input shape").shape

    def call(self, inputs, training=None):
        x = conform_input(inputs, self._batch_input_shape,
                          self._input_dtype or backend.floatx(), "input")
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def get_config(self):
        """Keras 3's Sequential config: the input shape (as an InputLayer first) and each
        layer's full entry."""
        layers = []
        shape = self._batch_input_shape
        if shape is not None:
            layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": {"batch_shape": list(shape), "dtype": backend.floatx(),
                                      "sparse": False, "ragged": False,
                                      "name": "input_layer"},
                           "registered_name": None})
        layers.extend(serialize_keras_object(layer) for layer in self.layers)
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.name,
                  "layers": layers}
        if shape is not None:
            config["build_input_shape"] = list(shape)
        return config

    def get_build_config(self):
        """``{"input_shape": ...}`` of the built model (None when not built)."""
        if not self.built or self._batch_input_shape is None:
            return None
        return {"input_shape": list(self._batch_input_shape)}

    def build_from_config(self, config):
        """Builds the model for ``get_build_config()``'s input shape."""
        self.build(tuple(config["input_shape"]))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the model from ``get_config()``'s output (or a Keras 2 / Keras 3 config).

        Args:
            config: dict with 'name' and 'layers' (each ``{"class_name", "config"}``);
                Keras 2 may give the list of layers alone.
            custom_objects: optional ``{name: class}`` for user layers.

        Returns:
            The model, built when the input shape is known.
        """
        if isinstance(config, list):
            config = {"layers": config}
        kwargs = {"name": config["name"]} if config.get("name") else {}
        model = cls(**kwargs)
        for layer_config in config.get("layers", []):
            model.add(deserialize_keras_object(layer_config, custom_objects, kind="layers"))
        shape = config.get("build_input_shape")
        if not model.built and shape:
            model.build(tuple(shape))
        if config.get("trainable") is False:
            model.trainable = False
        return model


object_registration.register_keras_name(Sequential, "keras")
