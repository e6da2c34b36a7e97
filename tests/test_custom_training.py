"""Programs written for TensorFlow/Keras, run with only the imports changed, values checked:
a GradientTape training loop on MNIST against fit, a custom layer, a VAE, hand-updated
metrics printed with f-strings, and a learning-rate finder callback."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras import layers, ops


def mnist_subset(n_train=6000, n_test=1000):
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:n_train].reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test[:n_test].reshape(-1, 784).astype("float32") / 255.0
    return (x_train, y_train[:n_train]), (x_test, y_test[:n_test])


def mnist_model():
    return keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu"),
                             layers.Dense(10)])


def test_gradient_tape_loop_with_tf_function_matches_fit_on_mnist():
    (x_train, y_train), (x_test, y_test) = mnist_subset()
    keras.utils.set_random_seed(0)
    reference = mnist_model()
    initial = reference.get_weights()
    reference.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    reference.fit(x_train, y_train, batch_size=64, epochs=3, shuffle=False, verbose=0)
    _, fit_accuracy = reference.evaluate(x_test, y_test, verbose=0)

    # the custom loop of the TensorFlow guide, imports changed only
    model = mnist_model()
    model.set_weights(initial)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(64)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc.update_state(y, logits)
        return loss_value

    losses = []
    for epoch in range(3):
        for x_batch, y_batch in dataset:
            losses.append(float(train_step(x_batch, y_batch)))
        train_acc.reset_state()
    logits = model(x_test)
    accuracy = float(ops.mean(ops.cast(ops.argmax(logits, axis=1) == y_test, "float32")))
    assert losses[-1] < losses[0] / 3
    assert accuracy > 0.85 and abs(accuracy - fit_accuracy) < 0.01
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-4)  # the same steps as fit


class Linear(keras.layers.Layer):
    """The custom layer of the Keras guide, written with tf.matmul and add_weight."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


def test_custom_layer_with_matmul_and_add_weight():
    keras.utils.set_random_seed(1)
    layer = Linear(4)
    x = tf.ones((2, 3))
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), np.ones((2, 3)) @ layer.w.numpy() + layer.b.numpy(),
                               rtol=1e-6)
    assert [w.shape for w in layer.trainable_weights] == [(3, 4), (4,)]
    model = keras.Sequential([keras.Input((3,)), Linear(8), layers.Activation("relu"),
                              Linear(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 10


class Sampling(layers.Layer):
    """z = mean + exp(log_var / 2) * eps, with eps from keras.random.normal; adds the KL term."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=self.seed_generator)
        kl = -0.5 * ops.mean(ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var),
                                     axis=1))
        self.add_loss(kl / 784)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def test_vae_with_random_normal_and_exp_trains_with_fit():
    keras.utils.set_random_seed(2)
    (x_train, _), _ = mnist_subset(n_train=2000)
    inputs = keras.Input((784,))
    h = layers.Dense(64, activation="relu")(inputs)
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
    z = Sampling()([z_mean, z_log_var])
    outputs = layers.Dense(784, activation="sigmoid")(layers.Dense(64, activation="relu")(z))
    vae = keras.Model(inputs, outputs)
    vae.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy")
    history = vae.fit(x_train, x_train, epochs=10, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    # the loss fit minimises holds the KL term the sampling layer added
    batch = x_train[:64]
    mean, log_var = keras.Model(inputs, [z_mean, z_log_var]).predict(batch, verbose=0)
    kl = -0.5 * np.mean(np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=1)) / 784
    vae(batch)
    assert len(vae.losses) == 1 and float(vae.losses[0]) == pytest.approx(kl, rel=1e-4)
    assert kl > 0
    # reconstruction beats predicting the mean image
    recon = vae.predict(x_train[:500], verbose=0)
    baseline = np.mean((x_train[:500] - x_train.mean(0)) ** 2)
    assert np.mean((x_train[:500] - recon) ** 2) < baseline


def test_metrics_updated_by_hand_and_printed_with_f_strings():
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    mean_loss = keras.metrics.Mean()
    accuracy.update_state([1, 0, 2], [[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.5, 0.4, 0.1]])
    mean_loss.update_state(0.25)
    mean_loss.update_state(tf.constant(0.75))
    line = f"acc {accuracy.result():.2f} loss {mean_loss.result():.3f}"
    assert line == "acc 0.67 loss 0.500"
    assert f"{float(accuracy.result()):.4f}" == "0.6667"
    assert str(accuracy.result()) == "Tensor(0.6666667, shape=(), dtype=float32)"
    accuracy.reset_state()
    assert f"{accuracy.result():.1f}" == "0.0"


class LRFinder(keras.callbacks.Callback):
    """The learning-rate finder of many notebooks: raise the rate each batch, record losses."""

    def __init__(self, start=1e-3, factor=2.0):
        super().__init__()
        self.start, self.factor = start, factor
        self.rates, self.losses = [], []

    def on_train_begin(self, logs=None):
        keras.backend.set_value(self.model.optimizer.learning_rate, self.start)

    def on_train_batch_end(self, batch, logs=None):
        lr = keras.backend.get_value(self.model.optimizer.learning_rate)
        self.rates.append(float(lr))
        self.losses.append(logs["loss"])
        self.model.optimizer.learning_rate.assign(lr * self.factor)


def test_learning_rate_finder_reads_and_sets_the_learning_rate():
    keras.utils.set_random_seed(3)
    x = np.random.default_rng(0).standard_normal((320, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    finder = LRFinder()
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[finder])
    np.testing.assert_allclose(finder.rates, 1e-3 * 2.0 ** np.arange(10), rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3 * 2.0 ** 10)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1.024)
    assert finder.losses[-1] < finder.losses[0]  # the epoch's running mean falls as rates grow
