"""lamina.data.Dataset: creation, every transformation, iteration and sizes."""
import threading

import numpy as np
import pytest

import lamina
from lamina.autograd import Tensor
from lamina.data import (AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset,
                         TensorSpec)


def values(dataset):
    return [v.tolist() if hasattr(v, "tolist") else v for v in dataset.as_numpy_iterator()]


def generated(array):
    """The same elements as from_tensor_slices(array), through the element-by-element path."""
    return Dataset.from_generator(lambda: iter(array))


def test_from_tensor_slices_arrays_tuples_dicts_and_pandas():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    assert [e.tolist() for e in Dataset.from_tensor_slices(x).as_numpy_iterator()] == x.tolist()
    first = next(iter(Dataset.from_tensor_slices((x, y))))
    assert isinstance(first, tuple) and isinstance(first[0], Tensor)
    np.testing.assert_array_equal(first[0].numpy(), [0, 1])
    assert first[1].shape == () and first[1].dtype == np.int64
    d = next(iter(Dataset.from_tensor_slices({"a": x, "b": {"c": y}})))
    assert set(d) == {"a", "b"} and int(d["b"]["c"].item()) == 0
    # Python floats become float32 (as tf.constant); a list is one tensor, not a structure.
    assert Dataset.from_tensor_slices([1.5, 2.5]).element_spec == TensorSpec((), "float32")
    import pandas as pd
    frame = pd.DataFrame({"n": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]})
    rows = list(Dataset.from_tensor_slices(dict(frame)).as_numpy_iterator())
    assert rows[2] == {"n": 3.0, "s": "c"}
    with pytest.raises(ValueError, match=r"same number of rows.*\[6, 5\]"):
        Dataset.from_tensor_slices((x, y[:5]))
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_tensor_slices(3.0)


def test_elements_print_values_shape_and_dtype():
    ds = Dataset.from_tensor_slices({
        "features": np.array([[5.1, 3.4, 1.5, 0.2]], dtype=np.float32),
        "label": np.array([0], dtype=np.int64)})
    for data in ds.take(5):
        text = str(data)
    assert text == ("{'features': <Tensor: shape=(4,), dtype=float32, numpy=array([5.1, 3.4, "
                    "1.5, 0.2])>, 'label': <Tensor: shape=(), dtype=int64, numpy=0>}")
    assert "element_spec={'features': TensorSpec(shape=(4,), dtype=float32" in repr(ds)


def test_map_unpacks_tuples_and_passes_dicts():
    ds = Dataset.from_tensor_slices((np.arange(4), np.arange(4) * 10))
    assert values(ds.map(lambda a, b: a + b)) == [0, 11, 22, 33]
    d = Dataset.from_tensor_slices({"x": np.arange(3.0), "y": np.arange(3)})
    mapped = d.map(lambda e: (e["x"] * 2.0, lamina.one_hot(e["y"], 3)))
    out = list(mapped.as_numpy_iterator())
    assert out[2][0] == 4.0 and out[2][1].tolist() == [0, 0, 1] and out[2][1].dtype == np.float32
    assert mapped.cardinality().item() == 3
    with pytest.raises(TypeError, match="callable"):
        d.map("not a function")


def test_filter_keeps_true_elements_and_makes_size_unknown():
    ds = Dataset.range(10).filter(lambda x: x.numpy() % 3 == 0)
    assert values(ds) == [0, 3, 6, 9]
    assert ds.cardinality().item() == UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)
    with pytest.raises(ValueError, match="scalar boolean"):
        list(Dataset.from_tensor_slices(np.zeros((2, 3))).filter(lambda x: x > 0))


@pytest.mark.parametrize("make", [Dataset.from_tensor_slices, generated],
                         ids=["sliceable", "element-by-element"])
def test_batch_and_drop_remainder(make):
    x = np.arange(20).reshape(10, 2)
    batches = list(make(x).batch(4).as_numpy_iterator())
    assert [b.shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate(batches), x)
    dropped = make(x).batch(4, drop_remainder=True).as_numpy_iterator()
    assert [b.shape for b in dropped] == [(4, 2)] * 2
    if make is Dataset.from_tensor_slices:
        assert len(make(x).batch(4)) == 3 and len(make(x).batch(4, drop_remainder=True)) == 2
        assert make(x).batch(4).element_spec == TensorSpec((None, 2), "int64")
        assert make(x).batch(4, True).element_spec == TensorSpec((4, 2), "int64")
    with pytest.raises(ValueError, match="batch_size"):
        make(x).batch(0)


def test_batch_of_ragged_elements_names_the_shapes():
    ds = Dataset.from_generator(lambda: iter([np.zeros(3), np.zeros(3), np.zeros(4)]))
    with pytest.raises(ValueError, match=r"different shapes in component 0\. First element had "
                                         r"shape \[3\] and element 2 had shape \[4\]"):
        list(ds.batch(3))


def test_unbatch_splits_batches():
    ds = Dataset.from_tensor_slices((np.arange(7), np.arange(7) * 2)).batch(3).unbatch()
    assert values(ds.map(lambda a, b: b - 2 * a)) == [0] * 7
    assert [int(a) for a, _ in ds.as_numpy_iterator()] == list(range(7))
    assert ds.element_spec == (TensorSpec((), "int64"), TensorSpec((), "int64"))


def test_shuffle_is_a_permutation_seeded_and_reshuffled_each_iteration():
    ds = Dataset.range(100).shuffle(100, seed=7)
    first, second = values(ds), values(ds)
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second  # reshuffle_each_iteration defaults to True
    assert values(Dataset.range(100).shuffle(100, seed=7)) == first  # same seed, same order
    fixed = Dataset.range(100).shuffle(100, seed=7, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    # Without a seed, the order follows lamina's global seed.
    lamina.utils.set_random_seed(3)
    a = values(Dataset.range(50).shuffle(50))
    lamina.utils.set_random_seed(3)
    assert values(Dataset.range(50).shuffle(50)) == a
    with pytest.raises(ValueError, match="buffer_size"):
        Dataset.range(3).shuffle(0)


def test_shuffle_buffer_limits_how_far_elements_move():
    # With a buffer of 10, the first element out is one of the first 10; element i can only
    # come out once the buffer has been filled past it.
    order = values(Dataset.range(1000).shuffle(10, seed=1))
    assert order[0] < 10
    assert all(v <= i + 9 for i, v in enumerate(order))
    assert sorted(order) == list(range(1000))


def test_sliceable_and_element_paths_give_the_same_elements():
    x = np.arange(300).reshape(100, 3)
    for build in (lambda d: d.shuffle(17, seed=2).batch(8),
                  lambda d: d.skip(5).take(60).shuffle(100, seed=4).repeat(2).batch(7, True),
                  lambda d: d.repeat(3).shuffle(50, seed=9).take(250).batch(32)):
        fast = list(build(Dataset.from_tensor_slices(x)).as_numpy_iterator())
        slow = list(build(generated(x)).as_numpy_iterator())
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow):
            np.testing.assert_array_equal(a, b)


def test_repeat_take_skip_and_their_sizes():
    ds = Dataset.range(5)
    assert values(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2
    assert values(ds.repeat().take(12))[-2:] == [0, 1]
    assert ds.repeat().cardinality().item() == INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    assert len(ds.repeat().take(7)) == 7
    assert values(ds.skip(3)) == [3, 4] and len(ds.skip(3)) == 2 and len(ds.skip(9)) == 0
    assert values(ds.take(-1)) == values(ds) and values(ds.skip(-1)) == []
    assert values(ds.take(0).repeat()) == []  # an empty dataset repeated forever stays empty
    assert values(generated(np.arange(5)).repeat(2).skip(4).take(3)) == [4, 0, 1]
    with pytest.raises(ValueError, match="count"):
        ds.take(-2)


def test_cache_runs_the_work_once_and_freezes_a_shuffle():
    calls = []

    def work(x):
        calls.append(int(x.item()))
        return x * 10

    ds = Dataset.range(6).map(work).cache()
    assert values(ds) == [0, 10, 20, 30, 40, 50]
    assert values(ds) == [0, 10, 20, 30, 40, 50]
    assert calls == list(range(6))
    assert values(ds.shuffle(6, seed=0).batch(6))[0] != list(range(0, 60, 10))  # sliceable now
    frozen = Dataset.range(20).shuffle(20, seed=5).cache()
    assert values(frozen) == values(frozen)
    partial = Dataset.range(6).map(work).cache()
    calls.clear()
    list(partial.take(2))
    assert values(partial) == [0, 10, 20, 30, 40, 50]  # an unfinished first pass is not kept
    assert calls == [0, 1] + list(range(6))


def test_repeat_of_a_cache_filled_in_its_first_repetition():
    """The first repetition fills the cache element by element; the next ones read its arrays."""
    calls = []

    def work(x):
        calls.append(int(x.item()))
        return x * 10

    ds = Dataset.range(5).map(work).cache().repeat(3).batch(4)
    assert values(ds) == [[0, 10, 20, 30], [40, 0, 10, 20], [30, 40, 0, 10], [20, 30, 40]]
    assert calls == list(range(5))
    ragged = generated([np.zeros(1), np.zeros(2)]).cache().repeat(2)
    assert [len(v) for v in ragged.as_numpy_iterator()] == [1, 2, 1, 2]


def test_prefetch_works_ahead_in_a_background_thread():
    threads = set()

    def where(x):
        threads.add(threading.current_thread().name)
        return x

    ds = Dataset.range(50).map(where).prefetch(AUTOTUNE)
    assert values(ds) == list(range(50))
    assert threads == {"lamina-prefetch"}
    assert len(ds) == 50

    def broken(x):
        if x.item() == 3:
            raise RuntimeError("bad element 3")
        return x

    with pytest.raises(RuntimeError, match="bad element 3"):
        list(Dataset.range(10).map(broken).prefetch(2))
    before = threading.active_count()
    for i, _ in enumerate(Dataset.range(10 ** 6).prefetch(4)):
        if i == 3:
            break
    for _ in range(100):  # the abandoned producer stops by itself
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() <= before


def test_zip_concatenate_enumerate():
    a, b = Dataset.range(3), Dataset.range(10, 15)
    assert values(Dataset.zip(a, b)) == [(0, 10), (1, 11), (2, 12)]
    assert values(Dataset.zip((a, b))) == values(Dataset.zip(a, b))
    assert len(Dataset.zip(a, b)) == 3
    assert list(Dataset.zip({"x": a, "y": b}).as_numpy_iterator())[1] == {"x": 1, "y": 11}
    assert values(a.concatenate(b)) == [0, 1, 2, 10, 11, 12, 13, 14]
    assert len(a.concatenate(b)) == 8
    assert values(b.enumerate(start=1)) == [(1, 10), (2, 11), (3, 12), (4, 13), (5, 14)]
    with pytest.raises(TypeError, match="datasets"):
        Dataset.zip(a, [1, 2])


def test_from_generator_with_output_signature():
    def gen():
        for i in range(3):
            yield np.full(2, i, dtype=np.int64), float(i)

    signature = (TensorSpec((2,), "float32"), TensorSpec((), "float32"))
    ds = Dataset.from_generator(gen, output_signature=signature)
    assert ds.element_spec == signature
    out = list(ds.as_numpy_iterator())
    assert out[2][0].dtype == np.float32 and out[2][0].tolist() == [2.0, 2.0]
    again = list(ds.as_numpy_iterator())  # the generator is called again for each iteration
    assert [a.tolist() for a, _ in again] == [a.tolist() for a, _ in out]
    assert ds.cardinality().item() == UNKNOWN_CARDINALITY
    bad = Dataset.from_generator(gen, output_signature=(TensorSpec((3,)), TensorSpec(())))
    with pytest.raises(ValueError, match=r"shape \(2,\) where an element of shape \(3,\)"):
        list(bad)
    with pytest.raises(TypeError, match="callable"):
        Dataset.from_generator(gen())
    typed = Dataset.from_generator(gen, output_types=("float64", "int64"))
    assert next(typed.as_numpy_iterator())[1].dtype == np.int64


def test_as_numpy_iterator_and_cardinality_tensor():
    ds = Dataset.from_tensor_slices((np.arange(3), np.ones((3, 2))))
    first = next(ds.as_numpy_iterator())
    assert isinstance(first[0], np.integer) and isinstance(first[1], np.ndarray)
    card = ds.batch(2).cardinality()
    assert isinstance(card, Tensor) and card.numpy() == 2 and card.dtype == np.int64
    assert bool(Dataset.range(0)) and len(Dataset.range(0)) == 0


def test_map_constants_follow_the_backend(xp):
    # Elements live on the host; a map function's Python constants go to the active
    # backend, so the function sees its tensors there too.
    ds = Dataset.from_tensor_slices(np.array([[0, 255]], dtype=np.uint8)).map(lambda x: x / 255.0)
    out = next(iter(ds))
    np.testing.assert_allclose(lamina.backend.to_numpy(out.data), [0.0, 1.0])
    assert next(ds.batch(1).as_numpy_iterator()).dtype == np.float32
