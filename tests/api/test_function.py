"""lamina.function: tf.function's decorator forms, run eagerly."""
import numpy as np
import pytest

import lamina


def test_decorator_forms_and_options():
    @lamina.function
    def double(x):
        return x * 2

    @lamina.function(jit_compile=True, reduce_retracing=True, input_signature=[None])
    def triple(x):
        return x * 3

    assert double(2) == 4 and triple(2) == 6
    assert double.__name__ == "double" and double.python_function(5) == 10
    assert triple.jit_compile is True and triple.reduce_retracing is True
    assert triple.experimental_get_tracing_count() == 0


def test_on_a_method_and_with_gradients():
    class Model:
        scale = lamina.Variable(3.0)

        @lamina.function
        def step(self, x):
            with lamina.GradientTape() as tape:
                y = self.scale * x
            return y, tape.gradient(y, self.scale)

    y, g = Model().step(lamina.Tensor(2.0))
    assert float(y) == 6.0 and float(g) == 2.0


def test_not_callable():
    with pytest.raises(TypeError, match="expects a callable, got int"):
        lamina.function(3)


def test_same_result_as_the_plain_function():
    x = np.arange(6.0).reshape(2, 3)
    fn = lamina.function(lambda a: lamina.keras.ops.sum(a * a, axis=1))
    np.testing.assert_array_equal(fn(x).numpy(), (x * x).sum(1))
