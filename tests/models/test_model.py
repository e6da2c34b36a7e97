"""Model: argument checks of fit/evaluate/predict, input conformance, the non-finite guard."""
import numpy as np
import pytest

from lamina import keras


def _model(compiled=True):
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3)])
    if compiled:
        model.compile("sgd", "mse")
    return model


X = np.ones((10, 4), "float32")
Y = np.zeros((10, 3), "float32")


@pytest.mark.parametrize("call, name, value", [
    (lambda m: m.fit(X, Y, batch_size=-5, verbose=0), "batch_size", -5),
    (lambda m: m.fit(X, Y, batch_size=0, verbose=0), "batch_size", 0),
    (lambda m: m.fit(X, Y, batch_size=2.5, verbose=0), "batch_size", 2.5),
    (lambda m: m.fit(X, Y, steps_per_epoch=0, verbose=0), "steps_per_epoch", 0),
    (lambda m: m.fit(X, Y, validation_data=(X, Y), validation_freq=0, verbose=0),
     "validation_freq", 0),
    (lambda m: m.fit(X, Y, validation_data=(X, Y), validation_steps=-1, verbose=0),
     "validation_steps", -1),
    (lambda m: m.evaluate(X, Y, batch_size=0, verbose=0), "batch_size", 0),
    (lambda m: m.evaluate(X, Y, steps=-2, verbose=0), "steps", -2),
    (lambda m: m.predict(X, batch_size=-1, verbose=0), "batch_size", -1),
    (lambda m: m.predict(X, steps=0, verbose=0), "steps", 0),
])
def test_counts_must_be_positive_integers(call, name, value):
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"Argument `{name}` should be a positive integer\. "
                                         rf"Received: {name}={value}"):
        call(model)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_validation_freq_of_a_wrong_type_and_as_a_list():
    model = _model()
    with pytest.raises(ValueError, match="Expected `validation_freq` to be a list or int"):
        model.fit(X, Y, validation_data=(X, Y), validation_freq="2", verbose=0)
    history = model.fit(X, Y, epochs=4, validation_data=(X, Y), validation_freq=[2, 4], verbose=0)
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2


@pytest.mark.parametrize("functional", [False, True])
def test_an_extra_input_axis_is_an_error(functional):
    if functional:
        inputs = keras.Input((4,), name="features")
        model = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    else:
        model = _model(compiled=False)
    with pytest.raises(ValueError, match=r"Expected shape \(None, 4\), but input has "
                                         r"incompatible shape \(10, 1, 4\)"):
        model.predict(X[:, None, :], verbose=0)
    # a trailing axis of 1 is dropped or added, as in Keras
    expected = model.predict(X, verbose=0)
    np.testing.assert_allclose(model.predict(X[..., None], verbose=0), expected)


def test_integer_inputs_are_cast_to_the_input_dtype():
    model = _model()
    out = model.predict(np.ones((2, 4), "int64"), verbose=0)
    assert out.dtype == np.float32
    inputs = keras.Input((4,))
    functional = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    assert functional.predict(np.ones((2, 4), "int32"), verbose=0).dtype == np.float32
    assert np.asarray(functional(np.ones((2, 4), "uint8"))).dtype == np.float32


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "compiled"])
def test_nan_gradients_under_a_finite_loss_skip_the_update(jit):
    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3)])
    dense = model.layers[0]
    before = model.get_weights()

    def loss(y_true, y_pred):
        from lamina import ops
        return ops.mean(ops.square(y_pred - y_true)) + 0.0 * ops.sum(ops.sqrt(dense.kernel * 0))

    model.compile("sgd", loss, jit_compile=jit)
    for _ in range(3):   # compiled: traced twice, then replayed
        with np.errstate(invalid="ignore", divide="ignore"), pytest.warns(
                RuntimeWarning, match="gradient of 'dense.*/kernel'.*NaN or inf"):
            logs = model.train_on_batch(X, Y, return_dict=True)
        assert np.isfinite(logs["loss"])
    if jit:
        assert model._compiled_steps.replays == 1
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert np.isfinite(b).all()
