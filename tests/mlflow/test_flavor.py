"""The lamina MLflow flavor: save_model, log_model, load_model, the model registry."""
import ast
import importlib.util
import pathlib
import sys

import mlflow
import numpy as np
import pytest
from mlflow.models import Model

import lamina
import lamina.mlflow


def assert_same_weights(a, b):
    assert len(a.get_weights()) == len(b.get_weights()) > 0
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_save_model_writes_both_flavors_a_signature_and_requirements(tmp_path, regression,
                                                                      make_model):
    (x, _), _ = regression
    m = make_model()
    lamina.mlflow.save_model(m, str(tmp_path / "model"), input_example=x[:2],
                             metadata={"course": "ml-ops"})
    conf = Model.load(str(tmp_path / "model"))  # MLflow's own reader of the MLmodel file
    assert conf.flavors["lamina"] == {"data": "model.keras", "lamina_version": lamina.__version__}
    assert conf.flavors["python_function"]["loader_module"] == "lamina.mlflow"
    assert conf.signature.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": (-1, 3)}}]
    assert conf.signature.outputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": (-1, 1)}}]
    assert conf.metadata == {"course": "ml-ops"}
    np.testing.assert_array_equal(conf.load_input_example(str(tmp_path / "model")), x[:2])
    requirements = (tmp_path / "model" / "requirements.txt").read_text().split("\n")
    assert f"lamina=={lamina.__version__}" in requirements
    assert f"mlflow=={mlflow.__version__}" in requirements
    assert_same_weights(lamina.mlflow.load_model(str(tmp_path / "model")), m)


def test_save_model_pip_requirements(tmp_path, make_model):
    lamina.mlflow.save_model(make_model(), str(tmp_path / "a"), extra_pip_requirements=["rich"])
    lamina.mlflow.save_model(make_model(), str(tmp_path / "b"), pip_requirements=["lamina"])
    assert "rich" in (tmp_path / "a" / "requirements.txt").read_text().split("\n")
    assert (tmp_path / "b" / "requirements.txt").read_text().split("\n") == [
        f"mlflow=={mlflow.__version__}", "lamina"]
    assert Model.load(str(tmp_path / "a")).signature is None  # no example, no signature


def test_save_model_refuses_a_folder_that_is_not_empty_and_other_models(tmp_path, make_model):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(mlflow.exceptions.MlflowException, match="already exists"):
        lamina.mlflow.save_model(make_model(), str(tmp_path))
    with pytest.raises(TypeError, match="received dict"):
        lamina.mlflow.save_model({"weights": [1.0]}, str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_log_model_returns_model_info_and_loads_back_by_every_uri(store, regression,
                                                                  make_model):
    (x, y), _ = regression
    m = make_model()
    m.fit(x, y, epochs=1, verbose=0)
    with mlflow.start_run() as run:
        info = lamina.mlflow.log_model(m, name="model", input_example=x[:2])
        old_style = lamina.mlflow.log_model(m, artifact_path="model_v2")  # MLflow 2 spelling
    assert isinstance(info, mlflow.models.model.ModelInfo)
    assert info.run_id == run.info.run_id and set(info.flavors) == {"lamina", "python_function"}
    assert info.signature.inputs.to_dict()[0]["tensor-spec"]["shape"] == (-1, 3)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/model",
                f"runs:/{run.info.run_id}/model_v2", old_style.model_uri):
        assert_same_weights(lamina.mlflow.load_model(uri), m)


def test_registered_model_name_creates_versions_loadable_from_the_registry(store, regression,
                                                                            make_model):
    (x, _), _ = regression
    name = f"regressor-{store.experiment_id}"
    first, second = make_model(), make_model()
    with mlflow.start_run():
        info = lamina.mlflow.log_model(first, name="model", registered_model_name=name)
        lamina.mlflow.log_model(second, name="model", registered_model_name=name)
    assert info.registered_model_version == 1
    versions = store.client.search_model_versions(f"name='{name}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    assert_same_weights(lamina.mlflow.load_model(f"models:/{name}/1"), first)
    assert_same_weights(lamina.mlflow.load_model(f"models:/{name}/2"), second)
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(f"models:/{name}/2").predict(x),
                                  second.predict(x, verbose=0))


class Constant(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return np.zeros(len(model_input))


def test_loading_what_holds_no_lamina_model_names_the_uri_and_what_is_there(store):
    with mlflow.start_run() as run:
        mlflow.log_text("hello", "notes/readme.txt")
        mlflow.pyfunc.log_model(name="constant", python_model=Constant(), pip_requirements=[])
    notes = f"runs:/{run.info.run_id}/notes"
    with pytest.raises(ValueError, match=rf"'{notes}'.*no MLmodel file, only \['readme.txt'\]"):
        lamina.mlflow.load_model(notes)
    constant = f"runs:/{run.info.run_id}/constant"
    with pytest.raises(ValueError, match=rf"'{constant}'.*flavors \['python_function'\], "
                                         "not 'lamina'"):
        lamina.mlflow.load_model(constant)
    missing = f"runs:/{run.info.run_id}/nothing"
    with pytest.raises(OSError, match=rf"'{missing}'.*the run holds the models \['constant'\] "
                                      r"and the artifacts \['notes'\]"):
        lamina.mlflow.load_model(missing)


def test_missing_mlflow_names_the_extra(monkeypatch, tmp_path, make_model):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    for call in (lambda: lamina.mlflow.save_model(make_model(), str(tmp_path / "m")),
                 lambda: lamina.mlflow.load_model("runs:/0/model"),
                 lambda: lamina.mlflow.mlflow):
        with pytest.raises(ImportError, match=r"pip install 'lamina\[mlflow\]'"):
            call()


def test_mirrors_the_public_names_of_mlflow_tensorflow():
    assert lamina.mlflow.mlflow is mlflow
    # mlflow.tensorflow needs TensorFlow to import, so read its public functions from source
    source = pathlib.Path(importlib.util.find_spec("mlflow").submodule_search_locations[0])
    tree = ast.parse((source / "tensorflow" / "__init__.py").read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)
             and not n.name.startswith("_")}
    tensorflow_only = {"get_global_custom_objects", "load_checkpoint"}
    assert {"autolog", "log_model", "save_model", "load_model"} <= names
    for name in sorted(names - tensorflow_only) + ["FLAVOR_NAME", "MLflowCallback",
                                                   "MlflowCallback"]:
        assert hasattr(lamina.mlflow, name), name
    assert lamina.mlflow.FLAVOR_NAME == "lamina"
