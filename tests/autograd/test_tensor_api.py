"""What users expect of a Tensor and a Variable (Keras 3 / TensorFlow behaviour)."""
import numpy as np
import pytest

import lamina
from lamina import optimizers
from lamina.autograd import Tensor, Variable, gradcheck

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def test_scalar_conversions_and_format():
    t = Tensor(3.14159)
    assert format(t, ".2f") == "3.14" and f"{t:.4f}" == "3.1416"
    assert float(t) == pytest.approx(3.14159) and int(Tensor(7)) == 7
    assert bool(Tensor(1.0)) and not bool(Tensor(0.0))
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))
    assert range(10)[Tensor(3)] == 3  # integer scalars index Python sequences


def test_numpy_len_iteration_and_shape():
    t = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert isinstance(t.numpy(), np.ndarray) and np.asarray(t).shape == (3, 2)
    assert np.asarray(t, dtype="float64").dtype == np.float64
    assert t.shape == (3, 2) and isinstance(t.shape, tuple) and len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and isinstance(rows[0], Tensor)
    np.testing.assert_array_equal(rows[2].numpy(), [5.0, 6.0])
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(Tensor(1.0))


def test_repr_and_str_are_readable():
    t = Tensor([1.0, 2.0])
    assert repr(t) == "<Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.])>"
    assert str(t) == "Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert str(Tensor(2.5)) == "Tensor(2.5, shape=(), dtype=float32)"


INDEXES = {
    "int": 1,
    "slice_step": (slice(None), slice(1, None, 2)),
    "none_and_ellipsis": (None, Ellipsis, 2),
    "bool_mask": np.array([[True, False, True, False]] * 3),
    "int_array_repeat": np.array([2, 0, 2]),
    "int_arrays_pair": (np.array([0, 2]), np.array([3, 1])),
    "bool_rows": np.array([True, False, True]),
}


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_indexing_is_differentiable(name):
    index = INDEXES[name]
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert gradcheck(lambda a: a[index], x)
    np.testing.assert_array_equal(Tensor(x, dtype="float64")[index].numpy(), x[index])
    xt = torch.tensor(x, requires_grad=True)
    gy = np.random.default_rng(1).standard_normal(x[index].shape)
    (xt[index] * torch.tensor(gy)).sum().backward()
    a = Tensor(x, dtype="float64", requires_grad=True)
    a[index].backward(gy)
    np.testing.assert_allclose(a.grad.numpy(), xt.grad.numpy())


def test_index_with_a_boolean_tensor():
    t = Tensor([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(t[t > 0].numpy(), [1.0, 3.0])


def test_keras_variable_signature_and_api():
    v = lamina.Variable(initializer="ones", shape=(2, 3), dtype="float32", trainable=False,
                        name="v")
    assert v.shape == (2, 3) and v.dtype == "float32" and not v.trainable and v.name == "v"
    np.testing.assert_array_equal(v.value.numpy(), np.ones((2, 3)))
    assert v.assign(np.full((2, 3), 2.0)) is v
    v.assign_add(np.ones((2, 3)))
    v.assign_sub(0.5)
    np.testing.assert_array_equal(v.numpy(), np.full((2, 3), 2.5))
    np.testing.assert_array_equal((v * 2 + 1).numpy(), np.full((2, 3), 6.0))
    np.testing.assert_array_equal(v[0, 1:].numpy(), [2.5, 2.5])
    w = lamina.Variable(lamina.initializers.Constant(3.0), shape=(2,))
    np.testing.assert_array_equal(w.numpy(), [3.0, 3.0])
    s = lamina.Variable(1.5)
    assert s.dtype == np.float32 and f"{s:.1f}" == "1.5" and s.name == "variable"
    assert repr(s) == "<Variable path=variable, shape=(), dtype=float32, value=1.5>"
    t = lamina.Variable(initial_value=[1, 2], trainable=False)  # TensorFlow's keyword
    assert t.dtype == np.int64 and t.numpy().tolist() == [1, 2]


def test_variable_bad_input():
    with pytest.raises(ValueError, match="shape"):
        lamina.Variable(initializer="zeros")
    with pytest.raises(ValueError, match=r"shape \(3,\) to variable 'v' of shape \(2,\)"):
        lamina.Variable([1.0, 2.0], name="v").assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"has shape \(2,\), but `shape` is \(3,\)"):
        lamina.Variable([1.0, 2.0], shape=(3,))


def test_layer_weights_are_keras_variables():
    layer = lamina.layers.Dense(2)
    layer.build((None, 3))
    assert isinstance(layer.kernel, lamina.Variable)
    layer.kernel.assign(np.zeros((3, 2)))
    np.testing.assert_array_equal(layer(np.ones((1, 3))).numpy(), [[0.0, 0.0]])


def test_learning_rate_reads_as_a_variable():
    opt = optimizers.Adam(learning_rate=0.01)
    lr = opt.learning_rate
    assert isinstance(lr, Variable) and float(lr) == 0.01 and lr.numpy() == 0.01
    assert f"{lr:.3f}" == "0.010"
    lr.assign(0.5)
    assert float(opt.learning_rate) == 0.5
    w = Tensor(np.array([1.0]), dtype="float64")
    sgd = optimizers.SGD(0.1)
    sgd.learning_rate.assign(0.25)
    sgd.apply([np.array([1.0])], [w])
    np.testing.assert_allclose(w.numpy(), [0.75])  # the assigned rate is the one used
    sgd.learning_rate = 0.5
    assert float(sgd.learning_rate) == 0.5


def test_learning_rate_with_a_schedule_reads_the_current_value():
    schedule = lamina.optimizers.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(schedule)
    w = Tensor(np.array([1.0]), dtype="float64")
    assert float(opt.learning_rate) == 1.0
    opt.apply([np.array([1.0])], [w])
    assert float(opt.learning_rate) == 0.5 and opt.learning_rate.numpy() == 0.5
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1


def test_backend_get_value_and_set_value_on_the_learning_rate():
    from lamina import keras
    opt = keras.optimizers.Adam(learning_rate=0.01)
    assert keras.backend.get_value(opt.learning_rate) == np.float64(0.01)
    keras.backend.set_value(opt.learning_rate, 0.002)
    assert float(opt.learning_rate) == 0.002 and opt.get_config()["learning_rate"] == 0.002
    with pytest.raises(TypeError, match="got float"):
        keras.backend.set_value(0.1, 0.2)
    assert isinstance(keras.Variable(1.0), Variable)
