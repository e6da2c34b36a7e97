"""lamina.mlflow.MlflowCallback against a real MLflow tracking store (SQLite)."""
import mlflow
import pytest

import lamina.mlflow


def test_callback_logs_every_n_steps(store, regression, make_model):
    (x, y), _ = regression  # 48 samples, batch 8: 6 steps per epoch
    with mlflow.start_run() as run:
        make_model().fit(x, y, epochs=2, batch_size=8, verbose=0,
                         callbacks=[lamina.mlflow.MlflowCallback(log_every_epoch=False,
                                                                 log_every_n_steps=4)])
    points = store.client.get_metric_history(run.info.run_id, "loss")
    assert [p.step for p in points] == [4, 8, 12]


def test_callback_refuses_both_epoch_and_step_logging():
    with pytest.raises(ValueError, match="log_every_n_steps"):
        lamina.mlflow.MlflowCallback(log_every_epoch=True, log_every_n_steps=3)
    with pytest.raises(ValueError, match="log_every_n_steps"):
        lamina.mlflow.MlflowCallback(log_every_epoch=False)
