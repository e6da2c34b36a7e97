"""``autolog()``: every ``Model.fit`` logs its parameters, metrics, summary and model to MLflow.

After ``autolog()``, every ``model.fit`` logs to the active MLflow run (or to a new run that
it starts and ends):

* parameters: the fit arguments (``epochs``, ``batch_size``, ...), ``loss``, and the
  optimizer's settings as ``optimizer_name``, ``optimizer_learning_rate``, ...;
* metrics: every value of the epoch logs (``loss``, ``val_loss``, ``accuracy``, ...),
  with the epoch as the step;
* artifacts: ``model_summary.txt`` (``model.summary()``), and the trained model as an MLflow
  model named ``model`` (lamina flavor, ``runs:/<run_id>/model``), with a signature
  inferred from the first training rows.
"""
import functools
import inspect
import warnings

from lamina.mlflow.callback import MlflowCallback, log_new_params
from lamina.mlflow.flavor import import_mlflow, log_model

# fit arguments that are data or objects, not hyperparameters
_UNLOGGED_FIT_ARGS = ("self", "x", "y", "callbacks", "validation_data", "verbose",
                      "sample_weight", "class_weight")
_EXAMPLE_ROWS = 5
_state = {"original_fit": None, "config": {}}


def _first_rows(model, x):
    """The first rows of the training inputs (a dict for several inputs), or None when ``x``
    is a dataset or generator."""
    import numpy as np
    names = getattr(model, "input_names", None) or []
    if isinstance(x, (list, tuple)) and len(x) == len(names) > 1:
        x = dict(zip(names, x))
    if isinstance(x, dict):
        return {k: np.asarray(v[:_EXAMPLE_ROWS]) for k, v in x.items()}
    if hasattr(x, "iloc"):  # pandas
        return x.iloc[:_EXAMPLE_ROWS]
    if hasattr(x, "shape"):
        return np.asarray(x[:_EXAMPLE_ROWS])
    return None


def _log_trained_model(model, x, config):
    from mlflow.models import infer_signature

    from lamina.mlflow.pyfunc_model import LaminaPyfuncModel
    example = _first_rows(model, x)
    signature = None
    if example is not None and config["log_model_signatures"]:
        signature = infer_signature(example, LaminaPyfuncModel(model).predict(example))
    log_model(model, name="model", signature=signature if signature is not None else False,
              input_example=example if config["log_input_examples"] else None,
              registered_model_name=config["registered_model_name"])


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
        mlflow = import_mlflow()
        started = mlflow.active_run() is None
        if started:
            mlflow.start_run(tags=config.get("extra_tags"))
        try:
            bound = inspect.signature(original).bind(self, *args, **kwargs)
            bound.apply_defaults()
            params = {k: v for k, v in bound.arguments.items() if k not in _UNLOGGED_FIT_ARGS}
            if params.get("batch_size") is None:
                params["batch_size"] = 32  # fit's default
            log_new_params(params)
            callbacks.append(MlflowCallback(config["log_every_epoch"],
                                            config["log_every_n_steps"]))
            history = original(self, *args, callbacks=callbacks, **kwargs)
            if config["log_models"]:
                try:
                    _log_trained_model(self, bound.arguments["x"], config)
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


def autolog(log_models=True, disable=False, registered_model_name=None, log_input_examples=False,
            log_model_signatures=True, extra_tags=None, log_every_epoch=True,
            log_every_n_steps=None):
    """Makes every ``Model.fit`` log its parameters, metrics, summary and model to MLflow
    (the arguments of ``mlflow.tensorflow.autolog`` that apply to lamina).

    Works inside a ``with mlflow.start_run():`` block (logging to that run, which stays
    open) or outside one (each fit gets its own run, started and ended by the fit).

    Args:
        log_models: log the trained model as the MLflow model ``model`` of the run.
        disable: True turns autologging off again.
        registered_model_name: if given, each logged model becomes a new version of this
            registered model.
        log_input_examples: store the first training rows with the model.
        log_model_signatures: store a signature inferred from the first training rows.
        extra_tags: dict of tags for the runs that autolog starts.
        log_every_epoch: log metrics at the end of each epoch (step = epoch index).
        log_every_n_steps: if set, log the batch metrics every n steps instead.

    Example:
        >>> import lamina.mlflow
        >>> lamina.mlflow.autolog()
        >>> with lamina.mlflow.mlflow.start_run() as run:
        ...     model.fit(x, y, epochs=10, validation_split=0.1)
        >>> model = lamina.mlflow.load_model(f"runs:/{run.info.run_id}/model")
    """
    import_mlflow()
    from lamina.models.model import Model
    if _state["original_fit"] is not None:  # undo a previous autolog() first
        Model.fit = _state["original_fit"]
        _state["original_fit"] = None
    if disable:
        return
    if log_every_epoch and log_every_n_steps is not None:
        log_every_epoch = False  # NOTE: asking for steps means steps instead of epochs
    _state["config"] = {"log_every_epoch": log_every_epoch, "log_every_n_steps": log_every_n_steps,
                        "log_models": log_models, "extra_tags": extra_tags,
                        "registered_model_name": registered_model_name,
                        "log_input_examples": log_input_examples,
                        "log_model_signatures": log_model_signatures}
    _state["original_fit"] = Model.fit
    Model.fit = _autolog_fit(Model.fit)
