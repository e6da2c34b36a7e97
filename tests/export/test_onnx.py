"""model.export(path, format="onnx"): each layer family and the course's models, run by
ONNX Runtime, give model.predict's outputs (float32, 1e-5 relative) for batches of 1 and 7."""
import pathlib

import numpy as np
import onnx
import pytest

import lamina
from lamina import activations, keras, layers, saving
from lamina.export import exported_layers, onnx_predict
from lamina.models import Model, Sequential

INTEROP = pathlib.Path(__file__).resolve().parents[3] / "shared" / "interop"


def randomize(model, seed=0):
    """Random weights (positive variances), so no converter passes on zeros and ones."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape) if "variance" in (w.name or "")
                       else rng.normal(0, 0.5, w.shape) for w in model.weights])
    return model


def check(model, x, tmp_path, rtol=1e-5, atol=1e-6, **export_kwargs):
    """Exports ``model`` and compares ONNX Runtime with predict for batches of 1 and 7."""
    path = tmp_path / "model.onnx"
    model.export(path, verbose=False, **export_kwargs)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    for n in (1, 7):
        xn = [a[:n] for a in x] if isinstance(x, list) else x[:n]
        expected = model.predict(xn, verbose=0)
        got = onnx_predict(path, xn)
        if isinstance(expected, (list, tuple)):
            assert len(got) == len(expected)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        else:
            assert got.shape == expected.shape
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return path


def normal(*shape, seed=1):
    return np.random.default_rng(seed).normal(size=(7,) + shape).astype("float32")


def seq(*stack, shape):
    return randomize(Sequential([layers.Input(shape)] + list(stack)))


# --- activations: every seed activation, in Dense and in Activation ---
@pytest.mark.parametrize("name", sorted(activations._ALL))
def test_every_activation_exports(name, tmp_path):
    model = seq(layers.Dense(6, activation=name), layers.Activation(name), shape=(5,))
    check(model, normal(5) * 2, tmp_path)


@pytest.mark.parametrize("layer", [
    layers.ReLU(), layers.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.3),
    layers.ReLU(threshold=-0.2), layers.LeakyReLU(0.1), layers.ELU(0.5), layers.Softmax(axis=1),
    layers.Activation("gelu"), layers.Activation(activations.swish)],
    ids=lambda layer: layer.name)
def test_activation_layers_export(layer, tmp_path):
    check(seq(layers.Dense(6), layers.Reshape((2, 3)), layer, shape=(4,)), normal(4), tmp_path)


# --- core and reshaping ---
def test_dense_dropout_reshape_flatten_on_3d_inputs(tmp_path):
    model = seq(layers.Dense(6, activation="tanh"), layers.Dropout(0.5), layers.Reshape((-1, 4)),
                layers.Flatten(), layers.Dense(3, use_bias=False), shape=(4, 6))
    check(model, normal(4, 6), tmp_path)


def test_flatten_channels_first(tmp_path):
    model = seq(layers.Flatten(data_format="channels_first"), layers.Dense(3), shape=(2, 3, 4))
    check(model, normal(2, 3, 4), tmp_path)


# --- convolution and pooling ---
CONVOLUTIONS = {
    "conv2d_valid": lambda: layers.Conv2D(4, 3, activation="relu"),
    "conv2d_same_stride": lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same"),
    "conv2d_dilated_same": lambda: layers.Conv2D(3, 3, dilation_rate=2, padding="same"),
    "conv2d_groups": lambda: layers.Conv2D(4, 3, groups=2, activation="sigmoid"),
    "conv2d_channels_first": lambda: layers.Conv2D(3, 2, data_format="channels_first",
                                                   activation="softmax"),
    "conv2d_transpose_valid": lambda: layers.Conv2DTranspose(3, 3, strides=2),
    "conv2d_transpose_same": lambda: layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
    "conv2d_transpose_even_kernel": lambda: layers.Conv2DTranspose(2, 4, strides=2,
                                                                   padding="same"),
    "conv2d_transpose_output_padding": lambda: layers.Conv2DTranspose(
        2, 3, strides=2, padding="same", output_padding=1),
    "conv2d_transpose_dilated": lambda: layers.Conv2DTranspose(2, 3, dilation_rate=2),
    "depthwise": lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                                strides=2, activation="relu"),
    "separable": lambda: layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same"),
    "maxpool2d": lambda: layers.MaxPooling2D(2),
    "maxpool2d_same": lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
    "avgpool2d_valid": lambda: layers.AveragePooling2D((2, 3), strides=1),
    "avgpool2d_same": lambda: layers.AveragePooling2D(3, strides=2, padding="same"),
    "maxpool2d_channels_first": lambda: layers.MaxPooling2D(2, data_format="channels_first"),
    "global_max2d": lambda: layers.GlobalMaxPooling2D(),
    "global_avg2d_keepdims": lambda: layers.GlobalAveragePooling2D(keepdims=True),
    "zero_padding2d": lambda: layers.ZeroPadding2D(((1, 2), (0, 1))),
    "cropping2d": lambda: layers.Cropping2D(((1, 0), (2, 1))),
    "upsampling2d": lambda: layers.UpSampling2D((2, 3)),
    "upsampling2d_bilinear": lambda: layers.UpSampling2D(2, interpolation="bilinear"),
    "batchnorm_channels_first": lambda: layers.BatchNormalization(axis=1),
    "batchnorm": lambda: layers.BatchNormalization(),
    "layernorm_two_axes": lambda: layers.LayerNormalization(axis=[1, 2]),
    "layernorm_rms": lambda: layers.LayerNormalization(rms_scaling=True),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_image_layers_export(name, tmp_path):
    check(seq(CONVOLUTIONS[name](), shape=(7, 6, 4)), normal(7, 6, 4), tmp_path)


SEQUENCE_LAYERS = {
    "conv1d_causal_dilated": lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
    "conv1d_same_stride": lambda: layers.Conv1D(4, 4, strides=2, padding="same"),
    "conv1d_channels_first": lambda: layers.Conv1D(2, 2, data_format="channels_first"),
    "maxpool1d": lambda: layers.MaxPooling1D(2),
    "avgpool1d_same": lambda: layers.AveragePooling1D(3, strides=2, padding="same"),
    "global_max1d": lambda: layers.GlobalMaxPooling1D(),
    "global_avg1d": lambda: layers.GlobalAveragePooling1D(),
    "zero_padding1d": lambda: layers.ZeroPadding1D((2, 1)),
    "cropping1d": lambda: layers.Cropping1D((1, 2)),
    "upsampling1d": lambda: layers.UpSampling1D(3),
    "layernorm": lambda: layers.LayerNormalization(center=False),
    "time_distributed_dense": lambda: layers.TimeDistributed(layers.Dense(3, activation="elu")),
}


@pytest.mark.parametrize("name", sorted(SEQUENCE_LAYERS))
def test_sequence_layers_export(name, tmp_path):
    check(seq(SEQUENCE_LAYERS[name](), shape=(9, 5)), normal(9, 5), tmp_path)


def test_time_distributed_conv2d(tmp_path):
    model = seq(layers.TimeDistributed(layers.Conv2D(2, 3, padding="same")), shape=(3, 5, 5, 2))
    check(model, normal(3, 5, 5, 2), tmp_path)


def test_batchnorm_after_dense(tmp_path):
    check(seq(layers.Dense(5), layers.BatchNormalization(), shape=(4,)), normal(4), tmp_path)


# --- preprocessing and embedding ---
def test_normalization_and_rescaling(tmp_path):
    norm = layers.Normalization()
    norm.adapt(normal(3, seed=5) * 4 + 2)
    model = Sequential([layers.Input((3,)), layers.Rescaling(0.5, offset=-1.0), norm,
                        layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.25],
                                             invert=True)])
    check(model, normal(3), tmp_path)


def test_rescaling_of_uint8_images(tmp_path):
    inputs = layers.Input((4, 4, 1), dtype="uint8")
    model = randomize(Model(inputs, layers.Conv2D(2, 3)(layers.Rescaling(1 / 255)(inputs))))
    x = np.random.default_rng(0).integers(0, 256, (7, 4, 4, 1)).astype("uint8")
    check(model, x, tmp_path)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding(mode, tmp_path):
    inputs = layers.Input((4,), dtype="int32")
    outputs = layers.Dense(2)(layers.Flatten()(layers.CategoryEncoding(6, output_mode=mode)(
        inputs)))
    model = randomize(Model(inputs, outputs))
    x = np.random.default_rng(0).integers(0, 6, (7, 4)).astype("int32")
    check(model, x, tmp_path)


def test_embedding_with_integer_input(tmp_path):
    inputs = layers.Input((5,), dtype="int64")
    outputs = layers.Dense(2)(layers.Flatten()(layers.Embedding(20, 3)(inputs)))
    model = randomize(Model(inputs, outputs))
    check(model, np.random.default_rng(0).integers(0, 20, (7, 5)), tmp_path)


# --- merging ---
@pytest.mark.parametrize("merge", [layers.Add, layers.Subtract, layers.Multiply, layers.Average,
                                   layers.Maximum, layers.Minimum, layers.Concatenate,
                                   lambda: layers.Concatenate(axis=1),
                                   lambda: layers.Dot(axes=2),
                                   lambda: layers.Dot(axes=(1, 1), normalize=True)])
def test_merge_layers(merge, tmp_path):
    a, b = layers.Input((3, 4)), layers.Input((3, 4))
    model = randomize(Model([a, b], merge()([layers.Dense(4)(a), b])))
    check(model, [normal(3, 4), normal(3, 4, seed=2)], tmp_path)


def test_three_way_add_and_average(tmp_path):
    a, b, c = layers.Input((4,)), layers.Input((4,)), layers.Input((4,))
    model = Model([a, b, c], [layers.Add()([a, b, c]), layers.Average()([a, b, c])])
    check(model, [normal(4), normal(4, seed=2), normal(4, seed=3)], tmp_path)


# --- recurrent ---
RECURRENT = {
    "simple_rnn": lambda: layers.SimpleRNN(5),
    "simple_rnn_relu_sequences": lambda: layers.SimpleRNN(4, activation="relu",
                                                          return_sequences=True),
    "lstm": lambda: layers.LSTM(6),
    "lstm_sequences_backwards": lambda: layers.LSTM(4, return_sequences=True, go_backwards=True),
    "lstm_no_bias_hard_sigmoid": lambda: layers.LSTM(3, use_bias=False,
                                                     recurrent_activation="hard_sigmoid"),
    "lstm_linear_activation": lambda: layers.LSTM(3, activation="linear",
                                                  return_sequences=True),
    "gru_reset_after": lambda: layers.GRU(5, return_sequences=True),
    "gru_reset_before": lambda: layers.GRU(5, reset_after=False),
    "gru_backwards": lambda: layers.GRU(4, go_backwards=True),
    "bidirectional_lstm": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_gru_sum": lambda: layers.Bidirectional(layers.GRU(3), merge_mode="sum"),
    "bidirectional_rnn_ave": lambda: layers.Bidirectional(layers.SimpleRNN(3), merge_mode="ave"),
    "bidirectional_mul": lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True),
                                                      merge_mode="mul"),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_layers_export(name, tmp_path):
    check(seq(RECURRENT[name](), shape=(6, 4)), normal(6, 4), tmp_path)


def test_recurrent_states_and_initial_state(tmp_path):
    inputs, h0 = layers.Input((5, 3)), layers.Input((4,))
    c0 = layers.Dense(4)(h0)
    y, h, c = layers.LSTM(4, return_state=True)(inputs, initial_state=[h0, c0])
    seq_out = layers.GRU(4, return_sequences=True)(inputs, initial_state=h)
    both = layers.Bidirectional(layers.SimpleRNN(2, return_state=True), merge_mode=None)(inputs)
    model = randomize(Model([inputs, h0], [y, h, c, seq_out] + both))
    check(model, [normal(5, 3), normal(4, seed=3)], tmp_path)


class Tagger(keras.Model):
    """Token ids of any length -> per-step scores and one score per sequence."""

    def __init__(self):
        super().__init__()
        self.embedding = layers.Embedding(30, 4)
        self.conv = layers.Conv1D(4, 3, padding="same", activation="relu")
        self.rnn = layers.Bidirectional(layers.GRU(3, return_sequences=True))
        self.per_step = layers.TimeDistributed(layers.Dense(2))
        self.lstm = layers.LSTM(3)
        self.score = layers.Dense(1)

    def call(self, x):
        x = self.per_step(self.rnn(self.conv(self.embedding(x))))
        return x, self.score(self.lstm(x))


def test_variable_length_sequences(tmp_path):
    """A None step axis stays dynamic: the same file runs sequences of 3 and 11 steps."""
    model = Tagger()
    rng = np.random.default_rng(0)
    model.predict(rng.integers(0, 30, (2, 5)), verbose=0)
    randomize(model)
    path = tmp_path / "variable.onnx"
    model.export(path, verbose=False,
                 input_signature=[layers.KerasTensor((None, None), dtype="int32")])
    graph = onnx.load(path).graph
    assert [d.dim_param for d in graph.input[0].type.tensor_type.shape.dim] == \
        ["batch", "dim_0_1"]
    assert graph.output[0].type.tensor_type.shape.dim[1].dim_param
    for steps in (3, 11):
        for n in (1, 7):
            x = rng.integers(0, 30, (n, steps)).astype("int32")
            for got, expected in zip(onnx_predict(path, x), model.predict(x, verbose=0)):
                np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# --- the course's models ---
def test_course_mlp(tmp_path):
    model = seq(layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.2),
                layers.Dense(10, activation="softmax"), shape=(28, 28))
    path = check(model, np.random.default_rng(0).random((7, 28, 28), dtype=np.float32),
                 tmp_path)
    dims = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 28, 28]


def test_course_cnn(tmp_path):
    model = seq(layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                layers.Conv2D(64, 3, activation="relu", padding="same"),
                layers.BatchNormalization(), layers.GlobalAveragePooling2D(),
                layers.Dense(10, activation="softmax"), shape=(28, 28, 1))
    check(model, np.random.default_rng(0).random((7, 28, 28, 1), dtype=np.float32), tmp_path)


def test_course_lstm(tmp_path):
    model = seq(layers.Embedding(100, 16), layers.LSTM(32, return_sequences=True),
                layers.LSTM(16), layers.Dense(1, activation="sigmoid"), shape=(20,))
    check(model, np.random.default_rng(0).integers(0, 100, (7, 20)).astype("float32"), tmp_path)


def test_course_functional_wide_and_deep_two_inputs(tmp_path):
    input_a, input_b = layers.Input((5,), name="wide_input"), layers.Input((6,), name="deep_input")
    hidden1 = layers.Dense(30, activation="relu")(input_b)
    hidden2 = layers.Dense(30, activation="relu")(hidden1)
    concat = layers.concatenate([input_a, hidden2])
    output = layers.Dense(1, name="main_output")(concat)
    aux = layers.Dense(1, name="aux_output")(hidden2)
    model = randomize(Model([input_a, input_b], [output, aux]))
    path = check(model, [normal(5), normal(6, seed=2)], tmp_path)
    graph = onnx.load(path).graph
    assert [i.name for i in graph.input] == ["wide_input", "deep_input"]
    assert [o.name for o in graph.output] == ["main_output", "aux_output"]
    got = onnx_predict(path, {"deep_input": normal(6, seed=2), "wide_input": normal(5)})
    np.testing.assert_allclose(got[0], model.predict([normal(5), normal(6, seed=2)], verbose=0)[0],
                               rtol=1e-5, atol=1e-6)


class WideAndDeep(keras.Model):
    """The course's subclassed wide & deep model: a merge layer made inside call."""

    def __init__(self):
        super().__init__()
        self.hidden1 = layers.Dense(8, activation="relu")
        self.hidden2 = layers.Dense(8, activation="relu")
        self.main_output = layers.Dense(1)
        self.aux_output = layers.Dense(1)

    def call(self, inputs, training=None):
        input_a, input_b = inputs
        hidden2 = self.hidden2(self.hidden1(input_b))
        concat = layers.concatenate([input_a, hidden2])
        return self.main_output(concat), self.aux_output(hidden2)


def test_subclassed_model_with_layers_made_in_call(tmp_path):
    model = WideAndDeep()
    x = [normal(5), normal(6, seed=2)]
    model.predict(x, verbose=0)
    check(randomize(model), x, tmp_path)


def test_nested_models_and_input_signature(tmp_path):
    block = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(4)])
    inputs = layers.Input((3,))
    model = randomize(Model(inputs, layers.Dense(2)(block(inputs))))
    check(model, normal(3), tmp_path, input_signature=[layers.Input((3,), name="features")])
    assert onnx.load(tmp_path / "model.onnx").graph.input[0].name == "features"


@pytest.mark.skipif(not INTEROP.is_dir(), reason=f"Keras interop files not found at {INTEROP}")
@pytest.mark.parametrize("name", ["mlp", "cnn", "rnn", "widedeep"])
def test_models_written_by_keras_export(name, tmp_path):
    model = saving.load_model(INTEROP / f"{name}.keras")
    io = np.load(INTEROP / f"{name}.io.npz")
    x = [io["x0"], io["x1"]] if "x1" in io else io["x0"]
    path = tmp_path / f"{name}.onnx"
    model.export(path, verbose=False)
    got = onnx_predict(path, x)
    expected = [io["y0"], io["y1"]] if "y1" in io else [io["y0"]]
    for g, e in zip(got if isinstance(got, list) else [got], expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    check(model, x, tmp_path)


# --- errors ---
def test_unsupported_layer_is_named(tmp_path):
    model = seq(layers.Dense(3), layers.Lambda(lambda t: t * 2), shape=(4,))
    with pytest.raises(ValueError, match=r"layer 'lambda.*' \(Lambda\).*arbitrary Python"):
        model.export(tmp_path / "m.onnx", verbose=False)

    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    dense_call, conv1d_own = layers.Dense.call, "call" in vars(layers.Conv1D)
    model = seq(layers.Dense(3), Twice(name="twice"), shape=(4,))
    with pytest.raises(ValueError, match=r"layer 'twice' \(Twice\).*no ONNX converter"):
        model.export(tmp_path / "m.onnx", verbose=False)
    assert not (tmp_path / "m.onnx").exists()
    # the tracing hooks are gone after the failed export
    assert layers.Dense.call is dense_call and ("call" in vars(layers.Conv1D)) == conv1d_own
    assert "call" not in vars(model.layers[1])
    np.testing.assert_allclose(model.predict(normal(4), verbose=0),
                               2 * model.layers[0](normal(4)).numpy(), rtol=1e-6)


def test_subclass_of_an_exported_layer_is_not_taken_for_it(tmp_path):
    class Scaled(layers.Dense):
        def call(self, x):
            return super().call(x) * 3

    with pytest.raises(ValueError, match=r"'scaled' \(Scaled\)"):
        seq(Scaled(2, name="scaled"), shape=(3,)).export(tmp_path / "m.onnx", verbose=False)


def test_tensor_operations_in_call_are_refused(tmp_path):
    class AddOne(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(self.dense(x) + 1)

    model = AddOne()
    model.predict(normal(3), verbose=0)
    with pytest.raises(ValueError, match=r"layer 'dense.*' \(Dense\).*outside any layer"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_masks_are_refused(tmp_path):
    model = seq(layers.Embedding(10, 3, mask_zero=True), layers.LSTM(2), shape=(4,))
    with pytest.raises(ValueError, match=r"\(LSTM\).*mask"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_recurrent_activation_without_onnx_form(tmp_path):
    with pytest.raises(ValueError, match=r"\(GRU\).*'selu'"):
        seq(layers.GRU(2, activation="selu"), shape=(3, 2)).export(tmp_path / "m.onnx",
                                                                    verbose=False)


@pytest.mark.parametrize("fmt", ["tf_saved_model", "litert", "openvino", "torch"])
def test_keras_formats_name_onnx(fmt, tmp_path):
    with pytest.raises(ValueError, match=f"format='{fmt}'.*lamina exports ONNX"):
        seq(layers.Dense(2), shape=(3,)).export(tmp_path / "m", format=fmt)


def test_bad_arguments(tmp_path):
    model = seq(layers.Dense(2), shape=(3,))
    with pytest.raises(ValueError, match="Unrecognized format='pb'"):
        model.export(tmp_path / "m", format="pb")
    with pytest.raises(ValueError, match="opset_version must be an int from 15.*received "
                                         "opset_version=11"):
        model.export(tmp_path / "m", opset_version=11)
    with pytest.raises(TypeError, match="'is_static'"):
        model.export(tmp_path / "m", is_static=True)
    with pytest.raises(ValueError, match="never called"):
        Sequential([layers.Dense(2)]).export(tmp_path / "m")
    with pytest.raises(TypeError, match="Unsupported x=3"):
        model.export(tmp_path / "m", input_signature=[3])


@pytest.mark.parametrize("opset", [15, 17, onnx.defs.onnx_opset_version()])
def test_opset_versions(opset, tmp_path):
    model = seq(layers.TimeDistributed(layers.Dense(4, activation="gelu")),
                layers.LayerNormalization(), layers.Conv1D(3, 2),
                layers.GRU(3, return_sequences=True),
                layers.GlobalMaxPooling1D(keepdims=True), layers.GlobalAveragePooling1D(),
                shape=(5, 3))
    path = check(model, normal(5, 3), tmp_path, opset_version=opset)
    assert onnx.load(path).opset_import[0].version == opset


def test_default_opset_and_verbose(tmp_path, capsys):
    model = seq(layers.Dense(2, activation="gelu"), shape=(3,))
    model.export(tmp_path / "m.onnx")
    assert f"Saved artifact at '{tmp_path / 'm.onnx'}'." in capsys.readouterr().out
    assert onnx.load(tmp_path / "m.onnx").opset_import[0].version == 18


def test_missing_onnx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    with pytest.raises(ImportError, match=r"lamina\[onnx\]"):
        seq(layers.Dense(2), shape=(3,)).export(tmp_path / "m.onnx")


def test_onnx_predict_checks_inputs(tmp_path):
    model = seq(layers.Dense(2), shape=(3,))
    model.export(tmp_path / "m.onnx", verbose=False)
    with pytest.raises(ValueError, match=r"expects 1 input\(s\) \['input_0'\], but received 2"):
        onnx_predict(tmp_path / "m.onnx", [normal(3), normal(3)])
    with pytest.raises(ValueError, match=r"missing \['input_0'\]"):
        onnx_predict(tmp_path / "m.onnx", {"x": normal(3)})


def test_exported_layers_lists_the_converted_classes():
    names = exported_layers()
    for name in ("Dense", "Conv2D", "LSTM", "GRU", "Bidirectional", "TimeDistributed",
                 "Embedding", "BatchNormalization", "Concatenate"):
        assert name in names
    assert "Lambda" not in names
    assert lamina.export.exported_layers is exported_layers


def test_input_signature_sets_the_shapes(tmp_path):
    """A model built by a call exports the called shape; a signature with None keeps that
    axis dynamic; an array gives its shape."""
    model = Sequential([layers.Dense(3), layers.GlobalAveragePooling1D()])
    model.predict(normal(4, 2), verbose=0)

    def dims(path, **kwargs):
        model.export(path, verbose=False, **kwargs)
        shape = onnx.load(path).graph.input[0].type.tensor_type.shape.dim
        return [d.dim_param or d.dim_value for d in shape]

    assert dims(tmp_path / "called.onnx") == ["batch", 4, 2]
    assert dims(tmp_path / "array.onnx", input_signature=[np.zeros((1, 9, 2))]) == \
        ["batch", 9, 2]
    assert dims(tmp_path / "free.onnx", input_signature=layers.KerasTensor((None, None, 2))) \
        == ["batch", "dim_0_1", 2]
    x = normal(6, 2)
    np.testing.assert_allclose(onnx_predict(tmp_path / "free.onnx", x),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_shared_layer_called_twice(tmp_path):
    a, b = layers.Input((3,)), layers.Input((3,))
    shared = layers.Dense(4, activation="relu")
    model = randomize(Model([a, b], layers.Subtract()([shared(a), shared(b)])))
    check(model, [normal(3), normal(3, seed=2)], tmp_path)


def test_time_distributed_of_an_unsupported_layer_is_named(tmp_path):
    model = seq(layers.TimeDistributed(layers.Lambda(lambda t: t + 1)), shape=(3, 2))
    with pytest.raises(ValueError, match=r"\(TimeDistributed\).*inner layer 'lambda.*'"):
        model.export(tmp_path / "m.onnx", verbose=False)


class FullyConvolutional(keras.Model):
    """Images of any size: every padding and output size must follow the input's size."""

    def __init__(self):
        super().__init__()
        self.stack = [layers.Conv2D(3, 3, strides=2, padding="same", activation="relu"),
                      layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
                      layers.Conv2DTranspose(2, 2, strides=3),
                      layers.DepthwiseConv2D(3, dilation_rate=2, padding="same"),
                      layers.MaxPooling2D(3, strides=2, padding="same"),
                      layers.AveragePooling2D(2, strides=2, padding="same"),
                      layers.UpSampling2D(2), layers.ZeroPadding2D(1), layers.Cropping2D(1)]
        self.pool = layers.GlobalAveragePooling2D()

    def call(self, x):
        for layer in self.stack:
            x = layer(x)
        return x, self.pool(x)


def test_image_size_only_known_at_run_time(tmp_path):
    model = FullyConvolutional()
    rng = np.random.default_rng(0)
    model.predict(rng.normal(size=(1, 8, 8, 2)).astype("float32"), verbose=0)
    randomize(model)
    path = tmp_path / "fcn.onnx"
    model.export(path, verbose=False, input_signature=[layers.KerasTensor((None, None, None, 2))])
    for size in ((5, 7), (8, 8), (13, 6)):
        x = rng.normal(size=(2,) + size + (2,)).astype("float32")
        for got, expected in zip(onnx_predict(path, x), model.predict(x, verbose=0)):
            assert got.shape == expected.shape
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
