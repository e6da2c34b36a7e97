"""Discretization: Keras's docstring examples, its quantile adapt, output modes, config."""
import numpy as np
import pytest

from lamina import keras

L = keras.layers
X = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])


def test_keras_examples():
    layer = L.Discretization(bin_boundaries=[0., 1., 2.])
    np.testing.assert_array_equal(layer(X).numpy(), [[0, 2, 3, 1], [1, 3, 2, 1]])
    adapted = L.Discretization(num_bins=4, epsilon=0.01)
    adapted.adapt(X)
    np.testing.assert_array_equal(adapted(X).numpy(), [[0, 2, 3, 2], [1, 3, 3, 1]])
    assert len(adapted.bin_boundaries) == 3


def test_adapt_on_batches_finds_quantiles():
    data = np.random.default_rng(0).uniform(0, 100, 10000)
    layer = L.Discretization(num_bins=4)
    layer.adapt([data[:5000], data[5000:]])  # a list of batches
    np.testing.assert_allclose(layer.bin_boundaries, np.percentile(data, [25, 50, 75]), atol=2)
    counts = np.bincount(layer(data).numpy(), minlength=4)
    assert counts.min() > 2300


def test_output_modes_and_config():
    layer = L.Discretization(bin_boundaries=[0., 1.], output_mode="count")
    np.testing.assert_array_equal(layer(np.array([[-1., 0.5, 0.7]])).numpy(), [[1, 2, 0]])
    one_hot = L.Discretization(bin_boundaries=[0.], output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([-1., 1.])).numpy(), [[1, 0], [0, 1]])
    adapted = L.Discretization(num_bins=3)
    adapted.adapt(np.arange(30.))
    clone = L.Discretization.from_config(adapted.get_config())
    assert clone.bin_boundaries == adapted.bin_boundaries and clone.num_bins == 3


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries` should not be "
                                         "set"):
        L.Discretization(bin_boundaries=[1.], num_bins=2)
    with pytest.raises(ValueError, match="You need to set either `num_bins` or `bin_boundaries`"):
        L.Discretization()
    with pytest.raises(ValueError, match="Cannot adapt a Discretization layer that has been "
                                         "initialized with `bin_boundaries`"):
        L.Discretization(bin_boundaries=[1.]).adapt(X)
    with pytest.raises(ValueError, match="adapt\\(dataset\\)"):
        L.Discretization(num_bins=2)(X)
    with pytest.raises(TypeError, match="expects numbers, but received <U1"):
        L.Discretization(bin_boundaries=[1.])(np.array(["a"]))
