"""keras.random: distributions, seeds, SeedGenerator and set_random_seed."""
import numpy as np
import pytest

from lamina import Tensor, keras
from lamina.autograd import Variable
from lamina.keras import random


def test_normal_uniform_truncated_statistics():
    keras.utils.set_random_seed(0)
    x = random.normal((20000,), mean=2.0, stddev=3.0).numpy()
    assert x.dtype == np.float32 and abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1
    u = random.uniform((20000,), minval=-1.0, maxval=3.0).numpy()
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = random.truncated_normal((20000,), stddev=1.0).numpy()
    assert np.abs(t).max() <= 2.0 and 0.8 < t.std() < 0.9  # std of N(0,1) cut at 2: 0.88
    r = random.randint((1000,), 3, 7).numpy()
    assert r.dtype == np.int32 and set(np.unique(r)) == {3, 4, 5, 6}
    assert random.normal((2, 3), dtype="float64").dtype == np.float64


def test_set_random_seed_makes_runs_repeat():
    keras.utils.set_random_seed(42)
    a = [random.normal((3,)).numpy(), random.uniform((2,)).numpy(),
         random.SeedGenerator().next().random()]
    keras.utils.set_random_seed(42)
    b = [random.normal((3,)).numpy(), random.uniform((2,)).numpy(),
         random.SeedGenerator().next().random()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], random.normal((3,)).numpy())


def test_int_seed_repeats_and_seed_generator_advances():
    np.testing.assert_array_equal(random.normal((4,), seed=7).numpy(),
                                  random.normal((4,), seed=7).numpy())
    gen = random.SeedGenerator(1337)
    first, second = random.normal((4,), seed=gen).numpy(), random.normal((4,), seed=gen).numpy()
    assert not np.array_equal(first, second)
    again = random.SeedGenerator(1337)
    np.testing.assert_array_equal(random.normal((4,), seed=again).numpy(), first)
    assert isinstance(gen.state, Variable) and gen.state.numpy().tolist() == [1337, 2]


def test_dropout_shuffle_categorical():
    x = np.ones((1000,), dtype="float32")
    y = random.dropout(x, 0.25, seed=3).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)} and abs((y == 0).mean() - 0.25) < 0.05
    s = random.shuffle(np.arange(10), seed=1).numpy()
    assert sorted(s) == list(range(10)) and s.tolist() != list(range(10))
    m = random.shuffle(np.arange(6).reshape(2, 3), axis=1, seed=1).numpy()
    assert sorted(m[0]) == [0, 1, 2] and (m[1] - m[0] == 3).all()
    logits = np.log(np.array([[0.1, 0.9], [0.98, 0.02]]))
    c = random.categorical(logits, 2000, seed=0).numpy()
    assert c.shape == (2, 2000) and c.dtype == np.int32
    assert abs(c[0].mean() - 0.9) < 0.03 and abs(c[1].mean() - 0.02) < 0.02


def test_gamma_beta_binomial_means():
    assert abs(random.gamma((20000,), alpha=3.0, seed=0).numpy().mean() - 3.0) < 0.1
    assert abs(random.beta((20000,), 2.0, 6.0, seed=0).numpy().mean() - 0.25) < 0.01
    assert abs(random.binomial((20000,), 10, 0.3, seed=0).numpy().mean() - 3.0) < 0.1


def test_gradients_flow_through_mean_and_stddev():
    mean = Tensor(np.zeros(3), requires_grad=True)
    log_var = Tensor(np.zeros(3), requires_grad=True)
    eps = random.normal((3,), seed=5)
    z = random.normal((3,), mean=mean, stddev=keras.ops.exp(log_var * 0.5), seed=5)
    z.backward(np.ones(3))
    np.testing.assert_allclose(mean.grad.numpy(), np.ones(3))
    np.testing.assert_allclose(log_var.grad.numpy(), 0.5 * eps.numpy(), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="randint"):
        random.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer dtype"):
        random.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="seed"):
        random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match=r"Argument `seed` must be an integer"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="dropout rate"):
        random.dropout(np.ones(3), 1.0)
