"""A model's own train_step and test_step (Keras's "customizing what happens in fit()"),
trained compiled and eagerly from the same weights and seeds: same logs, weights and
optimizer state; steps that cannot be replayed run eagerly with one warning."""
import warnings

import numpy as np
import pytest

import lamina
from lamina import backend, keras
from lamina.keras import ops
from lamina.compile import JitCompileError


def _data(n=26, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype("float32")
    return x, rng.integers(0, 3, n)


def _network(cls):
    """A functional model of class ``cls`` with Dropout, so the random stream is checked."""
    inputs = keras.Input((5,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    h = keras.layers.Dropout(0.3)(h)
    return cls(inputs, keras.layers.Dense(3, activation="softmax")(h))


def _compile(model, jit_compile):
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)


def train_both(build, jit="auto", compile=_compile, data=None, epochs=3, evaluate=False,
               **fit_kwargs):
    """Trains ``build()`` (for a Model class: ``_network(cls)``) eagerly and with
    ``jit_compile=jit`` from the same weights and seeds, ``compile(model, jit_compile)``
    each; returns (eager model, compiled model, eager logs, compiled logs, the compiled
    run's jit warnings)."""
    x, y = data or _data()
    if isinstance(build, type):
        build = (lambda cls: lambda: _network(cls))(build)
    out = []
    for mode in (False, jit):
        backend.set_seed(7)
        model = build()
        compile(model, mode)
        if out:
            model.set_weights(out[0][2])
        start = model.get_weights()
        backend.set_seed(11)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            logs = model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0,
                             validation_data=(x, y) if evaluate else None,
                             **fit_kwargs).history
        out.append((model, logs, start, [w for w in seen if "jit_compile" in str(w.message)]))
    (eager, h_eager, *_), (compiled, h_compiled, _, caught) = out
    return eager, compiled, h_eager, h_compiled, caught


def assert_same(eager, compiled, h_eager, h_compiled):
    assert h_eager.keys() == h_compiled.keys()
    for key in h_eager:
        np.testing.assert_allclose(h_compiled[key], h_eager[key], rtol=1e-5, err_msg=key)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    state_e, state_c = eager.optimizer.get_state(), compiled.optimizer.get_state()
    assert len(state_e) == len(state_c)
    for a, b in zip(state_e, state_c):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


class GuideStep(keras.Model):
    """Keras 3's guide: compute_loss, tape.gradient over trainable_variables, optimizer.apply,
    every metric updated, results returned."""

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class OwnTrackers(keras.Model):
    """The guide's lower-level form: a loss object, a Mean loss tracker and a metric held by
    the model, apply_gradients(zip(...)) over trainable_weights, its own test_step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_metric = keras.metrics.SparseCategoricalAccuracy(name="acc")
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.acc_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "acc": self.acc_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.acc_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "acc": self.acc_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_metric]


class ComputeMetrics(keras.Model):
    """Sample weights unpacked by hand, compute_loss with them, compute_metrics returned."""

    def train_step(self, data):
        x, y, sample_weight = data if len(data) == 3 else (*data, None)
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        x, y, sample_weight = data if len(data) == 3 else (*data, None)
        y_pred = self(x, training=False)
        self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)


class BackwardStep(keras.Model):
    """lamina's own form: loss.backward() fills each weight's .grad."""

    def train_step(self, data):
        x, y = data
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        self.optimizer.apply([v.grad for v in variables], variables)
        return self.compute_metrics(x, y, y_pred)


class ClippedGrads(keras.Model):
    """Gradients changed with ops before the update (clipped by value, by hand); the
    batch's loss Tensor returned in the logs."""

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        grads = [ops.clip(g, -0.01, 0.01) for g in grads]
        self.optimizer.apply(grads, self.trainable_weights)
        return {**self.compute_metrics(x, y, y_pred), "batch_loss": loss}   # a Tensor too


class Keras2Step(keras.Model):
    """Keras 2's names: compiled_loss and compiled_metrics."""

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


@pytest.mark.parametrize("cls", [GuideStep, OwnTrackers, ComputeMetrics, BackwardStep,
                                 ClippedGrads, Keras2Step], ids=lambda c: c.__name__)
def test_user_step_compiled_equals_eager(cls):
    eager, compiled, h_eager, h_compiled, caught = train_both(cls, evaluate=True)
    assert_same(eager, compiled, h_eager, h_compiled)
    steps = compiled._compiled_steps
    # 3 epochs of 3 batches of 8 and one of 2 (two signatures, each traced twice), and
    # the evaluations: the user's steps are replayed
    assert steps.replays > 0 and steps.fallback_reason is None
    assert not caught
    own = {"train_step"} | ({"test_step"} if "test_step" in cls.__dict__ else set())
    assert {key[0] for key, entry in steps.custom.entries.items() if entry.plan} == own


def test_user_step_with_sample_weight_and_sgd_momentum():
    def compile(model, jit_compile):
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy",
                      weighted_metrics=["accuracy"], jit_compile=jit_compile)

    x, y = _data()
    weights = np.linspace(0.5, 1.5, len(x)).astype("float32")
    eager, compiled, h_eager, h_compiled, _ = train_both(ComputeMetrics, compile=compile,
                                                         sample_weight=weights, epochs=2)
    assert_same(eager, compiled, h_eager, h_compiled)
    # the weighted loss divides the weights by the batch size in NumPy (as the built-in
    # step's test_sample_weight_falls_back_to_eager_results notes): replayed where the
    # loss is, else eager with the reason
    steps = compiled._compiled_steps
    assert steps.replays > 0 or "computed outside the recorded ops" in steps.fallback_reason


def test_train_on_batch_replays_the_user_step():
    x, y = _data(8)
    models = []
    for mode in (False, True):
        backend.set_seed(7)
        model = _network(OwnTrackers)
        model.compile("adam", jit_compile=mode)
        if models:
            model.set_weights(models[0].start)
        model.start = model.get_weights()
        backend.set_seed(11)
        model.logs = [model.train_on_batch(x, y, return_dict=True) for _ in range(4)]
        models.append(model)
    eager, compiled = models
    assert compiled._compiled_steps.replays == 2   # two traces, then replays
    for a, b in zip(eager.logs, compiled.logs):
        assert a.keys() == b.keys()
        np.testing.assert_allclose(list(b.values()), list(a.values()), rtol=1e-5)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


class BranchOnLoss(GuideStep):
    """Python control flow on a tensor value: the step differs from batch to batch."""

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            if loss > 1.0:
                loss = loss * 2.0
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return self.compute_metrics(x, y, y_pred)


def test_data_dependent_branch_falls_back_with_one_warning():
    eager, compiled, h_eager, h_compiled, caught = train_both(BranchOnLoss)
    assert_same(eager, compiled, h_eager, h_compiled)   # eager steps: the same results
    steps = compiled._compiled_steps
    assert steps.replays == 0
    assert len(caught) == 1 and issubclass(caught[0].category, UserWarning)
    message = str(caught[0].message)
    assert "BranchOnLoss" in message and "__bool__" in message and "run_eagerly=True" in message
    assert caught[0].filename == __file__   # points at the call of fit
    assert "__bool__" in steps.fallback_reason


def test_jit_compile_true_raises_with_the_reason():
    backend.set_seed(7)
    model = _network(BranchOnLoss)
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    x, y = _data()
    with pytest.raises(JitCompileError, match=r"jit_compile=True, but BranchOnLoss's own step: "
                                              r".*__bool__"):
        model.fit(x, y, batch_size=8, verbose=0)


@pytest.mark.parametrize("how, python_runs, replays", [
    ({}, 4, 8),                            # two traces of each signature, then replays
    ({"run_eagerly": True}, 12, 0),        # the escape hatches: the user's Python at every
    ({"jit_compile": False}, 12, 0)],      # step, and no warning
    ids=["auto", "run_eagerly", "jit_compile_false"])
def test_python_of_the_step_runs_when_traced_or_eagerly(how, python_runs, replays):
    calls = []

    class Counted(GuideStep):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    backend.set_seed(7)
    model = _network(Counted)
    model.compile("adam", "sparse_categorical_crossentropy", **how)
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no jit_compile warning
        model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert len(calls) == python_runs
    steps = model._compiled_steps
    assert (0 if steps is None else steps.replays) == replays


def test_weight_written_outside_the_optimizer_falls_back():
    class Assigns(GuideStep):
        def train_step(self, data):
            logs = super().train_step(data)
            bias = self.trainable_weights[1]
            bias.assign(np.full(bias.shape, 0.1, "float32"))   # a value no op computed
            return logs

    eager, compiled, h_eager, h_compiled, caught = train_both(Assigns)
    assert_same(eager, compiled, h_eager, h_compiled)
    assert compiled._compiled_steps.replays == 0 and len(caught) == 1
    message = str(caught[0].message)
    assert "writes to the weight" in message and compiled.trainable_weights[1].path in message


def test_value_kept_with_float_falls_back():
    class KeepsFloat(GuideStep):
        def train_step(self, data):
            logs = super().train_step(data)
            logs["loss_copy"] = float(logs["loss"])
            return logs

    eager, compiled, h_eager, h_compiled, caught = train_both(KeepsFloat)
    assert_same(eager, compiled, h_eager, h_compiled)
    assert compiled._compiled_steps.replays == 0 and len(caught) == 1
    assert "__float__" in str(caught[0].message)


def _update(model, loss, optimizer, variables):
    """lamina's form of a tape: backward fills .grad (and adds to a .grad left before)."""
    for v in variables:
        v.grad = None
    loss.backward()
    optimizer.apply([v.grad for v in variables], variables)


def _gan(latent, tape=True):
    """A GAN step as in Keras's guide: two models, two optimizers, two tapes (or two
    ``loss.backward()`` with ``tape=False``); ``latent`` makes the generator's input."""

    class GAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.discriminator = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, "relu"),
                                                   keras.layers.Dense(1)])
            self.generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.seed_generator = keras.random.SeedGenerator(3)

        def compile(self, d_optimizer, g_optimizer, jit_compile):
            super().compile(jit_compile=jit_compile)
            self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, real):
            return self.tape_step(real) if tape else self.backward_step(real)

        def backward_step(self, real):
            # the test in tests/models/test_custom_training.py: the second backward pass
            # adds to the discriminator's .grad that the first one left
            n = real.shape[0]
            fake = self.generator(latent(self, real))
            both = ops.concatenate([fake.detach(), real], axis=0)
            labels = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype("float32")
            d_loss = self.loss_fn(labels, self.discriminator(both))
            _update(self, d_loss, self.d_optimizer, self.discriminator.trainable_weights)
            g_loss = self.loss_fn(np.zeros((n, 1), "float32"), self.discriminator(fake))
            _update(self, g_loss, self.g_optimizer, self.generator.trainable_weights)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

        def tape_step(self, real):
            n = real.shape[0]
            fake = self.generator(latent(self, real))
            combined = ops.concatenate([fake, real], axis=0)
            labels = ops.concatenate([ops.ones((n, 1)), ops.zeros((n, 1))], axis=0)
            with lamina.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            with lamina.GradientTape() as tape:
                predictions = self.discriminator(self.generator(latent(self, real)))
                g_loss = self.loss_fn(ops.zeros((n, 1)), predictions)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(),
                    "g_loss": self.g_loss_tracker.result()}

    def compile(gan, jit_compile):
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.SGD(0.05), jit_compile)

    x, _ = _data(24)
    eager, compiled, h_eager, h_compiled, caught = train_both(lambda: GAN(), compile=compile,
                                                              data=(x, None))
    assert_same(eager, compiled, h_eager, h_compiled)
    for opt in ("d_optimizer", "g_optimizer"):
        for a, b in zip(getattr(eager, opt).get_state(), getattr(compiled, opt).get_state()):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    return compiled, caught


def test_gan_step_with_two_optimizers_replays():
    # the latent vectors come from the batch: the whole step is recorded ops
    compiled, caught = _gan(lambda model, real: ops.convert_to_tensor(real)[:, :3] * 0.5)
    assert not caught and compiled._compiled_steps.replays == 7   # 9 steps, 2 traces


def test_gan_step_with_backward_passes_adding_to_grad_replays():
    compiled, caught = _gan(lambda model, real: ops.convert_to_tensor(real)[:, :3] * 0.5,
                            tape=False)
    assert not caught and compiled._compiled_steps.replays == 7
    # the discriminator's .grad holds both passes' gradients, as eagerly
    disc = compiled.discriminator.trainable_weights[0]
    assert disc.grad is not None and disc.grad.shape == disc.shape


def test_gan_step_drawing_its_latent_vectors_replays():
    # keras.random.normal with a SeedGenerator draws inside an op, which a replay runs
    # again: fresh latent vectors at every step, the generator's state moved on as eagerly
    compiled, caught = _gan(lambda model, real: keras.random.normal(
        (real.shape[0], 3), seed=model.seed_generator))
    assert not caught and compiled._compiled_steps.replays == 7
    assert int(compiled.seed_generator.state.numpy()[1]) == 2 * 9   # two draws per step


@pytest.mark.parametrize("cls, flat", [(GuideStep, True), (OwnTrackers, True),
                                       (BackwardStep, True), (Keras2Step, True),
                                       (ClippedGrads, False)],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_usual_update_runs_on_the_flat_buffers(cls, flat):
    # gradients of the weights handed unchanged to optimizer.apply: one flat update
    eager, compiled, h_eager, h_compiled, _ = train_both(cls, epochs=2)
    assert_same(eager, compiled, h_eager, h_compiled)
    plans = [e.plan for e in compiled._compiled_steps.custom.entries.values() if e.plan]
    assert plans and all((plan.fused is not None) is flat for plan in plans)
    if flat:
        params = next(plan.flat for plan in plans if plan.flat)[0]   # a replayed plan
        assert all(np.shares_memory(v.data, params.weights) for v in compiled.trainable_weights)


class FreezeAndSlowDown(keras.callbacks.Callback):
    """After the first epoch: the first Dense is frozen and the learning rate halved."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.layers[1].trainable = False
            self.model.optimizer.learning_rate = self.model.optimizer.learning_rate * 0.5


def test_frozen_layer_and_new_learning_rate_take_effect_in_the_next_step():
    eager, compiled, h_eager, h_compiled, caught = train_both(
        GuideStep, callbacks=[FreezeAndSlowDown()])
    assert_same(eager, compiled, h_eager, h_compiled)
    assert not caught and compiled._compiled_steps.replays > 0
    frozen = compiled.layers[1].kernel.numpy()
    assert len(compiled.trainable_weights) == 2
    compiled.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(compiled.layers[1].kernel.numpy(), frozen)


class ScaleAndWave(keras.layers.Layer):
    """A user's own layer: a weight made in build, ops in call."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale + ops.sin(x)


class GuideSequential(keras.Sequential):
    train_step = GuideStep.train_step


CUSTOM_LAYER_CASES = {
    # regularization losses and an activity regularizer: ops of equal generation, whose
    # backward order may differ between the two traces
    "dense_l2": ((5,), lambda: [keras.layers.Dense(6, activation="tanh",
                                                   kernel_regularizer=keras.regularizers.l2(0.01),
                                                   activity_regularizer="l1")]),
    "conv2d_pool": ((6, 6, 2), lambda: [keras.layers.Conv2D(3, 3, activation="relu"),
                                        keras.layers.MaxPooling2D()]),
    "bidirectional_lstm": ((4, 3), lambda: [
        keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
        keras.layers.TimeDistributed(keras.layers.Dense(2))]),
    "custom_layer": ((5,), lambda: [ScaleAndWave(), keras.layers.Dense(4)]),
    "gru": ((4, 3), lambda: [keras.layers.GRU(3, return_sequences=True)]),
}


@pytest.mark.parametrize("case", sorted(CUSTOM_LAYER_CASES))
def test_layers_in_a_user_step(case):
    shape, body = CUSTOM_LAYER_CASES[case]
    rng = np.random.default_rng(1)
    data = rng.standard_normal((26,) + shape).astype("float32"), rng.integers(0, 3, 26)

    def build():
        return GuideSequential([keras.Input(shape), *body(), keras.layers.Flatten(),
                                keras.layers.Dense(3, activation="softmax")])
    # jit_compile=True: a fallback fails the test with its reason
    eager, compiled, h_eager, h_compiled, _ = train_both(build, jit=True, data=data)
    assert_same(eager, compiled, h_eager, h_compiled)
    assert compiled._compiled_steps.replays == 8


@pytest.mark.parametrize("base", [ComputeMetrics, keras.Model],
                         ids=["compute_metrics", "built_in_train_step"])
def test_logs_added_to_the_dict_the_step_got(base):
    # the dict from compute_metrics (or from the built-in train_step, whose update then
    # replays too), with a key added by the user's step
    class AddsToLogs(base):
        def train_step(self, data):
            logs = super().train_step(data)
            logs["batch_size"] = 8.0
            return logs

    eager, compiled, h_eager, h_compiled, caught = train_both(AddsToLogs)
    assert_same(eager, compiled, h_eager, h_compiled)
    assert "batch_size" in h_compiled and not caught
    assert compiled._compiled_steps.replays == 8


def test_batch_normalization_in_a_user_step():
    # its moving statistics are written during the forward pass: replayed among the ops
    # where the built-in step replays them, else the step runs eagerly; same results
    class BatchNormStep(GuideStep):
        pass

    def build():
        inputs = keras.Input((5,))
        h = keras.layers.BatchNormalization()(keras.layers.Dense(8)(inputs))
        return BatchNormStep(inputs, keras.layers.Dense(3, activation="softmax")(h))

    eager, compiled, h_eager, h_compiled, _ = train_both(build)
    assert_same(eager, compiled, h_eager, h_compiled)   # the moving statistics too


def test_a_step_around_the_built_in_one_skips_a_nan_update_as_eagerly():
    class Wrapped(keras.Model):
        def train_step(self, data):
            return super().train_step(data)

    x, y = _data()
    x[19] = np.nan   # in the third batch, which is replayed
    eager, compiled, h_eager, h_compiled, _ = train_both(Wrapped, data=(x, y), epochs=2)
    assert_same(eager, compiled, h_eager, h_compiled)   # NaN logs compare equal
    assert all(np.isfinite(w).all() for w in compiled.get_weights())
    assert compiled._compiled_steps.replays == 4
