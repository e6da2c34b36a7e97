"""``tf.summary``: write scalars, histograms, images and text to TensorBoard event files.

The files are written with tensorboardX (``pip install 'lamina[tensorboard]'``) and read
by TensorBoard as TensorFlow's are.

Example:
    >>> writer = tf.summary.create_file_writer("logs/train")
    >>> with writer.as_default():
    ...     tf.summary.scalar("loss", loss, step=epoch)
"""
import contextlib

import numpy as np

_default_writers = []   # the writers whose ``as_default`` block is active, innermost last
_step = [None]          # tf.summary.experimental.set_step


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError("tf.summary writes TensorBoard files with tensorboardX, which is not "
                          "installed. Install it with: pip install 'lamina[tensorboard]'") from e
    return tensorboardX


def _numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


class SummaryWriter:
    """Writes events to one log directory; made by ``create_file_writer``."""

    def __init__(self, logdir, max_queue=None, flush_millis=None, filename_suffix=None):
        self._options = {} if max_queue is None else {"max_queue": max_queue}
        if flush_millis is not None:
            self._options["flush_secs"] = max(1, flush_millis // 1000)
        self.logdir = str(logdir)
        self._suffix = filename_suffix or ""
        self._files = 0
        self._open = None
        self._step = None
        _tensorboardx()  # fail early when the extra is missing

    @property
    def _writer(self):
        """The tensorboardX writer, opened on first use (and again after ``flush``)."""
        if self._open is None:
            suffix = self._suffix + (f".{self._files}" if self._files else "")
            self._open = _tensorboardx().SummaryWriter(self.logdir, filename_suffix=suffix,
                                                       **self._options)
            self._files += 1
        return self._open

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Makes this the writer that ``scalar``, ``histogram``, ... write to (and ``step``
        their default step) inside the block."""
        _default_writers.append(self)
        previous, self._step = self._step, step
        try:
            yield self
        finally:
            self._step = previous
            _default_writers.remove(self)
            self.flush()

    def set_as_default(self, step=None):
        """Makes this the default writer until another one is set."""
        _default_writers.clear()
        _default_writers.append(self)
        self._step = step

    def flush(self):
        """Writes buffered events to disk."""
        # NOTE: tensorboardX's flush can leave queued events unwritten; closing drains the
        # queue, and the next write opens another event file in the same directory
        # (TensorBoard reads them all).
        if self._open is not None:
            self._open.close()
            self._open = None

    def close(self):
        """Flushes and closes the file."""
        self.flush()
        if self in _default_writers:
            _default_writers.remove(self)


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A writer for the event file in ``logdir``.

    Args:
        logdir: directory for the event file (created if needed).
        max_queue, flush_millis, filename_suffix: buffering and naming options.

    Returns:
        A SummaryWriter; use ``with writer.as_default():``.
    """
    return SummaryWriter(logdir, max_queue, flush_millis, filename_suffix)


def create_noop_writer():
    """A writer context that writes nothing."""
    return _NoopWriter()


class _NoopWriter:
    @contextlib.contextmanager
    def as_default(self, step=None):
        yield self

    def flush(self):
        pass

    def close(self):
        pass


def _target(step, fn_name):
    """The default writer and the step to write at (None, None without a default writer)."""
    if not _default_writers:
        return None, None
    writer = _default_writers[-1]
    step = step if step is not None else (writer._step if writer._step is not None
                                          else _step[0])
    if step is None:
        raise ValueError(f"tf.summary.{fn_name} needs a step: pass step=..., use "
                         "writer.as_default(step=...), or tf.summary.experimental.set_step.")
    return writer, int(_numpy(step))


def scalar(name, data, step=None, description=None):
    """Writes a scalar. Returns True when written (False without a default writer)."""
    writer, step = _target(step, "scalar")
    if writer is None:
        return False
    writer._writer.add_scalar(name, float(_numpy(data)), step)
    return True


def histogram(name, data, step=None, buckets=None, description=None):
    """Writes a histogram of the values of ``data``."""
    writer, step = _target(step, "histogram")
    if writer is None:
        return False
    values = _numpy(data).astype(np.float64).ravel()
    writer._writer.add_histogram(name, values, step, bins=buckets or "tensorflow")
    return True


def image(name, data, step=None, max_outputs=3, description=None):
    """Writes up to ``max_outputs`` images from ``data`` of shape (k, h, w, c): floats in
    [0, 1] or uint8, with 1, 3 or 4 channels."""
    writer, step = _target(step, "image")
    if writer is None:
        return False
    images = _numpy(data)
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError("tf.summary.image expects data of shape (k, height, width, channels) "
                         f"with 1, 3 or 4 channels, got shape {images.shape}.")
    images = images[:max_outputs]
    if images.dtype != np.uint8:
        images = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
    for i, img in enumerate(images):
        tag = name if len(images) == 1 else f"{name}/image/{i}"
        writer._writer.add_image(tag, img, step, dataformats="HWC")
    return True


def text(name, data, step=None, description=None):
    """Writes a string (or a tensor of strings, joined by lines)."""
    writer, step = _target(step, "text")
    if writer is None:
        return False
    value = data if isinstance(data, str) else "\n".join(str(v) for v in np.ravel(_numpy(data)))
    writer._writer.add_text(name, value, step)
    return True


def flush(writer=None, name=None):
    """Flushes ``writer`` (default: the default writer)."""
    writer = writer or (_default_writers[-1] if _default_writers else None)
    if writer is not None:
        writer.flush()


class experimental:  # noqa: N801 (TensorFlow's name)
    """``tf.summary.experimental``: the default step."""

    @staticmethod
    def set_step(step):
        """Sets the step used when ``step`` is not given."""
        _step[0] = step

    @staticmethod
    def get_step():
        """The step set by ``set_step``."""
        return _step[0]
