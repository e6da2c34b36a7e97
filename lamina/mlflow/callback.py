"""``MlflowCallback``: logs a fit to the active MLflow run."""
import warnings

from lamina.callbacks.callback import Callback
from lamina.mlflow.flavor import import_mlflow


def log_new_params(params):
    """Logs the params the active run does not have yet; MLflow forbids changing a logged
    value (a second fit in the same run), so a changed value is skipped with a warning."""
    mlflow = import_mlflow()
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
        import_mlflow()
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
        import_mlflow().log_text("\n".join(lines), artifact_file="model_summary.txt")
        self._summary_logged = True

    def on_train_begin(self, logs=None):
        self._summary_logged = False
        optimizer = self.model.optimizer
        params = {"loss": _loss_name(self.model.loss)}
        if optimizer is not None:
            params.update({f"optimizer_{k}": v for k, v in optimizer.get_config().items()})
            params["optimizer_learning_rate"] = float(optimizer.learning_rate)
        log_new_params(params)
        self._log_summary()

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.log_every_n_steps and logs and self._step % self.log_every_n_steps == 0:
            import_mlflow().log_metrics({k: float(v) for k, v in logs.items()}, step=self._step)

    def on_epoch_end(self, epoch, logs=None):
        if self.log_every_epoch and logs:
            import_mlflow().log_metrics({k: float(v) for k, v in logs.items()}, step=epoch)

    def on_train_end(self, logs=None):
        self._log_summary()  # a model built during fit (no input shape) has a summary now
