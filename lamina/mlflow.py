"""MLflow tracking for lamina models: ``autolog()`` and ``MlflowCallback``.

MLflow is an optional extra (``pip install 'lamina[mlflow]'``). After ``autolog()``, every
``model.fit`` logs to the active MLflow run (or to a new run that it starts and ends):

* parameters: the fit arguments (``epochs``, ``batch_size``, ...), ``loss``, and the
  optimizer's settings as ``optimizer_name``, ``optimizer_learning_rate``, ...;
* metrics: every value of the epoch logs (``loss``, ``val_loss``, ``accuracy``, ...),
  with the epoch as the step;
* artifacts: ``model_summary.txt`` (``model.summary()``) and the trained model saved in
  lamina's ``.keras`` format as ``model/model.keras`` (read it back with ``load_model``).

Example:
    >>> import mlflow, lamina.mlflow
    >>> lamina.mlflow.autolog()
    >>> with mlflow.start_run():
    ...     mlflow.log_param("data", "california_housing")   # your own logging still works
    ...     model.fit(x, y, epochs=10, validation_split=0.1)
    >>> model = lamina.mlflow.load_model(f"runs:/{run_id}/model")
"""
import functools
import inspect
import os
import tempfile
import warnings

from lamina.callbacks.callback import Callback

# fit arguments that are data or objects, not hyperparameters
_UNLOGGED_FIT_ARGS = ("self", "x", "y", "callbacks", "validation_data", "verbose",
                      "sample_weight", "class_weight")
_MODEL_FILE = "model.keras"
_state = {"original_fit": None, "config": {}}


def _import_mlflow():
    try:
        import mlflow
    except ImportError as e:
        raise ImportError("lamina.mlflow needs MLflow, which is not installed. Install it with: "
                          "pip install 'lamina[mlflow]'") from e
    return mlflow


def _log_new_params(params):
    """Logs the params the active run does not have yet; MLflow forbids changing a logged
    value (a second fit in the same run), so a changed value is skipped with a warning."""
    mlflow = _import_mlflow()
    run = mlflow.active_run()
    logged = mlflow.MlflowClient().get_run(run.info.run_id).data.params
    new = {}
    for key, value in params.items():
        value = str(value)[:6000]  # NOTE: MLflow's limit on a param value's length
        if key not in logged:
            new[key] = value
        elif logged[key] != value:
            warnings.warn(f"MLflow param '{key}' is already logged as {logged[key]!r} in this run; "
                          f"the new value {value!r} is not logged.", stacklevel=3)
    if new:
        mlflow.log_params(new)


def _loss_name(loss):
    if loss is None or isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


class MlflowCallback(Callback):
    """Logs a fit to the active MLflow run: the optimizer settings and loss (parameters),
    the model summary (artifact ``model_summary.txt``), and the epoch logs (metrics, step =
    epoch) or, with ``log_every_n_steps``, the batch logs (step = training step).

    Args:
        log_every_epoch: log the epoch logs at the end of each epoch.
        log_every_n_steps: if set, log the batch logs every n training steps instead.

    Example:
        >>> with mlflow.start_run():
        ...     model.fit(x, y, epochs=5, callbacks=[lamina.mlflow.MlflowCallback()])
    """

    chief_only = True  # under a multi-worker strategy only worker 0 runs it

    def __init__(self, log_every_epoch=True, log_every_n_steps=None):
        super().__init__()
        _import_mlflow()
        if log_every_epoch and log_every_n_steps is not None:
            raise ValueError("`log_every_n_steps` must be None if `log_every_epoch=True`, "
                             f"received `log_every_epoch={log_every_epoch}` and "
                             f"`log_every_n_steps={log_every_n_steps}`.")
        if not log_every_epoch and log_every_n_steps is None:
            raise ValueError("`log_every_n_steps` must be set if `log_every_epoch=False`.")
        self.log_every_epoch = log_every_epoch
        self.log_every_n_steps = log_every_n_steps
        self._summary_logged = False
        self._step = 0

    def _log_summary(self):
        if self._summary_logged or not self.model.built:
            return
        lines = []
        self.model.summary(print_fn=lines.append)
        _import_mlflow().log_text("\n".join(lines), artifact_file="model_summary.txt")
        self._summary_logged = True

    def on_train_begin(self, logs=None):
        self._summary_logged = False
        optimizer = self.model.optimizer
        params = {"loss": _loss_name(self.model.loss)}
        if optimizer is not None:
            params.update({f"optimizer_{k}": v for k, v in optimizer.get_config().items()})
            params["optimizer_learning_rate"] = float(optimizer.learning_rate)
        _log_new_params(params)
        self._log_summary()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.log_every_n_steps and logs and self._step % self.log_every_n_steps == 0:
            _import_mlflow().log_metrics({k: float(v) for k, v in logs.items()}, step=self._step)

    def on_epoch_end(self, epoch, logs=None):
        if self.log_every_epoch and logs:
            _import_mlflow().log_metrics({k: float(v) for k, v in logs.items()}, step=epoch)

    def on_train_end(self, logs=None):
        self._log_summary()  # a model built during fit (no input shape) has a summary now


def log_model(model, artifact_path="model"):
    """Saves ``model`` in lamina's ``.keras`` format and logs it to the active run as
    ``<artifact_path>/model.keras``."""
    mlflow = _import_mlflow()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, _MODEL_FILE)
        model.save(path)
        mlflow.log_artifact(path, artifact_path=artifact_path)


def load_model(model_uri):
    """Loads a model logged by ``autolog`` or ``log_model``.

    Args:
        model_uri: e.g. ``'runs:/<run_id>/model'``, or any MLflow artifact URI of the
            folder (or of the ``.keras`` file itself).

    Returns:
        the Model, as ``lamina.models.load_model`` returns it.
    """
    mlflow = _import_mlflow()
    from lamina.models import load_model as load_keras_file
    local = mlflow.artifacts.download_artifacts(artifact_uri=model_uri)
    if os.path.isdir(local):
        local = os.path.join(local, _MODEL_FILE)
    return load_keras_file(local)


def _fit_args_as_params(fit, model, args, kwargs):
    bound = inspect.signature(fit).bind(model, *args, **kwargs)
    bound.apply_defaults()
    params = {k: v for k, v in bound.arguments.items() if k not in _UNLOGGED_FIT_ARGS}
    if params.get("batch_size") is None:
        params["batch_size"] = 32  # fit's default
    return params


def _autolog_fit(original):
    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        config = _state["config"]
        callbacks = list(kwargs.pop("callbacks", None) or [])
        if len(args) >= 6:  # callbacks given by position: x, y, batch_size, epochs, verbose, ...
            args = list(args)
            callbacks = list(args.pop(5) or [])
        if any(isinstance(c, MlflowCallback) for c in callbacks):
            return original(self, *args, callbacks=callbacks, **kwargs)
        mlflow = _import_mlflow()
        started = mlflow.active_run() is None
        if started:
            mlflow.start_run(tags=config.get("extra_tags"))
        try:
            _log_new_params(_fit_args_as_params(original, self, args, kwargs))
            callbacks.append(MlflowCallback(config["log_every_epoch"],
                                            config["log_every_n_steps"]))
            history = original(self, *args, callbacks=callbacks, **kwargs)
            if config["log_models"]:
                try:
                    log_model(self)
                except (AttributeError, NotImplementedError) as e:
                    warnings.warn(f"MLflow autolog could not save the model: {e}", stacklevel=2)
        except BaseException:
            if started:
                mlflow.end_run(status="FAILED")
            raise
        if started:
            mlflow.end_run()
        return history
    fit._lamina_mlflow_autolog = True
    return fit


def autolog(log_every_epoch=True, log_every_n_steps=None, log_models=True, disable=False,
            extra_tags=None):
    """Makes every ``Model.fit`` log its parameters, metrics, summary and model to MLflow.

    Works inside a ``with mlflow.start_run():`` block (logging to that run, which stays
    open) or outside one (each fit gets its own run, started and ended by the fit).

    Args:
        log_every_epoch: log metrics at the end of each epoch (step = epoch index).
        log_every_n_steps: if set, log the batch metrics every n steps instead.
        log_models: log the trained model as ``model/model.keras``.
        disable: True turns autologging off again.
        extra_tags: dict of tags for the runs that autolog starts.
    """
    _import_mlflow()
    from lamina.models.model import Model
    if _state["original_fit"] is not None:  # undo a previous autolog() first
        Model.fit = _state["original_fit"]
        _state["original_fit"] = None
    if disable:
        return
    if log_every_epoch and log_every_n_steps is not None:
        log_every_epoch = False  # NOTE: asking for steps means steps instead of epochs
    _state["config"] = {"log_every_epoch": log_every_epoch, "log_every_n_steps": log_every_n_steps,
                        "log_models": log_models, "extra_tags": extra_tags}
    _state["original_fit"] = Model.fit
    Model.fit = _autolog_fit(Model.fit)
