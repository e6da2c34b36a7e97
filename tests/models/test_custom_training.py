"""Custom training as in Keras's guides: functional subclasses with their own train_step,
compile with extra arguments, fit without a compiled loss, models with nothing to train."""
import warnings

import numpy as np
import pytest

import lamina
from lamina import keras


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [0.0]]) + 0.3).astype("float32")


def apply_gradients(model, loss, optimizer=None, variables=None):
    """What a lamina train_step does where a TensorFlow one uses a GradientTape."""
    variables = model.trainable_weights if variables is None else variables
    for v in variables:
        v.grad = None
    loss.backward()
    (optimizer or model.optimizer).apply([v.grad for v in variables], variables)


def test_functional_subclass_with_train_step_uses_compiled_loss_and_metrics():
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            apply_gradients(self, loss)
            for metric in self.metrics:
                if metric.name != "loss":
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    lamina.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(1)(inputs)
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and isinstance(model, lamina.models.Functional)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "mae"]  # known at compile, as Keras lists them
    x, y = data()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert list(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    # a second model of the same class is functional too
    again = CustomModel(inputs, keras.layers.Dense(2)(inputs))
    assert again.predict(x, verbose=0).shape == (64, 2)


def test_functional_subclass_with_own_trackers_and_no_compiled_loss():
    batch_losses = []

    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            batch_losses.append(float(loss))
            apply_gradients(self, loss)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            self.loss_tracker.update_state(self.loss_fn(y, y_pred))
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    lamina.utils.set_random_seed(0)
    inputs = keras.Input(shape=(4,))
    model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.05))  # no loss: train_step has its own
    x, y = data()
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    # the trackers are reset at each epoch: each epoch's loss is the mean of its 4 batches
    assert history.history["loss"] == pytest.approx(
        [np.mean(batch_losses[:4]), np.mean(batch_losses[4:])], rel=1e-6)
    loss, mae = model.evaluate(x, y, verbose=0)
    pred = model.predict(x, verbose=0)
    assert loss == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
    assert mae == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-5)


def test_compile_with_extra_arguments_as_in_the_gan_guide():
    class GAN(keras.Model):
        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, real):
            n = real.shape[0]
            noise = lamina.Tensor(np.random.default_rng(n).standard_normal((n, 2)))
            fake = self.generator(noise)
            both = lamina.ops.concatenate([fake.detach(), real], axis=0)
            labels = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype("float32")
            d_loss = self.loss_fn(labels, self.discriminator(both))
            apply_gradients(self, d_loss, self.d_optimizer, self.discriminator.trainable_weights)
            g_loss = self.loss_fn(np.zeros((n, 1), "float32"), self.discriminator(fake))
            apply_gradients(self, g_loss, self.g_optimizer, self.generator.trainable_weights)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    lamina.utils.set_random_seed(0)
    gan = GAN(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")]),
              keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)]))
    d_opt, g_opt = keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3)
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt,
                loss_fn=keras.losses.BinaryCrossentropy())
    before = [w.numpy() for w in gan.weights]
    real = np.random.default_rng(1).standard_normal((32, 3)).astype("float32")
    history = gan.fit(real, epochs=2, batch_size=8, verbose=0)
    assert list(history.history) == ["d_loss", "g_loss"]
    assert all(np.isfinite(history.history["d_loss"]))
    assert all(not np.allclose(b, w.numpy()) for b, w in zip(before, gan.weights))
    assert int(d_opt.iterations) == 8 and int(g_opt.iterations) == 8


def test_fit_with_only_add_loss_and_no_compiled_loss():
    class ActivityPenalty(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            y = self.dense(x)
            self.add_loss((y * y).mean())
            return y

    lamina.utils.set_random_seed(0)
    model = ActivityPenalty()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x, y = data()
    history = model.fit(x, y, epochs=5, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    expected = float(np.mean(model.predict(x, verbose=0) ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_fit_with_no_loss_at_all_says_so_as_keras():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd")
    x, y = data()
    with pytest.raises(ValueError, match=r"No loss to compute\. Provide a `loss` argument in "
                                         r"`compile\(\)`\."):
        model.fit(x, y, verbose=0)


def test_model_without_trainable_weights_fits_and_changes_nothing():
    lamina.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1, trainable=False)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()
    x, y = data()
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        history = model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    for b, w in zip(before, model.get_weights()):
        np.testing.assert_array_equal(b, w)
    expected = float(np.mean((x @ before[0] + before[1] - y) ** 2))
    assert history.history["loss"] == pytest.approx([expected, expected], rel=1e-5)


def test_subclassed_model_refuses_one_positional_argument():
    class Net(keras.Model):
        pass

    with pytest.raises(TypeError, match="received 1 positional argument"):
        Net(keras.Input((3,)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Net(name="net").name == "net"


def test_keras2_compiled_loss_and_compiled_metrics_warn_and_update():
    # Keras 3 keeps these names of Keras 2 (TensorFlow backend) with a deprecation warning
    lamina.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = data(8)
    y_pred = model(x)
    with pytest.warns(UserWarning, match="compiled_loss"):
        loss = model.compiled_loss(y, y_pred, regularization_losses=model.losses)
    expected = float(np.mean((y - y_pred.numpy()) ** 2))
    np.testing.assert_allclose(float(loss), expected, rtol=1e-6)
    with pytest.warns(UserWarning, match="compiled_metrics"):
        model.compiled_metrics.update_state(y, y_pred)
    logs = model.get_metrics_result()
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(y - y_pred.numpy())), rtol=1e-6)
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-6)   # tracked by compute_loss
