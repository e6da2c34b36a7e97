"""TensorBoard: writes scalars, weight histograms and the model graph as TensorBoard event files.

The files are written with tensorboardX (``pip install 'lamina[tensorboard]'``) and laid out
as Keras does: ``<log_dir>/train`` and ``<log_dir>/validation``, one run each, so
``tensorboard --logdir <log_dir>`` shows training and validation curves side by side.
"""
import json
import os
import time
import warnings

from lamina import backend
from lamina.callbacks.callback import Callback


def _import_tensorboardx():
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError("The TensorBoard callback writes its logs with tensorboardX, which "
                          "is not installed. Install it with: pip install 'lamina[tensorboard]'"
                          ) from e
    return tensorboardX


def model_config_json(model):
    """The model's config as the JSON that TensorBoard's graph plugin draws ("conceptual
    graph"): ``{"class_name": ..., "config": {"name": ..., "layers": [...]}}``.

    Returns:
        the JSON string, or None when the model has no layer graph to show (a subclassed model).
    """
    config = model.get_config()
    if not isinstance(config, dict) or "layers" not in config:
        return None
    return json.dumps({"class_name": type(model).__name__, "config": config}, default=str)


def _check_profile_batch(profile_batch):
    """Validates ``profile_batch`` with Keras's wording; warns that nothing is profiled."""
    message = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. "
               "A pair of positive integers signifies a range of batches to profile. "
               f"Found: {profile_batch}")
    batches = profile_batch
    if isinstance(batches, str):
        try:
            batches = [int(b) for b in batches.split(",")]
        except ValueError:
            raise ValueError(message) from None
    if isinstance(batches, bool) or not (
            isinstance(batches, int) or (isinstance(batches, (tuple, list)) and len(batches) == 2
                                         and all(isinstance(b, int) for b in batches))):
        raise ValueError(message)
    start, stop = (batches, batches) if isinstance(batches, int) else batches
    if start < 0 or stop < start:
        raise ValueError(message)
    if stop > 0:
        warnings.warn(f"Profiling is not available in lamina; profile_batch={profile_batch!r} "
                      "is ignored and training goes on without a profile.", stacklevel=3)


class TensorBoard(Callback):
    """Logs training for TensorBoard: per-epoch (and optionally per-batch) loss, metrics and
    learning rate, weight histograms, and the model's layer graph.

    Tags, as Keras writes them: ``epoch_loss``, ``epoch_<metric>`` and ``epoch_learning_rate``
    in the ``train`` run, ``epoch_loss`` and ``epoch_<metric>`` in the ``validation`` run
    (from the ``val_`` logs), ``batch_<name>`` every ``update_freq`` batches,
    ``<layer>/<weight>/histogram`` every ``histogram_freq`` epochs, and the graph as the
    summary ``keras`` (TensorBoard's Graphs tab, "conceptual graph").

    Args:
        log_dir: folder of the event files; ``train/`` and ``validation/`` are made in it.
        histogram_freq: every how many epochs to write weight histograms (0: never).
        write_graph: write the model's layer graph.
        write_images: accepted for Keras compatibility; weight images are not written.
        write_steps_per_second: also log ``steps_per_second`` (per epoch and per batch).
        update_freq: 'epoch' (scalars once per epoch), 'batch' (every batch) or an integer N
            (``batch_*`` scalars every N batches, in addition to the epoch scalars).
        profile_batch: checked as Keras checks it (a non-negative integer, a pair
            ``(start, stop)`` or the string 'start,stop'); lamina has no profiler, so a
            non-zero value warns and training carries on without profiling.
        embeddings_freq, embeddings_metadata: accepted for Keras compatibility (unused).

    Example:
        >>> tb = keras.callbacks.TensorBoard(log_dir="logs/run_1")
        >>> model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[tb])
        >>> # then: tensorboard --logdir logs
    """

    chief_only = True  # under a multi-worker strategy only worker 0 runs it

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        _import_tensorboardx()
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError("`update_freq` must be 'epoch', 'batch' or a positive integer; "
                             f"received update_freq={update_freq!r}")
        _check_profile_batch(profile_batch)
        if histogram_freq < 0:
            raise ValueError(f"`histogram_freq` must be >= 0; received {histogram_freq}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_batches = 0
        self._in_fit = False

    # --- writers: created on first use, one per run folder ---
    def _writer(self, run):
        if run not in self._writers:
            tensorboardX = _import_tensorboardx()
            self._writers[run] = tensorboardX.SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        self._close_writers()
        super().set_model(model)
        if self.write_graph:
            self._write_model_graph()

    def _write_model_graph(self):
        """Writes the model config as the ``keras`` summary that TensorBoard's graph plugin
        turns into a layer graph (the plugin name and version are TensorBoard's)."""
        try:
            text = model_config_json(self.model)
        except Exception as e:  # a model that cannot describe itself still trains
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {e}", stacklevel=2)
            return
        if text is None:
            return
        from tensorboardX.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
        metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="graph_keras_model", content=b"1"))
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[text.encode()],
                                        tensor_shape=tensor_shape_pb2.TensorShapeProto())
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag="keras", metadata=metadata, tensor=tensor)])
        writer = self._writer("train")
        writer.file_writer.add_summary(summary, global_step=0)
        writer.flush()

    # --- training ---
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        writer, step = self._writer("train"), self._global_train_batch
        for name, value in (logs or {}).items():
            writer.add_scalar("batch_" + name, float(value), step)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._batch_start, 1e-9)
            writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if self.model.optimizer is not None:
            train["learning_rate"] = float(self.model.optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = max(time.perf_counter() - self._epoch_start, 1e-9)
            train["steps_per_second"] = self._epoch_batches / elapsed
        for run, values in (("train", train), ("validation", val)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    writer.add_scalar("epoch_" + name, float(value), epoch)
                writer.flush()
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def _log_weights(self, epoch):
        """One histogram per weight, tagged ``<layer>/<weight>/histogram``."""
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = getattr(weight, "path", None) or f"{layer.name}/{weight.name}"
                values = backend.to_numpy(weight.data).astype("float64").ravel()
                writer.add_histogram(name.replace(":", "_") + "/histogram", values, epoch)
        writer.flush()

    # --- evaluation ---
    def on_test_end(self, logs=None):
        """``model.evaluate(..., callbacks=[tb])`` writes ``evaluation_<name>_vs_iterations``
        to the validation run, at the optimizer's step."""
        optimizer = getattr(self.model, "optimizer", None)
        if not logs or optimizer is None:
            return
        writer = self._writer("validation")
        for name, value in logs.items():
            writer.add_scalar(f"evaluation_{name}_vs_iterations", float(value),
                              int(optimizer.iterations))
        if self._in_fit:
            writer.flush()
        else:
            self._close_writers()
