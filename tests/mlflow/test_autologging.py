"""lamina.mlflow.autolog against a real MLflow tracking store (SQLite)."""
import mlflow
import numpy as np
import pytest

import lamina.mlflow


def test_autolog_logs_params_metrics_and_summary_to_the_users_run(store, regression,
                                                                   make_model, tmp_path):
    lamina.mlflow.autolog()
    m = make_model()
    (x, y), validation = regression
    with mlflow.start_run() as run:
        mlflow.log_params({"dataset": "synthetic"})
        history = m.fit(x, y, epochs=3, batch_size=16, validation_data=validation, verbose=0)
        mlflow.log_metric("test_mse", 0.5)
        assert mlflow.active_run().info.run_id == run.info.run_id  # the user's run stays open
    logged = store.client.get_run(run.info.run_id)
    assert logged.info.status == "FINISHED"
    params = logged.data.params
    assert params["epochs"] == "3" and params["batch_size"] == "16"
    assert params["loss"] == "mse"
    assert params["optimizer_name"] == m.optimizer.name
    assert float(params["optimizer_learning_rate"]) == pytest.approx(0.02)
    assert params["optimizer_beta_1"] == "0.9"
    assert params["dataset"] == "synthetic"  # the user's own logging still works
    assert logged.data.metrics["test_mse"] == 0.5
    for key in ("loss", "mae", "val_loss", "val_mae"):
        points = store.client.get_metric_history(run.info.run_id, key)
        assert [p.step for p in points] == [0, 1, 2]
        np.testing.assert_allclose([p.value for p in points], history.history[key], rtol=1e-6)
    assert "model_summary.txt" in [a.path for a in store.client.list_artifacts(run.info.run_id)]
    text = open(store.client.download_artifacts(run.info.run_id, "model_summary.txt",
                                                str(tmp_path))).read()
    lines = []
    m.summary(print_fn=lines.append)
    assert text == "\n".join(lines)


def test_autolog_called_inside_the_users_run(store, regression, make_model):
    (x, y), _ = regression
    with mlflow.start_run() as run:
        lamina.mlflow.autolog(log_models=False)
        make_model().fit(x, y, epochs=2, verbose=0)
    assert store.client.get_run(run.info.run_id).data.params["epochs"] == "2"
    assert len(store.runs()) == 1


def test_autolog_without_a_run_starts_and_ends_one_per_fit(store, regression, make_model):
    lamina.mlflow.autolog(log_models=False, extra_tags={"team": "course"})
    (x, y), _ = regression
    make_model().fit(x, y, epochs=2, verbose=0)
    make_model().fit(x, y, epochs=1, verbose=0)
    assert mlflow.active_run() is None
    finished = store.runs()
    assert len(finished) == 2
    assert all(r.info.status == "FINISHED" and r.data.tags["team"] == "course" for r in finished)
    assert sorted(r.data.params["epochs"] for r in finished) == ["1", "2"]


def test_failed_fit_marks_its_run_failed(store, regression, make_model):
    lamina.mlflow.autolog()
    (x, y), _ = regression
    with pytest.raises(ValueError):
        make_model().fit(x[:, :2], y, epochs=1, verbose=0)  # wrong number of features
    assert mlflow.active_run() is None
    assert [r.info.status for r in store.runs()] == ["FAILED"]


def test_second_fit_in_one_run_keeps_the_first_params_and_warns(store, regression, make_model):
    lamina.mlflow.autolog(log_models=False)
    (x, y), _ = regression
    m = make_model()
    with mlflow.start_run() as run:
        m.fit(x, y, epochs=2, verbose=0)
        with pytest.warns(UserWarning, match="epochs"):
            m.fit(x, y, epochs=3, verbose=0)
    assert store.client.get_run(run.info.run_id).data.params["epochs"] == "2"


def test_disable_stops_logging(store, regression, make_model):
    (x, y), _ = regression
    lamina.mlflow.autolog()
    lamina.mlflow.autolog(disable=True)
    make_model().fit(x, y, epochs=1, verbose=0)
    assert store.runs() == []


def test_autolog_logs_the_model_through_the_lamina_flavor(store, regression, make_model):
    lamina.mlflow.autolog(registered_model_name=f"autolog-{store.experiment_id}",
                          log_input_examples=True)
    (x, y), _ = regression
    m = make_model()
    with mlflow.start_run() as run:
        m.fit(x, y, epochs=2, verbose=0)
    uri = f"runs:/{run.info.run_id}/model"
    info = mlflow.models.get_model_info(uri)
    assert set(info.flavors) == {"lamina", "python_function"}
    assert info.saved_input_example_info["type"] == "ndarray"
    assert info.signature.inputs.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": (-1, 3)}}]
    expected = m.predict(x, verbose=0)
    np.testing.assert_array_equal(lamina.mlflow.load_model(uri).predict(x, verbose=0), expected)
    np.testing.assert_array_equal(mlflow.pyfunc.load_model(uri).predict(x), expected)
    version = store.client.get_model_version(f"autolog-{store.experiment_id}", "1")
    assert version.run_id == run.info.run_id


def test_the_courses_mlflow_block_runs_with_only_the_import_changed(store, regression,
                                                                    make_model):
    import lamina.mlflow as mlflow_tensorflow  # was: import mlflow.tensorflow
    (x, y), (x_test, y_test) = regression
    model = make_model()
    mlflow_tensorflow.mlflow.set_experiment("course-mlflow-block")
    with mlflow_tensorflow.mlflow.start_run() as run:
        mlflow_tensorflow.autolog()
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        predictions = model.predict(x_test, verbose=0)
        test_loss, test_mae = model.evaluate(x_test, y_test, verbose=0)
        mlflow_tensorflow.mlflow.log_metric("test_loss", test_loss)
        mlflow_tensorflow.mlflow.log_metric("test_mae", test_mae)
    logged = store.client.get_run(run.info.run_id)
    assert store.client.get_experiment(logged.info.experiment_id).name == "course-mlflow-block"
    assert logged.data.params["epochs"] == "3"
    assert logged.data.metrics["test_loss"] == pytest.approx(test_loss)
    assert logged.data.metrics["test_mae"] == pytest.approx(test_mae)
    assert [p.step for p in store.client.get_metric_history(run.info.run_id, "loss")] == [0, 1, 2]
    loaded = mlflow_tensorflow.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(x_test, verbose=0), predictions)


def test_missing_mlflow_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ImportError, match=r"lamina\[mlflow\]"):
        lamina.mlflow.autolog()
