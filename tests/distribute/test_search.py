"""Hyper-parameter search across processes: scikit-learn's RandomizedSearchCV with the
Keras wrappers, run by joblib's process pool and by a Dask cluster, finds what a serial
search finds."""
import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.model_selection import RandomizedSearchCV

from lamina import keras


def build_classifier(n_neurons=8, learning_rate=0.01):
    keras.utils.set_random_seed(0)  # each fit starts alike, whichever process runs it
    model = keras.Sequential([keras.Input((6,)),
                              keras.layers.Dense(n_neurons, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def search(n_jobs):
    x, y = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3,
                               random_state=0)
    estimator = keras.wrappers.scikit_learn.KerasClassifier(
        build_fn=build_classifier, epochs=4, batch_size=16, verbose=0)
    found = RandomizedSearchCV(
        estimator, {"n_neurons": [4, 8, 16, 32], "learning_rate": [0.001, 0.01, 0.05]},
        n_iter=4, cv=2, random_state=0, n_jobs=n_jobs)
    found.fit(x.astype(np.float32), y)
    return found


def test_joblib_process_pool_and_dask_cluster_find_the_serial_result():
    serial = search(n_jobs=1)
    with joblib.parallel_backend("loky", n_jobs=2):
        pooled = search(n_jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_backend("dask"):
            on_dask = search(n_jobs=-1)
    for other in (pooled, on_dask):
        assert other.best_params_ == serial.best_params_
        np.testing.assert_allclose(other.cv_results_["mean_test_score"],
                                   serial.cv_results_["mean_test_score"])
    assert len(set(serial.cv_results_["mean_test_score"])) > 1  # the search saw differences
