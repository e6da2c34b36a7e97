"""The ``lamina`` MLflow model flavor: ``save_model``, ``log_model`` and ``load_model``.

``save_model`` writes an MLflow model folder, described by MLflow's own ``Model`` API:

    MLmodel           flavors ``lamina`` and ``python_function`` (loader module
                      ``lamina.mlflow``), the signature and the input example
    model.keras       the model in lamina's ``.keras`` format
    requirements.txt  ``mlflow==<version>`` and ``lamina==<version>`` (also conda.yaml,
                      python_env.yaml)

so ``mlflow.pyfunc.load_model``, the model registry and ``mlflow models serve`` can use it.
"""
import os

FLAVOR_NAME = "lamina"
_MODEL_FILE = "model.keras"


def import_mlflow():
    """Returns the ``mlflow`` module, or raises an ImportError naming the extra to install."""
    try:
        import mlflow
        import mlflow.pyfunc  # noqa: F401 (needs pandas, which mlflow-skinny lacks)
    except ImportError as e:
        raise ImportError(f"lamina.mlflow needs MLflow ({e}). Install it with: "
                          "pip install 'lamina[mlflow]'") from e
    return mlflow


def get_default_pip_requirements():
    """Returns the pip requirements of a saved lamina model: ``['lamina==<version>']``
    (MLflow adds its own pinned version)."""
    from lamina import __version__
    return [f"lamina=={__version__}"]


def get_default_conda_env():
    """Returns the conda environment of a saved lamina model, as a dict."""
    import_mlflow()
    from mlflow.utils.environment import _mlflow_conda_env
    return _mlflow_conda_env(additional_pip_deps=get_default_pip_requirements())


def save_model(model, path, conda_env=None, mlflow_model=None, signature=None,
               input_example=None, pip_requirements=None, extra_pip_requirements=None,
               metadata=None):
    """Saves ``model`` as an MLflow model folder at ``path`` (a new or empty folder).

    Args:
        model: a lamina Model.
        path: the local folder to write.
        conda_env: a conda environment (dict or path to a conda.yaml); default: lamina's.
        mlflow_model: the ``mlflow.models.Model`` to add the flavors to (``log_model`` passes
            one); default: a new one.
        signature: an ``mlflow.models.ModelSignature``; default: inferred from
            ``input_example`` and the model's predictions on it; False: none.
        input_example: a NumPy array, a dict of arrays (one per model input) or a DataFrame,
            stored with the model.
        pip_requirements: the full list of pip requirements, replacing lamina's default.
        extra_pip_requirements: requirements added to the default ones.
        metadata: a dict stored in the MLmodel file.
    """
    import_mlflow()
    import yaml
    from mlflow import pyfunc
    from mlflow.models import Model
    from mlflow.models.model import MLMODEL_FILE_NAME
    from mlflow.models.signature import _infer_signature_from_input_example
    from mlflow.models.utils import _save_example
    from mlflow.utils.environment import (_CONDA_ENV_FILE_NAME, _CONSTRAINTS_FILE_NAME,
                                          _PYTHON_ENV_FILE_NAME, _REQUIREMENTS_FILE_NAME,
                                          _process_conda_env, _process_pip_requirements,
                                          _PythonEnv)
    from mlflow.utils.model_utils import _validate_and_prepare_target_save_path

    from lamina import __version__
    from lamina.mlflow.pyfunc_model import LaminaPyfuncModel
    from lamina.models import Model as LaminaModel

    if not isinstance(model, LaminaModel):
        raise TypeError(f"lamina.mlflow saves lamina models; received {type(model).__name__}. "
                        "Log other models with their own MLflow flavor.")
    path = os.path.abspath(path)
    _validate_and_prepare_target_save_path(path)  # refuses a folder that is not empty
    if mlflow_model is None:
        mlflow_model = Model()
    example = _save_example(mlflow_model, input_example, path)
    if signature is None and example is not None:
        signature = _infer_signature_from_input_example(example, LaminaPyfuncModel(model))
    if signature is not None and signature is not False:  # False: no signature at all
        mlflow_model.signature = signature
    if metadata is not None:
        mlflow_model.metadata = metadata

    model.save(os.path.join(path, _MODEL_FILE))
    mlflow_model.add_flavor(FLAVOR_NAME, data=_MODEL_FILE, lamina_version=__version__)
    pyfunc.add_to_model(mlflow_model, loader_module="lamina.mlflow", data=_MODEL_FILE,
                        conda_env=_CONDA_ENV_FILE_NAME, python_env=_PYTHON_ENV_FILE_NAME)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))

    if conda_env is None:
        defaults = get_default_pip_requirements() if pip_requirements is None else None
        conda_env, requirements, constraints = _process_pip_requirements(
            defaults, pip_requirements, extra_pip_requirements)
    else:
        conda_env, requirements, constraints = _process_conda_env(conda_env)
    with open(os.path.join(path, _CONDA_ENV_FILE_NAME), "w") as f:
        yaml.safe_dump(conda_env, stream=f, default_flow_style=False)
    if constraints:
        with open(os.path.join(path, _CONSTRAINTS_FILE_NAME), "w") as f:
            f.write("\n".join(constraints))
    with open(os.path.join(path, _REQUIREMENTS_FILE_NAME), "w") as f:
        f.write("\n".join(requirements))
    _PythonEnv.current().to_yaml(os.path.join(path, _PYTHON_ENV_FILE_NAME))


def log_model(model, artifact_path=None, conda_env=None, signature=None, input_example=None,
              registered_model_name=None, await_registration_for=300, pip_requirements=None,
              extra_pip_requirements=None, metadata=None, name=None, params=None, tags=None,
              step=0, model_id=None):
    """Logs ``model`` as an MLflow model of the active run (one is started if none is).

    Args:
        model: a lamina Model.
        artifact_path: MLflow 2's name for ``name`` (deprecated by MLflow 3).
        name: the model's name in the run, e.g. ``'model'`` (then ``runs:/<run_id>/model``).
        registered_model_name: if given, registers the model under this name in the model
            registry (creating it if needed), as a new version.
        await_registration_for: seconds to wait for the new version to be READY.
        params, tags, step, model_id: as in ``mlflow.models.Model.log``.
        Other args: as in ``save_model``.

    Returns:
        an ``mlflow.models.model.ModelInfo`` (``model_uri``, ``signature``,
        ``registered_model_version``, ...).
    """
    import_mlflow()
    import lamina.mlflow
    from mlflow.models import Model
    return Model.log(artifact_path=artifact_path, name=name, flavor=lamina.mlflow, model=model,
                     conda_env=conda_env, signature=signature, input_example=input_example,
                     registered_model_name=registered_model_name,
                     await_registration_for=await_registration_for,
                     pip_requirements=pip_requirements,
                     extra_pip_requirements=extra_pip_requirements, metadata=metadata,
                     params=params, tags=tags, step=step, model_id=model_id)


def _contents(folder):
    """Says what a folder that holds no lamina model holds instead."""
    from mlflow.models import Model
    from mlflow.models.model import MLMODEL_FILE_NAME
    if not os.path.isdir(folder):
        return "it is a file, not an MLflow model folder"
    if os.path.isfile(os.path.join(folder, MLMODEL_FILE_NAME)):
        flavors = list(Model.load(os.path.join(folder, MLMODEL_FILE_NAME)).flavors)
        return f"its MLmodel file has the flavors {flavors}, not '{FLAVOR_NAME}'"
    return f"it has no MLmodel file, only {sorted(os.listdir(folder))}"


def _run_contents(model_uri):
    """Says what the run of a ``runs:/<run_id>/<path>`` URI holds: its models and artifacts."""
    import mlflow
    from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository
    run_id, _ = RunsArtifactRepository.parse_runs_uri(model_uri)
    client = mlflow.MlflowClient()
    models = client.search_logged_models([client.get_run(run_id).info.experiment_id],
                                         filter_string=f"source_run_id = '{run_id}'")
    return (f"the run holds the models {sorted(m.name for m in models)} and the artifacts "
            f"{[a.path for a in client.list_artifacts(run_id)]}")


def load_model(model_uri, dst_path=None):
    """Loads a model saved by ``save_model``, ``log_model`` or ``autolog``.

    Args:
        model_uri: ``'runs:/<run_id>/model'``, ``'models:/<name>/<version>'``,
            ``'models:/<model_id>'`` (``ModelInfo.model_uri``), a local folder, ...
        dst_path: a local folder to download the model to (default: a temporary one).

    Returns:
        the lamina Model.
    """
    import_mlflow()
    from mlflow.models import Model
    from mlflow.models.model import MLMODEL_FILE_NAME
    from mlflow.tracking.artifact_utils import _download_artifact_from_uri

    from lamina.models import load_model as load_keras_file
    try:
        local = _download_artifact_from_uri(artifact_uri=model_uri, output_path=dst_path)
    except Exception as e:
        found = f"MLflow found nothing there ({e})"
        if str(model_uri).startswith("runs:/"):
            found += f"; {_run_contents(model_uri)}"
        raise OSError(f"No lamina model at '{model_uri}': {found}.") from e
    mlmodel = os.path.join(local, MLMODEL_FILE_NAME)
    if not os.path.isfile(mlmodel) or FLAVOR_NAME not in Model.load(mlmodel).flavors:
        raise ValueError(f"No lamina model at '{model_uri}': {_contents(local)}.")
    return load_keras_file(os.path.join(local, Model.load(mlmodel).flavors[FLAVOR_NAME]["data"]))
