"""``import lamina as tf``: TensorFlow-tutorial tensor code, values checked."""
import numpy as np
import pytest

import lamina as tf


def test_tutorial_tensors_broadcasting_and_reductions():
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.dtype == tf.float32
    assert tf.constant([1, 2]).dtype == tf.int32 and tf.constant(2.5).dtype == tf.float32
    np.testing.assert_array_equal((x + x).numpy(), [[2, 4, 6], [8, 10, 12]])
    np.testing.assert_array_equal((x * tf.constant([1.0, 0.0, -1.0])).numpy(),
                                  [[1, 0, -3], [4, 0, -6]])  # broadcasting
    np.testing.assert_array_equal((x @ tf.transpose(x)).numpy(), [[14, 32], [32, 77]])
    assert float(tf.reduce_sum(x)) == 21.0 and float(tf.reduce_mean(x)) == 3.5
    np.testing.assert_array_equal(tf.reduce_max(x, axis=1).numpy(), [3, 6])
    np.testing.assert_array_equal(tf.reduce_min(x, axis=0, keepdims=True).numpy(), [[1, 2, 3]])
    assert float(tf.reduce_prod(tf.constant([2.0, 3.0]))) == 6.0
    assert bool(tf.reduce_any(x > 5)) and not bool(tf.reduce_all(x > 1))
    assert float(tf.reduce_logsumexp(tf.constant([0.0, 0.0]))) == pytest.approx(np.log(2))
    np.testing.assert_array_equal(tf.argmax(x, axis=1).numpy(), [2, 2])
    assert tf.argmax(x, axis=1).dtype == tf.int64
    np.testing.assert_array_equal(tf.concat([x, x], axis=0).shape, (4, 3))
    np.testing.assert_array_equal(tf.stack([x, x]).shape, (2, 2, 3))


def test_tutorial_variables():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="v")
    v.assign([[5.0, 6.0], [7.0, 8.0]])
    v.assign_add(tf.ones((2, 2)))
    v[0, 0].numpy()
    np.testing.assert_array_equal(v.numpy(), [[6, 7], [8, 9]])
    t = tf.Variable(initial_value=tf.zeros([3]), trainable=False)
    assert not t.trainable and isinstance(t, tf.Variable)
    b = tf.Variable(3, dtype=tf.float32)
    assert b.dtype == tf.float32 and f"{b:.1f}" == "3.0"


def test_creation_and_shape_functions():
    np.testing.assert_array_equal(tf.range(5).numpy(), np.arange(5))
    np.testing.assert_array_equal(tf.range(1, 10, 3).numpy(), [1, 4, 7])
    assert tf.range(3).dtype == tf.int32 and tf.range(3, dtype=tf.float32).dtype == tf.float32
    np.testing.assert_array_equal(tf.fill([2, 2], 7).numpy(), [[7, 7], [7, 7]])
    np.testing.assert_array_equal(tf.eye(2, batch_shape=[3]).shape, (3, 2, 2))
    np.testing.assert_array_equal(tf.zeros_like(tf.ones([2])).numpy(), [0, 0])
    assert tf.zeros([2], dtype=tf.int32).dtype == tf.int32 and tf.ones([1]).dtype == tf.float32
    x = tf.reshape(tf.range(12), [3, -1])
    assert x.shape == (3, 4) and int(tf.shape(x)[1]) == 4 and int(tf.rank(x)) == 2
    assert int(tf.size(x)) == 12
    np.testing.assert_array_equal(tf.gather(x, [2, 0]).numpy(), [[8, 9, 10, 11], [0, 1, 2, 3]])
    np.testing.assert_array_equal(tf.gather(x, [1], axis=1).numpy(), [[1], [5], [9]])
    np.testing.assert_array_equal(tf.gather_nd(x, [[0, 1], [2, 3]]).numpy(), [1, 11])
    np.testing.assert_array_equal(tf.boolean_mask(tf.range(4), [True, False, True, False])
                                  .numpy(), [0, 2])
    np.testing.assert_array_equal(tf.where(tf.constant([True, False, True])).numpy(), [[0], [2]])
    np.testing.assert_array_equal(tf.one_hot([1, 0], 3, on_value=5.0, off_value=-1.0).numpy(),
                                  [[-1, 5, -1], [5, -1, -1]])
    np.testing.assert_array_equal(tf.tile([[1, 2]], [2, 1]).numpy(), [[1, 2], [1, 2]])
    parts = tf.split(tf.range(6), [1, 5])
    assert [p.shape for p in parts] == [(1,), (5,)]
    np.testing.assert_array_equal(tf.pad([[1]], [[1, 0], [0, 1]]).numpy(), [[0, 0], [1, 0]])
    np.testing.assert_array_equal(tf.reverse([[1, 2, 3]], [1]).numpy(), [[3, 2, 1]])
    np.testing.assert_array_equal(tf.sort([3, 1, 2], direction="DESCENDING").numpy(), [3, 2, 1])
    np.testing.assert_array_equal(tf.clip_by_value([-2.0, 0.5, 9.0], 0.0, 1.0).numpy(),
                                  [0, 0.5, 1])
    assert float(tf.norm(tf.constant([3.0, 4.0]))) == 5.0
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy(),
                               [0.6, 0.8])
    assert float(tf.add_n([tf.constant(1.0), tf.constant(2.0), tf.constant(3.0)])) == 6.0
    np.testing.assert_array_equal(tf.constant(0.0, shape=[2, 2]).numpy(), np.zeros((2, 2)))
    assert tf.newaxis is None and tf.constant([1, 2])[:, tf.newaxis].shape == (2, 1)


def test_math_and_linalg_namespaces():
    x = tf.constant([1.0, 4.0, 9.0])
    np.testing.assert_allclose(tf.math.sqrt(x).numpy(), [1, 2, 3])
    np.testing.assert_allclose(tf.math.squared_difference(x, 1.0).numpy(), [0, 9, 64])
    np.testing.assert_allclose(tf.math.l2_normalize(tf.constant([3.0, 4.0])).numpy(), [0.6, 0.8])
    np.testing.assert_array_equal(tf.math.confusion_matrix([0, 1, 1], [0, 0, 1]).numpy(),
                                  [[1, 0], [1, 1]])
    assert int(tf.math.count_nonzero(tf.constant([0, 3, 0, 2]))) == 2
    np.testing.assert_array_equal(tf.math.top_k(x, 2)[0].numpy(), [9, 4])
    np.testing.assert_allclose(tf.math.polyval([1.0, 0.0, 2.0], tf.constant(3.0)).numpy(), 11)
    np.testing.assert_allclose(tf.linalg.inv(tf.eye(2) * 2).numpy(), np.eye(2) / 2)
    np.testing.assert_allclose(tf.linalg.matmul(tf.eye(2), [[1.0, 2.0], [3.0, 4.0]],
                                                transpose_b=True).numpy(), [[1, 3], [2, 4]])


def test_nn_namespace():
    logits = tf.constant([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    labels = tf.constant([0, 1])
    expected = -np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True))
    np.testing.assert_allclose(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy(),
        expected[[0, 1], [0, 1]], rtol=1e-6)
    np.testing.assert_allclose(
        tf.nn.softmax_cross_entropy_with_logits(labels=tf.one_hot(labels, 3), logits=logits)
        .numpy(), expected[[0, 1], [0, 1]], rtol=1e-6)
    params = tf.Variable([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    np.testing.assert_array_equal(tf.nn.embedding_lookup(params, [2, 0]).numpy(),
                                  [[4, 5], [0, 1]])
    np.testing.assert_allclose(tf.nn.relu(tf.constant([-1.0, 2.0])).numpy(), [0, 2])
    assert float(tf.nn.l2_loss(tf.constant([3.0, 4.0]))) == 12.5
    images = tf.ones([1, 4, 4, 1])
    assert tf.nn.conv2d(images, tf.ones([3, 3, 1, 2]), 1, "SAME").shape == (1, 4, 4, 2)
    assert tf.nn.max_pool2d(images, 2, 2, "VALID").shape == (1, 2, 2, 1)
    np.testing.assert_allclose(tf.nn.bias_add(tf.zeros([2, 3]), [1.0, 2.0, 3.0]).numpy(),
                               [[1, 2, 3]] * 2)
    with pytest.raises(ValueError, match="needs both labels= and logits="):
        tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits)
    with pytest.raises(ValueError, match="'SAME' or 'VALID'"):
        tf.nn.conv2d(images, tf.ones([3, 3, 1, 2]), 1, "FULL")


def test_random_namespace_and_set_seed():
    tf.random.set_seed(3)
    a = tf.random.normal([3], mean=1.0, stddev=0.1)
    b = tf.random.uniform([2], minval=0, maxval=10, dtype=tf.int32)
    tf.random.set_seed(3)
    np.testing.assert_array_equal(a.numpy(), tf.random.normal([3], mean=1.0, stddev=0.1).numpy())
    np.testing.assert_array_equal(b.numpy(), tf.random.uniform([2], 0, 10, dtype=tf.int32)
                                  .numpy())
    assert b.dtype == tf.int32 and tf.random.uniform([2]).dtype == tf.float32
    assert sorted(tf.random.shuffle(tf.range(5)).numpy()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="needs maxval"):
        tf.random.uniform([2], dtype=tf.int32)


def test_dtypes_tensor_shape_device_and_config():
    assert tf.float32 == np.float32 and tf.int64.name == "int64"
    assert tf.as_dtype("float16") == tf.float16
    with pytest.raises(TypeError, match="Cannot convert 'nope' to a dtype"):
        tf.as_dtype("nope")
    s = tf.TensorShape([None, 28, 28])
    assert s.as_list() == [None, 28, 28] and s.rank == 3 and s[1] == 28
    assert s.num_elements() is None and tf.TensorShape([2, 3]).num_elements() == 6
    assert tf.TensorShape([2, 3]) == (2, 3)
    with tf.device("/GPU:0"):
        assert float(tf.reduce_sum(tf.ones([2]))) == 2.0
    assert tf.config.list_physical_devices("CPU")[0].device_type == "CPU"
    tf.config.experimental.set_memory_growth(None, True)
    with pytest.raises(TypeError, match="device name"):
        with tf.device(3):
            pass


def test_cast_errors_name_the_dtype():
    with pytest.raises(ValueError, match="Invalid dtype: 'float33'"):
        tf.cast(tf.constant([1.0]), "float33")
    np.testing.assert_array_equal(tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy(), [1, -1])


def test_missing_tensorflow_features_name_the_lamina_alternative():
    with pytest.raises(AttributeError, match="SavedModel; save with model.save"):
        tf.saved_model.save
    with pytest.raises(AttributeError, match=r"tf.train \(Checkpoint.*save_weights"):
        tf.train.Checkpoint
    with pytest.raises(AttributeError, match="XLA compilation"):
        tf.xla
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
        tf.no_such_thing
    assert tf.keras.layers.Dense and tf.data.Dataset
