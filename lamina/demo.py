"""The course's MNIST classifier, end to end: ``python -m lamina demo``."""
import time

from lamina import keras


def mnist_model():
    """The course's beginner MNIST classifier, compiled (adam, sparse categorical
    cross-entropy, accuracy): Flatten, Dense(128, relu), Dropout(0.2), Dense(10, softmax)."""
    model = keras.models.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def mnist_demo(epochs=5, verbose=1):
    """Trains the beginner MNIST model and prints its summary, progress and test accuracy.

    Args:
        epochs: training epochs (the course uses 5).
        verbose: fit's verbosity.

    Returns:
        the test accuracy.
    """
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = mnist_model()
    model.summary()
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
    print(f"Trained {epochs} epochs in {seconds:.1f} s ({seconds / epochs:.2f} s per epoch).")
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy
