"""The strict test backend: arrays that follow CuPy's rules on the CPU."""
import numpy as np
import pytest

from lamina import backend
from lamina import strict_backend as strict


@pytest.fixture
def on_strict():
    old = backend.backend()
    backend.set_backend("strict")
    yield strict
    backend.set_backend(old)


def test_implicit_conversion_to_numpy_is_refused_as_in_cupy():
    a = strict.asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.array(a, dtype=np.float32)
    np.testing.assert_array_equal(a.get(), np.arange(6.0).reshape(2, 3))
    assert type(a.get()) is np.ndarray and a.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_mixing_with_numpy_arrays_is_refused_in_operators_ufuncs_and_functions():
    a, host = strict.ones(3), np.ones(3)
    for mix in (lambda: a + host, lambda: host * a, lambda: np.add(a, host),
                lambda: np.concatenate([a, host]), lambda: strict.maximum(a, host),
                lambda: a.__setitem__(slice(None), host), lambda: np.exp(host, out=a)):
        with pytest.raises(TypeError, match="numpy.ndarray"):
            mix()


def test_scalars_and_numpy_indices_are_allowed_and_results_stay_strict():
    a = strict.arange(5.0)
    b = a * np.float32(2) + 1
    assert type(b) is strict.ndarray and type(np.exp(b)) is strict.ndarray
    s = b.sum()
    assert type(s) is strict.ndarray and s.ndim == 0 and float(s) == 25.0   # 0-d, as CuPy
    assert type(a[np.array([0, 2])]) is strict.ndarray
    assert type(a[1]) is strict.ndarray and int(a[1]) == 1
    c = strict.zeros(4)
    strict.scatter_add(c, np.array([1, 1, 3]), strict.ones(3))
    np.testing.assert_array_equal(c.get(), [0, 2, 0, 1])


def test_the_backend_functions_know_strict_arrays(on_strict):
    assert backend.xp() is strict
    a = backend.to_device(np.ones((2, 2)))
    assert backend.is_array(a) and type(a) is strict.ndarray
    assert backend.get_array_module(a) is strict and backend.get_array_module(np.ones(1)) is np
    assert type(backend.to_numpy(a)) is np.ndarray
    r = backend.rng().random((3,), dtype=np.float32)
    assert type(r) is strict.ndarray and r.dtype == np.float32
    assert type(backend.erf(a)) is strict.ndarray


def test_a_model_trains_on_strict_arrays(on_strict):
    import lamina
    model = lamina.Sequential([lamina.layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), verbose=0)
    assert type(model.weights[0].data) is strict.ndarray
    assert type(model.predict(np.ones((1, 3)), verbose=0)) is np.ndarray


def test_the_generator_has_only_cupys_methods(on_strict):
    rng = backend.rng()
    with pytest.raises(AttributeError, match="no attribute 'permutation'"):
        rng.permutation(3)
    order = backend.to_numpy(backend.permutation(rng, 5))
    assert sorted(order.tolist()) == [0, 1, 2, 3, 4]
