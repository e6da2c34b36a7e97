"""tf.summary: real TensorBoard event files, read back with TensorBoard's own reader."""
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import lamina as tf


def read(folder):
    acc = event_accumulator.EventAccumulator(
        str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0, "images": 0})
    acc.Reload()
    return acc


def test_scalar_histogram_image_text_are_written(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        for step in range(3):
            assert tf.summary.scalar("loss", tf.constant(1.0 / (step + 1)), step=step)
        tf.summary.histogram("weights", tf.random.normal([500], seed=0), step=0)
        tf.summary.image("digits", np.random.default_rng(0).random((2, 8, 8, 1)), step=0)
        tf.summary.text("note", "hello", step=0)
    with writer.as_default(step=7):
        tf.summary.scalar("loss", 0.1)
    acc = read(tmp_path)
    events = acc.Scalars("loss")
    assert [e.step for e in events] == [0, 1, 2, 7]
    np.testing.assert_allclose([e.value for e in events], [1.0, 0.5, 1 / 3, 0.1], rtol=1e-6)
    histogram = acc.Histograms("weights")[0].histogram_value
    assert histogram.num == 500 and abs(histogram.sum / 500) < 0.2
    assert acc.Tags()["images"] == ["digits/image/0", "digits/image/1"]
    image = acc.Images("digits/image/0")[0]
    assert (image.width, image.height) == (8, 8)
    assert acc.Tags()["tensors"] == ["note/text_summary"]


def test_without_a_default_writer_nothing_is_written_and_a_step_is_needed(tmp_path):
    assert tf.summary.scalar("loss", 1.0, step=0) is False
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        with pytest.raises(ValueError, match="needs a step"):
            tf.summary.scalar("loss", 1.0)
        tf.summary.experimental.set_step(4)
        try:
            tf.summary.scalar("loss", 2.0)
        finally:
            tf.summary.experimental.set_step(None)
        with pytest.raises(ValueError, match=r"shape \(8, 8\)"):
            tf.summary.image("bad", np.zeros((8, 8)), step=0)
    writer.close()
    assert [e.step for e in read(tmp_path).Scalars("loss")] == [4]
