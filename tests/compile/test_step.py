"""Compiled steps give the eager step's results: every layer, loss, metric and optimizer,
trained compiled and eagerly from the same weights and seeds."""
import warnings

import numpy as np
import pytest

from lamina import backend, callbacks, keras, layers, models, ops, optimizers, regularizers
from lamina.autograd import Tensor, no_grad
from lamina.compile import JitCompileError

def train_both(build, compile_kwargs, x, y, epochs=3, batch_size=8, jit=True, callbacks=None,
               sample_weight=None, **fit_kwargs):
    """Trains ``build()`` eagerly and with ``jit_compile=jit`` from the same weights and seeds.

    Returns:
        (eager model, compiled model, eager history, compiled history).
    """
    models, histories = [], []
    for mode in (False, jit):
        backend.set_seed(7)
        model = build()
        kwargs = dict(compile_kwargs)
        if callable(kwargs["optimizer"]):   # a fresh optimizer for each model
            kwargs["optimizer"] = kwargs["optimizer"]()
        model.compile(**kwargs, jit_compile=mode)
        if models:
            model.set_weights(models[0]._initial_weights)
        model._initial_weights = model.get_weights()
        backend.set_seed(11)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0,
                                shuffle=False, callbacks=callbacks() if callbacks else None,
                                sample_weight=sample_weight, **fit_kwargs)
        models.append(model)
        histories.append(history.history)
    return models[0], models[1], histories[0], histories[1]


def assert_same_training(eager, compiled, h_eager, h_compiled, rtol=1e-5):
    """Same logs at every epoch and the same weights and optimizer state at the end."""
    assert h_eager.keys() == h_compiled.keys()
    for key in h_eager:
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=rtol, atol=1e-7,
                                   err_msg=key)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-6)
    for a, b in zip(eager.optimizer.get_state(), compiled.optimizer.get_state()):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=1e-6)


N = 26  # 3 batches of 8 and one of 2: two signatures, each traced twice then replayed


def _data(rng, shape, classes=3, dtype="float32"):
    x = rng.standard_normal((N,) + shape).astype(dtype)
    return x, rng.integers(0, classes, N)


def _classifier(body, input_shape):
    def build():
        return models.Sequential([layers.Input(input_shape), *body(), layers.Flatten(),
                                  layers.Dense(3, activation="softmax")])
    return build


ADAM = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}

LAYER_CASES = {
    "dense_relu": ((5,), lambda: [layers.Dense(6, activation="relu")]),
    "dense_tanh_l2": ((5,), lambda: [layers.Dense(6, activation="tanh",
                                                  kernel_regularizer=regularizers.l2(0.01),
                                                  activity_regularizer="l1")]),
    "dense_no_bias_sigmoid": ((5,), lambda: [layers.Dense(6, "sigmoid", use_bias=False)]),
    "activations": ((5,), lambda: [layers.Dense(6), layers.Activation("elu"), layers.LeakyReLU(),
                                   layers.ELU(), layers.ReLU(), layers.Activation("softplus"),
                                   layers.Softmax()]),
    "dropout": ((5,), lambda: [layers.Dense(6, "relu"), layers.Dropout(0.4)]),
    "dropout_seeded_noise_shape": ((4, 5), lambda: [layers.Dropout(0.3, noise_shape=(None, 1, 5),
                                                                    seed=3)]),
    "conv2d_pool": ((6, 6, 2), lambda: [layers.Conv2D(3, 3, padding="same", activation="relu"),
                                        layers.MaxPooling2D(), layers.AveragePooling2D(1)]),
    "conv2d_transpose_depthwise": ((5, 5, 2), lambda: [layers.Conv2DTranspose(2, 2, strides=2),
                                                       layers.DepthwiseConv2D(3),
                                                       layers.SeparableConv2D(2, 3)]),
    "conv1d_pool": ((8, 3), lambda: [layers.Conv1D(4, 3, activation="relu"),
                                     layers.MaxPooling1D(), layers.AveragePooling1D(),
                                     layers.UpSampling1D(), layers.ZeroPadding1D(1),
                                     layers.Cropping1D(1)]),
    "global_pools": ((6, 6, 2), lambda: [layers.Conv2D(2, 3), layers.GlobalAveragePooling2D(),
                                         layers.Reshape((2, 1)), layers.GlobalMaxPooling1D()]),
    "spatial_2d": ((4, 4, 2), lambda: [layers.ZeroPadding2D(1), layers.Cropping2D(1),
                                       layers.UpSampling2D(), layers.Conv2D(2, 3)]),
    "layer_norm_rescaling": ((5,), lambda: [layers.Rescaling(0.5, 1.0), layers.Dense(4),
                                            layers.LayerNormalization()]),
    "simple_rnn": ((4, 3), lambda: [layers.SimpleRNN(5)]),
    "gru": ((4, 3), lambda: [layers.GRU(4, return_sequences=True)]),
    "lstm": ((4, 3), lambda: [layers.LSTM(4)]),
    "bidirectional_time_distributed": ((4, 3), lambda: [
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.TimeDistributed(layers.Dense(2))]),
    "lambda": ((5,), lambda: [layers.Dense(4), layers.Lambda(lambda t: t * 2.0 - 1.0)]),
    "rnn_dropout": ((4, 3), lambda: [
        layers.GRU(4, dropout=0.3, recurrent_dropout=0.2, return_sequences=True),
        layers.LSTM(3, dropout=0.2, recurrent_dropout=0.3, seed=2),
        layers.Reshape((3, 1)), layers.SimpleRNN(2, dropout=0.5)]),
    "image_augmentation": ((6, 6, 2), lambda: [
        layers.RandomFlip(), layers.RandomRotation(0.2), layers.RandomZoom(0.2, seed=1),
        layers.RandomTranslation(0.1, 0.1), layers.RandomContrast(0.3), layers.RandomCrop(4, 4),
        layers.Conv2D(2, 3)]),
    "dense_batch_norm_relu": ((5,), lambda: [layers.Dense(6), layers.BatchNormalization(),
                                             layers.Activation("relu")]),
    "conv2d_batch_norm": ((5, 5, 2), lambda: [layers.Conv2D(3, 3), layers.BatchNormalization(
        momentum=0.8, center=False), layers.ReLU()]),
    "conv1d_batch_norm_channels_first": ((4, 6), lambda: [layers.Conv1D(4, 3),
                                                          layers.BatchNormalization(axis=1)]),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layers_compiled_equal_eager(case, rng):
    shape, body = LAYER_CASES[case]
    x, y = _data(rng, shape)
    eager, compiled, h1, h2 = train_both(_classifier(body, input_shape=shape), ADAM, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_batch_norm_statistics_and_evaluate_after_training(rng):
    x, y = _data(rng, (6, 6, 2))
    build = _classifier(lambda: [layers.Conv2D(3, 3), layers.BatchNormalization(),
                                 layers.Dense(4), layers.BatchNormalization(scale=False)],
                        input_shape=(6, 6, 2))
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y, validation_data=(x[:20], y[:20]))
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)
    for a, b in zip(eager.layers, compiled.layers):
        if isinstance(a, layers.BatchNormalization):
            assert not np.allclose(b.moving_mean.numpy(), 0)   # the replays updated them
            np.testing.assert_allclose(b.moving_mean.numpy(), a.moving_mean.numpy(), rtol=1e-5)
            np.testing.assert_allclose(b.moving_variance.numpy(), a.moving_variance.numpy(),
                                       rtol=1e-5)
    for _ in range(2):   # the evaluation plan reads the moving statistics of the moment
        before = compiled._compiled_steps.replays
        np.testing.assert_allclose(compiled.evaluate(x, y, batch_size=8, verbose=0),
                                   eager.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-5)
        np.testing.assert_allclose(compiled.predict(x, batch_size=8, verbose=0),
                                   eager.predict(x, batch_size=8, verbose=0), rtol=1e-5, atol=1e-7)
        assert compiled._compiled_steps.replays > before
        for model in (eager, compiled):
            model.fit(x, y, batch_size=8, verbose=0, shuffle=False)


def test_normalization_adapted_again_after_compiling(rng):
    x, y = _data(rng, (4,))
    x = x * 3 + 1
    results = []
    for jit in (False, True):
        backend.set_seed(5)
        norm = layers.Normalization()
        norm.adapt(x)
        model = models.Sequential([layers.Input((4,)), norm, layers.Dense(3, "softmax")])
        model.compile(**ADAM, jit_compile=jit)
        before = model.evaluate(x, y, batch_size=8, verbose=0)
        norm.adapt(x * 5 + 2)   # the evaluation plan reads the new statistics
        results.append(before + model.evaluate(x, y, batch_size=8, verbose=0))
    assert model._compiled_steps.replays > 0
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_frozen_batch_norm_trains_its_neighbours_with_the_moving_statistics(rng):
    x, y = _data(rng, (5,))

    def build():
        model = _classifier(lambda: [layers.Dense(6), layers.BatchNormalization(
            moving_mean_initializer="random_normal", moving_variance_initializer="ones")],
            input_shape=(5,))()
        model.layers[1].trainable = False
        return model
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_embedding(dtype, rng):
    x = rng.integers(0, 10, (N, 5)).astype(dtype)   # float indices are cast, as eager does
    y = rng.integers(0, 3, N)

    def build():
        return models.Sequential([layers.Input((5,)), layers.Embedding(10, 4), layers.Conv1D(3, 2),
                                  layers.Flatten(), layers.Dense(3, activation="softmax")])
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)
    x[-1, 0] = 12   # the replay still checks the indices
    with pytest.raises(ValueError, match="received index 12"):
        compiled.predict(x, batch_size=8, verbose=0)


@pytest.mark.parametrize("masking", ["embedding", "masking_layer"])
def test_masks_fall_back_to_eager_results(masking, rng):
    # the first two batches share their padding, the next ones are shorter: a replay that
    # kept the traced mask would be wrong
    x = rng.integers(1, 10, (32, 6))
    x[:, -2:] = 0
    x[16:, -4:] = 0
    y = rng.integers(0, 3, 32)
    if masking == "embedding":
        head = [layers.Input((6,)), layers.Embedding(10, 4, mask_zero=True)]
    else:
        x = (x[..., None] * np.ones(2)).astype("float32")
        head = [layers.Input((6, 2)), layers.Masking(0.0)]

    def build():
        return models.Sequential([*head, layers.LSTM(3), layers.Dense(3, activation="softmax")])
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y, jit="auto")
    assert "reads a masked tensor" in compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_merging_layers_in_a_functional_model(rng):
    x1, y = _data(rng, (4,))
    x2 = rng.standard_normal((N, 4)).astype("float32")

    def build():
        a, b = layers.Input((4,)), layers.Input((4,))
        da, db = layers.Dense(4)(a), layers.Dense(4)(b)
        merged = [layers.Add()([da, db]), layers.Subtract()([da, db]),
                  layers.Multiply()([da, db]), layers.Average()([da, db]),
                  layers.Maximum()([da, db]), layers.Minimum()([da, db]),
                  layers.Dot(axes=1)([da, db])]
        out = layers.Dense(3, activation="softmax")(layers.Concatenate()(merged))
        return models.Model([a, b], out)
    eager, compiled, h1, h2 = train_both(build, ADAM, [x1, x2], y)
    assert compiled._compiled_steps.replays > 0
    assert_same_training(eager, compiled, h1, h2)


def test_two_outputs_with_loss_weights(rng):
    x, y = _data(rng, (5,))
    y2 = rng.standard_normal((N, 2)).astype("float32")

    def build():
        inputs = layers.Input((5,))
        h = layers.Dense(6, activation="relu")(inputs)
        return models.Model(inputs, [layers.Dense(3, activation="softmax", name="cls")(h),
                                     layers.Dense(2, name="reg")(h)])
    kwargs = {"optimizer": "adam", "loss": ["sparse_categorical_crossentropy", "mse"],
              "loss_weights": [1.0, 0.5], "metrics": [["accuracy"], ["mae"]]}
    eager, compiled, h1, h2 = train_both(build, kwargs, x, [y, y2])
    assert compiled._compiled_steps.replays > 0
    assert_same_training(eager, compiled, h1, h2)


# --- losses and metrics ---------------------------------------------------------------
LOSS_CASES = {
    "binary_crossentropy": ("sigmoid", 1, "binary"),
    "BinaryCrossentropy_logits": (None, 1, "binary"),
    "categorical_crossentropy": ("softmax", 3, "onehot"),
    "CategoricalCrossentropy_logits": (None, 3, "onehot"),
    "sparse_categorical_crossentropy": ("softmax", 3, "sparse"),
    "SparseCategoricalCrossentropy_logits": (None, 3, "sparse"),
    "mse": (None, 2, "real"), "mae": (None, 2, "real"), "mape": (None, 2, "positive"),
    "msle": ("softplus", 2, "positive"), "huber": (None, 2, "real"),
    "log_cosh": (None, 2, "real"), "poisson": ("softplus", 2, "positive"),
    "kl_divergence": ("softmax", 3, "onehot"), "hinge": ("tanh", 1, "binary"),
    "squared_hinge": ("tanh", 1, "binary"),
    "hinge_signed": ("tanh", 1, "signed"), "Huber_delta": (None, 2, "real"),
    "BinaryCrossentropy_smoothing": ("sigmoid", 1, "binary"),
    "CategoricalCrossentropy_smoothing": ("softmax", 3, "onehot"),
}

LOSS_OBJECTS = {
    "hinge_signed": lambda losses: losses.Hinge(),
    "Huber_delta": lambda losses: losses.Huber(delta=0.3),
    "BinaryCrossentropy_smoothing": lambda losses: losses.BinaryCrossentropy(label_smoothing=0.2),
    "CategoricalCrossentropy_smoothing": lambda losses: losses.CategoricalCrossentropy(
        label_smoothing=0.1),
}


def _targets(kind, units, rng):
    if kind == "binary":
        return rng.integers(0, 2, (N, 1)).astype("float32")
    if kind == "signed":
        return rng.choice([-1.0, 1.0], (N, 1)).astype("float32")
    if kind == "onehot":
        return np.eye(3, dtype="float32")[rng.integers(0, 3, N)]
    if kind == "sparse":
        return rng.integers(0, 3, N)
    y = rng.standard_normal((N, units)).astype("float32")
    return np.abs(y) + 0.5 if kind == "positive" else y


def _loss(name):
    from lamina import losses
    if name in LOSS_OBJECTS:
        return LOSS_OBJECTS[name](losses)
    if name.endswith("_logits"):
        return getattr(losses, name[:-len("_logits")])(from_logits=True)
    return name


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_losses_compiled_equal_eager(name, rng):
    activation, units, kind = LOSS_CASES[name]
    x = rng.standard_normal((N, 5)).astype("float32")
    y = _targets(kind, units, rng)

    def build():
        return models.Sequential([layers.Input((5,)), layers.Dense(6, activation="relu"),
                                  layers.Dense(units, activation=activation)])
    kwargs = {"optimizer": "adam", "loss": _loss(name)}
    eager, compiled, h1, h2 = train_both(build, kwargs, x, y)
    steps = compiled._compiled_steps
    assert steps.replays > 0, steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_categorical_crossentropy_over_another_axis(rng):
    from lamina import losses
    x = rng.standard_normal((N, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, (N, 2))].transpose(0, 2, 1)   # (N, 3, 2)

    def build():
        return models.Sequential([layers.Input((5,)), layers.Dense(6), layers.Reshape((3, 2)),
                                  layers.Softmax(axis=1)])
    kwargs = {"optimizer": "adam", "loss": losses.CategoricalCrossentropy(axis=1,
                                                                          label_smoothing=0.1)}
    eager, compiled, h1, h2 = train_both(build, kwargs, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


METRIC_CASES = {
    "sparse": ["accuracy", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
               "sparse_top_k_categorical_accuracy"],
    "onehot": ["categorical_accuracy", "categorical_crossentropy", "top_k_categorical_accuracy",
               "AUC", "Precision", "Recall", "TruePositives", "FalsePositives",
               "TrueNegatives", "FalseNegatives"],
    "real": ["mse", "mae", "mape", "msle", "RootMeanSquaredError", "Accuracy"],
    "binary": ["binary_accuracy", "binary_crossentropy"],
}


@pytest.mark.parametrize("kind", sorted(METRIC_CASES))
def test_metrics_compiled_equal_eager(kind, rng):
    units, activation, loss = {"sparse": (3, "softmax", "sparse_categorical_crossentropy"),
                               "onehot": (3, "softmax", "categorical_crossentropy"),
                               "real": (2, "softplus", "mse"),
                               "binary": (1, "sigmoid", "binary_crossentropy")}[kind]
    x = rng.standard_normal((N, 5)).astype("float32")
    y = _targets("positive" if kind == "real" else kind, units, rng)

    def build():
        return models.Sequential([layers.Input((5,)), layers.Dense(units, activation=activation)])
    kwargs = {"optimizer": "adam", "loss": loss, "metrics": METRIC_CASES[kind]}
    eager, compiled, h1, h2 = train_both(build, kwargs, x, y, validation_data=(x[:10], y[:10]))
    assert compiled._compiled_steps.replays > 0
    assert_same_training(eager, compiled, h1, h2)


# --- optimizers -----------------------------------------------------------------------
OPTIMIZER_CASES = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda: optimizers.Adam(amsgrad=True),
    "adamw": lambda: optimizers.AdamW(weight_decay=0.1),
    "rmsprop_centered": lambda: optimizers.RMSprop(centered=True, momentum=0.5),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adadelta": lambda: optimizers.Adadelta(1.0),
    "adamax": lambda: optimizers.Adamax(),
    "nadam": lambda: optimizers.Nadam(),
    "clipnorm": lambda: optimizers.Adam(clipnorm=0.01),
    "global_clipnorm": lambda: optimizers.SGD(0.1, global_clipnorm=0.01),
    "clipvalue": lambda: optimizers.RMSprop(clipvalue=0.001),
    "weight_decay_excluded": lambda: _excluded(optimizers.Adam(weight_decay=0.5)),
    "loss_scale_decay": lambda: optimizers.SGD(0.1, loss_scale_factor=4.0, decay=0.1),
    "schedule": lambda: optimizers.Adam(optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)),
    "callable_lr": lambda: optimizers.SGD(lambda step: 0.1 / (1 + step)),
}


def _excluded(optimizer):
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


@pytest.mark.parametrize("case", sorted(OPTIMIZER_CASES))
def test_optimizers_compiled_equal_eager(case, rng):
    x, y = _data(rng, (5,))
    build = _classifier(lambda: [layers.Dense(6, activation="relu",
                                              kernel_constraint=lambda w: ops.clip(w, -0.3, 0.3))],
                        input_shape=(5,))
    kwargs = {**ADAM, "optimizer": OPTIMIZER_CASES[case]}
    eager, compiled, h1, h2 = train_both(build, kwargs, x, y)
    assert compiled._compiled_steps.replays > 0
    assert_same_training(eager, compiled, h1, h2)


def test_user_optimizer_subclass_updates_each_weight(rng):
    class HalfSGD(optimizers.SGD):
        def update_step(self, g, w, s, lr):
            w -= 0.5 * lr * g
    x, y = _data(rng, (5,))
    kwargs = {**ADAM, "optimizer": lambda: HalfSGD(0.1)}
    eager, compiled, h1, h2 = train_both(_classifier(lambda: [], input_shape=(5,)), kwargs, x, y)
    assert not compiled._compiled_steps.flat_optimizer.one_pass
    assert_same_training(eager, compiled, h1, h2)


# --- the flat buffer keeps the Keras objects working ----------------------------------
def test_weights_are_views_of_one_buffer_and_saving_still_works(rng, tmp_path):
    x, y = _data(rng, (5,))
    eager, compiled, *_ = train_both(_classifier(lambda: [layers.Dense(4)], input_shape=(5,)),
                                     ADAM, x, y)
    flat = compiled._compiled_steps.params
    for v in compiled.trainable_weights:
        assert np.shares_memory(v.data, flat.weights)
    compiled.save(tmp_path / "m.keras")
    restored = models.load_model(tmp_path / "m.keras")
    for a, b in zip(compiled.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)
    compiled.set_weights(eager.get_weights())   # writes into the views
    for v in compiled.trainable_weights:
        assert np.shares_memory(v.data, flat.weights)
    np.testing.assert_array_equal(backend.to_numpy(flat.weights), np.concatenate(
        [w.numpy().ravel() for w in eager.trainable_weights]))
    np.testing.assert_allclose(compiled.predict(x, verbose=0), eager.predict(x, verbose=0),
                               rtol=1e-6)


def test_evaluate_and_predict_replay(rng):
    x, y = _data(rng, (5,))
    eager, compiled, *_ = train_both(_classifier(lambda: [layers.Dense(4, "relu")],
                                                 input_shape=(5,)), ADAM, x, y)
    before = compiled._compiled_steps.replays
    for _ in range(3):
        np.testing.assert_allclose(compiled.evaluate(x, y, batch_size=8, verbose=0),
                                   eager.evaluate(x, y, batch_size=8, verbose=0), rtol=1e-6)
        np.testing.assert_allclose(compiled.predict(x, batch_size=8, verbose=0),
                                   eager.predict(x, batch_size=8, verbose=0), rtol=1e-6)
    assert compiled._compiled_steps.replays > before


@pytest.mark.parametrize("label_dtype", ["int64", "uint8", "float32"])
def test_softmax_and_sparse_cross_entropy_run_as_one_op(label_dtype, rng):
    x, y = _data(rng, (5,))
    y = y.astype(label_dtype)
    eager, compiled, h1, h2 = train_both(_classifier(lambda: [layers.Dense(4, "relu"),
                                                              layers.Dropout(0.3)],
                                                     input_shape=(5,)), ADAM, x, y)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_array_equal(b, a)   # the same bits: the same softmax
    np.testing.assert_array_equal(h2["loss"], h1["loss"])
    compiled.evaluate(x, y, batch_size=8, verbose=0)   # an evaluate plan is fused too
    plans = [e.plan for e in compiled._compiled_steps.entries.values() if e.plan is not None]
    kinds = {k[0] for k, e in compiled._compiled_steps.entries.items() if e.plan is not None}
    assert kinds == {"train", "test"}
    for plan in plans:
        names = [type(f).__name__ for f, _, _ in plan.forward_ops]
        assert "_SoftmaxCrossEntropy" in names and "SparseSoftmaxCrossEntropy" not in names
        assert "Softmax" not in names


# --- callbacks between batches take effect at the next step -----------------------------
class _FreezeFirstLayer(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            self.model.layers[0].trainable = False


class _EditWeights(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        kernel = self.model.layers[0].kernel
        kernel.assign(kernel.numpy() * 0.9)


class _RebindWeights(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        bias = self.model.layers[0].bias
        bias.data = bias.data + 0.01   # a new array: the compiled step must notice


@pytest.mark.parametrize("make", [
    lambda: [callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)],
    lambda: [callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: setattr(
        _MODEL[0].optimizer, "learning_rate", 0.01 / (b + 1)))],
    lambda: [_FreezeFirstLayer()],
    lambda: [_EditWeights()],
    lambda: [_RebindWeights()],
], ids=["scheduler", "set_learning_rate", "freeze", "edit_weights", "rebind_weights"])
def test_callbacks_take_effect_next_step(make, rng):
    x, y = _data(rng, (5,))
    models_seen = []

    def build():
        model = _classifier(lambda: [layers.Dense(6, "relu")], input_shape=(5,))()
        models_seen.append(model)
        _MODEL[:] = [model]
        return model
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y, epochs=4, callbacks=make)
    assert compiled._compiled_steps.replays > 0
    assert_same_training(eager, compiled, h1, h2)


_MODEL = []


# --- fallbacks -------------------------------------------------------------------------
class _BranchOnValue(layers.Layer):
    """Python control flow on a tensor value: the two traces differ."""

    def call(self, x):
        return x * 2.0 if float(x.data.mean()) > 0 else x * 3.0


class _HostNoise(layers.Layer):
    """A random draw outside any op: frozen by a trace, so it must not be replayed."""

    def call(self, x, training=None):
        return x + Tensor(np.random.default_rng().standard_normal(x.shape).astype("float32"))


class _HostCounter(layers.Layer):
    """Writes a weight with a value computed on the host: the replay could not repeat it."""

    def build(self, input_shape):
        self.count = self.add_weight("count", (), "zeros", trainable=False)

    def call(self, x):
        self.count.assign(self.count.numpy() + 1)
        return x


class _RunningSum(layers.Layer):
    """Writes its weights with values the ops computed: replayed like BatchNormalization."""

    def build(self, input_shape):
        self.total = self.add_weight("total", input_shape[-1:], "zeros", trainable=False)
        self.last = self.add_weight("last", input_shape[-1:], "zeros", trainable=False)

    def call(self, x):
        with no_grad():
            self.total.assign_add(ops.sum(x, axis=0))
            self.last.assign_sub(self.last - ops.mean(x, axis=0))   # last = mean(x)
        return x + self.last


def test_weights_written_with_recorded_values_are_replayed(rng):
    x, y = _data(rng, (5,))
    build = _classifier(lambda: [layers.Dense(4), _RunningSum()], input_shape=(5,))
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)
    total = compiled.layers[1].total.numpy()
    assert np.abs(total).sum() > 0
    np.testing.assert_allclose(total, eager.layers[1].total.numpy(), rtol=1e-5)


@pytest.mark.parametrize("layer, words", [
    (lambda: _BranchOnValue(), "op #"),
    (lambda: _HostNoise(), "_host_noise"),
    (lambda: _HostCounter(), "/count' a value computed outside"),
], ids=["branch_on_value", "host_random_draw", "weight_written_from_the_host"])
def test_unreplayable_steps_fall_back_with_one_warning_or_raise(layer, words, rng):
    x, y = _data(rng, (5,))
    x[:8], x[8:16] = abs(x[:8]) + 0.1, -abs(x[8:16]) - 0.1   # batch means of both signs
    build = _classifier(lambda: [layer(), layers.Dense(4)], input_shape=(5,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend.set_seed(1)
        model = build()
        model.compile(**ADAM)
        model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    reasons = [e.reason for e in model._compiled_steps.entries.values() if e.reason]
    assert reasons and all(words in r for r in reasons)   # (a last batch may compile)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages   # once, not at every step
    assert caught[0].category is UserWarning
    assert words in messages[0] and "runs eagerly" in messages[0]
    assert "jit_compile=False" in messages[0] and "run_eagerly=True" in messages[0]
    for off in ({"jit_compile": False}, {"run_eagerly": True}):   # the documented silencers
        model = build()
        model.compile(**ADAM, **off)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    model = build()
    model.compile(**ADAM, jit_compile=True)
    with pytest.raises(JitCompileError, match="cannot be compiled") as info:
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert words in str(info.value)


def test_branch_on_value_falls_back_with_eager_results(rng):
    x, y = _data(rng, (5,))
    x[:8], x[8:16] = abs(x[:8]) + 0.1, -abs(x[8:16]) - 0.1
    build = _classifier(lambda: [_BranchOnValue(), layers.Dense(4)], input_shape=(5,))
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y, jit="auto")
    assert_same_training(eager, compiled, h1, h2)


def test_overridden_compute_loss_stays_eager(rng):
    class MyModel(models.Sequential):
        def compute_loss(self, *args, **kwargs):
            return super().compute_loss(*args, **kwargs) * 2.0
    x, y = _data(rng, (5,))
    model = MyModel([layers.Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile(**ADAM, jit_compile=True)
    with pytest.raises(JitCompileError, match="MyModel overrides compute_loss"):
        model.fit(x, y, batch_size=8, verbose=0)


def test_fallbacks_that_are_how_lamina_runs_a_model_are_quiet(rng):
    class MyModel(models.Sequential):
        def compute_loss(self, *args, **kwargs):
            return super().compute_loss(*args, **kwargs) * 2.0
    x, y = _data(rng, (5,))
    for cls, optimizer in ((MyModel, "adam"),
                           (models.Sequential, optimizers.LossScaleOptimizer(optimizers.Adam()))):
        model = cls([layers.Input((5,)), layers.Dense(3, activation="softmax")])
        model.compile(optimizer, "sparse_categorical_crossentropy")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        assert model._compiled_steps.fallback_reason


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_sample_weight_compiled_equal_eager(reduction, rng):
    from lamina import losses
    x, y = _data(rng, (5,))
    w = rng.uniform(0.5, 2, N)   # float64: cast as eager casts it
    w[8:16] = 0                  # a batch of zero weights ('mean_with_sample_weight': 0 * w)
    kwargs = {**ADAM, "loss": losses.SparseCategoricalCrossentropy(reduction=reduction)}
    eager, compiled, h1, h2 = train_both(_classifier(lambda: [], input_shape=(5,)), kwargs, x,
                                         y, sample_weight=w)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_class_weight_compiled_equal_eager(rng):
    x, y = _data(rng, (5,))
    eager, compiled, h1, h2 = train_both(_classifier(lambda: [], input_shape=(5,)), ADAM, x, y,
                                         class_weight={0: 0.5, 1: 2.0, 2: 1.0})
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_compile_arguments():
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile("sgd", "mse", jit_compile="yes")
    with pytest.warns(UserWarning, match="run_eagerly"):
        model.compile("sgd", "mse", run_eagerly=True, jit_compile=True)
    assert model.jit_compile is False and model._compiled() is None
    assert model.get_compile_config()["run_eagerly"] is True
    model.compile("sgd", "mse")
    assert model.jit_compile is True and model._compiled() is not None
    assert model.get_compile_config()["jit_compile"] == "auto"
    model.run_eagerly = True
    assert model._compiled() is None
    model.jit_compile = False
    assert model._compiled_steps is None


def test_a_model_built_by_its_first_batch_compiles(rng):
    x, y = _data(rng, (5,))

    def build():   # no Input: the first step creates the weights
        return models.Sequential([layers.Dense(4, "relu"), layers.BatchNormalization(),
                                  layers.Dense(3, activation="softmax")])
    eager, compiled, h1, h2 = train_both(build, ADAM, x, y)
    assert compiled._compiled_steps.replays > 0, compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


def test_train_on_batch_and_new_fit_calls_keep_the_plan(rng):
    x, y = _data(rng, (5,))
    results = []
    for mode in (False, True):
        backend.set_seed(3)
        model = _classifier(lambda: [layers.Dense(4, "relu")], input_shape=(5,))()
        model.compile(**ADAM, jit_compile=mode)
        losses = [model.train_on_batch(x[:8], y[:8], return_dict=True)["loss"] for _ in range(4)]
        # a custom loop may give train_step NumPy batches: the replay moves them to the device
        losses += [float(model.train_step((x[:8], y[:8]))["loss"]) for _ in range(2)]
        for _ in range(2):
            losses += model.fit(x, y, batch_size=8, verbose=0, shuffle=False).history["loss"]
        results.append((losses, model.get_weights(), model))
    (eager_losses, eager_weights, _), (losses, weights, compiled) = results
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-6)
    for a, b in zip(eager_weights, weights):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    steps = compiled._compiled_steps
    assert steps.replays >= 2 + 2 + 2 + 1   # train_on_batch, train_step, then each fit
    assert len(steps.entries) == 2          # batches of 8 and of 2: one plan each, kept


def test_an_optimizer_with_its_own_apply_runs_eagerly(rng):
    x, y = _data(rng, (5,))
    kwargs = {**ADAM, "optimizer": lambda: optimizers.LossScaleOptimizer(optimizers.Adam())}
    eager, compiled, h1, h2 = train_both(_classifier(lambda: [], input_shape=(5,)), kwargs, x, y,
                                         jit="auto")
    assert "LossScaleOptimizer has its own apply()" in compiled._compiled_steps.fallback_reason
    assert_same_training(eager, compiled, h1, h2)


class _Sampling(layers.Layer):
    """A VAE's sampling: z = mean + exp(log_var / 2) * eps, eps from keras.random.normal with
    a SeedGenerator, plus the KL term as an added loss."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(5)

    def call(self, inputs):
        kops = keras.ops
        z_mean, z_log_var = inputs
        eps = keras.random.normal(kops.shape(z_mean), seed=self.seed_generator)
        self.add_loss(-0.5 * kops.mean(1 + z_log_var - kops.square(z_mean) - kops.exp(z_log_var)))
        return z_mean + kops.exp(0.5 * z_log_var) * eps


def test_random_draws_with_a_seed_generator_replay(rng):
    x = rng.standard_normal((N, 6)).astype("float32")

    def build():
        inputs = layers.Input((6,))
        h = layers.Dense(4, activation="relu")(inputs)
        z = _Sampling()([layers.Dense(2)(h), layers.Dense(2)(h)])
        return keras.Model(inputs, layers.Dense(6)(z))
    eager, compiled, h1, h2 = train_both(build, {"optimizer": "adam", "loss": "mse"}, x, x)
    assert_same_training(eager, compiled, h1, h2)
    assert compiled._compiled_steps.replays > 0
    counters = [int([l for l in m.layers if isinstance(l, _Sampling)][0]
                    .seed_generator.state.numpy()[1]) for m in (eager, compiled)]
    assert counters[0] == counters[1] >= 12   # a fresh draw at each of the 12 steps


def test_fractional_labels_raise_in_a_replay_as_eagerly(rng):
    x, y = _data(rng, (5,))
    model = _classifier(lambda: [], input_shape=(5,))()
    model.compile(**ADAM, jit_compile=True)
    model.fit(x, y.astype("float32"), batch_size=8, verbose=0, shuffle=False)
    assert model._compiled_steps.replays > 0
    y = y.astype("float32")
    y[-5] = 1.5   # in a batch of a signature that replays
    with pytest.raises(ValueError, match="fractional value 1.5"):
        model.fit(x, y, batch_size=8, verbose=0, shuffle=False)

