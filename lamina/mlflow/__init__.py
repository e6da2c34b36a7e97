"""MLflow for lamina models, with the public names of ``mlflow.tensorflow``.

MLflow is an optional extra (``pip install 'lamina[mlflow]'``), imported only when used.
Code written for ``mlflow.tensorflow`` runs with only the import changed:

    >>> import lamina.mlflow
    >>> lamina.mlflow.autolog()                       # every fit logs params, metrics, model
    >>> lamina.mlflow.mlflow.set_experiment("course")  # the mlflow module itself
    >>> with lamina.mlflow.mlflow.start_run() as run:
    ...     model.fit(x, y, epochs=10)
    >>> info = lamina.mlflow.log_model(model, name="model", input_example=x[:5])
    >>> lamina.mlflow.load_model(info.model_uri)       # the lamina Model
    >>> mlflow.pyfunc.load_model(info.model_uri)       # MLflow's generic predict

and ``mlflow models serve -m runs:/<run_id>/model --env-manager local`` serves it.
"""
from lamina.mlflow.autologging import autolog
from lamina.mlflow.callback import MlflowCallback
from lamina.mlflow.flavor import (FLAVOR_NAME, get_default_conda_env,
                                  get_default_pip_requirements, import_mlflow, load_model,
                                  log_model, save_model)
from lamina.mlflow.pyfunc_model import _load_pyfunc  # noqa: F401 (MLflow's loader hook)

MLflowCallback = MlflowCallback  # mlflow.tensorflow's other spelling


def __getattr__(name):
    # NOTE: `lamina.mlflow.mlflow` is the mlflow module, as `mlflow.tensorflow.mlflow` is,
    # imported on first use so that `import lamina` stays light.
    if name == "mlflow":
        return import_mlflow()
    raise AttributeError(f"module 'lamina.mlflow' has no attribute '{name}'")


__all__ = ["FLAVOR_NAME", "MLflowCallback", "MlflowCallback", "autolog",
           "get_default_conda_env", "get_default_pip_requirements", "load_model", "log_model",
           "mlflow", "save_model"]
