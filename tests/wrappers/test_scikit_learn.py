"""scikit-learn wrappers: KerasRegressor/KerasClassifier (Keras 2) and SKLearnRegressor/
SKLearnClassifier (Keras 3), used with scikit-learn's own tools and checks."""
import warnings

import numpy as np
import pytest

from lamina import keras

from scipy.stats import reciprocal  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import (GridSearchCV, RandomizedSearchCV,  # noqa: E402
                                     cross_val_score)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

KerasRegressor = keras.wrappers.scikit_learn.KerasRegressor
KerasClassifier = keras.wrappers.scikit_learn.KerasClassifier
SKLearnRegressor = keras.wrappers.SKLearnRegressor
SKLearnClassifier = keras.wrappers.SKLearnClassifier


# --- build functions (module level, so that n_jobs=2 workers can unpickle them) ---
def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):
    """The course's build function (Hands-On ML, chapter 10)."""
    model = keras.models.Sequential()
    model.add(keras.layers.InputLayer(input_shape=input_shape))
    for layer in range(n_hidden):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1))
    optimizer = keras.optimizers.SGD(lr=learning_rate)
    model.compile(loss="mse", optimizer=optimizer)
    return model


def build_classifier(n_neurons=16, loss="sparse_categorical_crossentropy", n_classes=3):
    model = keras.Sequential([keras.layers.Dense(n_neurons, activation="relu"),
                              keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate=0.05),
                  metrics=["accuracy"])
    return model


def dynamic_model(X, y, loss="mse", hidden=16, learning_rate=0.02):
    """Keras 3 style: sizes its input and output from the data."""
    output_activation = "softmax" if loss == "categorical_crossentropy" else None
    model = keras.Sequential([keras.Input((X.shape[1],)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(y.shape[1], activation=output_activation)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss)
    return model


def meta_regressor(meta, hidden=8):
    model = keras.Sequential([keras.Input((meta["n_features_in_"],)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(meta["n_outputs_"])])
    model.compile(optimizer="adam", loss="mse")
    return model


def meta_classifier(meta, hidden=8):
    model = keras.Sequential([keras.Input((meta["n_features_in_"],)),
                              keras.layers.Dense(hidden, activation="relu"),
                              keras.layers.Dense(meta["n_classes_"], activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def housing(n=240, seed=0):
    """A California-housing-like regression: 8 features, a smooth target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 8)).astype("float32")
    y = X[:, 0] - 0.5 * X[:, 1] + 0.25 * X[:, 2] ** 2 + 0.05 * rng.standard_normal(n)
    return X, y.astype("float32")


def blobs(n=150, seed=0, labels=("cat", "dog", "owl")):
    rng = np.random.default_rng(seed)
    index = rng.integers(0, 3, n)
    centers = np.array([[3, 0], [0, 3], [-3, -3]], dtype="float32")
    X = centers[index] + 0.5 * rng.standard_normal((n, 2)).astype("float32")
    return X, np.array(labels)[index]


# --- Keras 2 path: keras.wrappers.scikit_learn ---
def test_params_are_build_fn_and_sk_params():
    reg = KerasRegressor(build_model, n_hidden=2, epochs=3, verbose=0)
    assert reg.get_params() == {"build_fn": build_model, "n_hidden": 2, "epochs": 3,
                                "verbose": 0, "random_state": None}
    assert reg.set_params(n_neurons=5) is reg and reg.get_params()["n_neurons"] == 5
    with pytest.raises(ValueError, match="bogus is not a legal parameter"):
        reg.set_params(bogus=1)
    with pytest.raises(ValueError, match="bogus is not a legal parameter"):
        KerasRegressor(build_model, bogus=1)
    copy = clone(reg)
    assert copy is not reg and copy.get_params() == reg.get_params()
    assert "n_hidden=2" in repr(reg)


def test_regressor_fit_passes_fit_arguments_and_scores_r2():
    X, y = housing()
    X_valid, y_valid = housing(60, 1)
    seen = []
    reg = KerasRegressor(build_model, learning_rate=0.02, verbose=0)
    history = reg.fit(X, y, epochs=6, validation_data=(X_valid, y_valid), callbacks=[
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))])
    assert seen == list(range(6))
    assert history is reg.history_ and len(history.history["val_loss"]) == 6
    assert isinstance(reg.model, keras.Model) and reg.n_features_in_ == 8
    prediction = reg.predict(X_valid)
    assert prediction.shape == (60,) and prediction.dtype == np.float64
    assert reg.score(X_valid, y_valid) == pytest.approx(r2_score(y_valid, prediction))
    assert reg.score(X_valid, y_valid) > 0.5
    reg.fit(X, y, epochs=2)  # a new model each fit
    assert len(reg.history_.history["loss"]) == 2


def test_course_randomized_search_over_build_model():
    X_train, y_train = housing()
    X_valid, y_valid = housing(60, 1)
    keras_reg = KerasRegressor(build_model, verbose=0)
    param_distribs = {"n_hidden": [0, 1, 2], "n_neurons": np.arange(1, 30),
                      "learning_rate": reciprocal(3e-4, 3e-2)}
    search = RandomizedSearchCV(keras_reg, param_distribs, n_iter=3, cv=3, random_state=42)
    search.fit(X_train, y_train, epochs=8, validation_data=(X_valid, y_valid),
               callbacks=[keras.callbacks.EarlyStopping(patience=10)])
    assert set(search.best_params_) == {"n_hidden", "n_neurons", "learning_rate"}
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    model = search.best_estimator_.model
    assert isinstance(model, keras.Model)
    assert len(model.layers) == search.best_params_["n_hidden"] + 1
    assert np.isfinite(search.score(X_valid, y_valid))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_with_n_jobs(n_jobs):
    X, y = housing(120)
    search = GridSearchCV(KerasRegressor(build_model, verbose=0, epochs=3),
                          {"n_hidden": [0, 1], "learning_rate": [0.01]}, cv=2, n_jobs=n_jobs)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.predict(X).shape == (120,)


def test_pipeline_with_scaler_and_cross_val_score():
    X, y = housing(150)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("reg", KerasRegressor(build_model, epochs=5, verbose=0,
                                                learning_rate=0.02))])
    scores = cross_val_score(pipeline, X * 100 + 7, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    pipeline.set_params(reg__n_hidden=2)
    assert pipeline.named_steps["reg"].get_params()["n_hidden"] == 2


def test_classifier_string_labels_proba_and_accuracy():
    X, y = blobs()
    clf = KerasClassifier(build_classifier, epochs=15, verbose=0)
    clf.fit(X, y, validation_data=blobs(30, 1))
    assert list(clf.classes_) == ["cat", "dog", "owl"] and clf.n_classes_ == 3
    predicted = clf.predict(X)
    assert set(predicted) <= {"cat", "dog", "owl"}
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], predicted)
    assert clf.score(X, y) == pytest.approx(accuracy_score(y, predicted))
    assert clf.score(X, y) > 0.9
    assert "val_loss" in clf.history_.history


def test_classifier_one_hot_encodes_for_categorical_crossentropy():
    X, y = blobs(90)
    clf = KerasClassifier(build_classifier, loss="categorical_crossentropy", epochs=10,
                          verbose=0)
    clf.fit(X, y, validation_data=blobs(30, 1))
    assert clf.score(X, y) > 0.8


def test_binary_classifier_with_one_sigmoid_unit():
    def build_binary():
        model = keras.Sequential([keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1),
                      loss="binary_crossentropy")
        return model
    X, y = blobs(100, labels=("no", "yes", "yes"))
    clf = KerasClassifier(build_binary, epochs=10, verbose=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(proba[:, 1] > 0.5).astype(int)])


def test_wrong_output_size_is_explained():
    X, y = blobs(60)
    clf = KerasClassifier(build_classifier, n_classes=5, epochs=1, verbose=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="should have 3 units"):
        clf.predict(X)


# --- Keras 3 path: keras.wrappers.SKLearn* ---
def test_sklearn_regressor_model_kwargs_and_fit_kwargs():
    X, y = housing()
    reg = SKLearnRegressor(model=dynamic_model, model_kwargs={"hidden": 8},
                           fit_kwargs={"epochs": 4, "verbose": 0})
    assert reg.fit(X, y) is reg
    assert len(reg.history_.history["loss"]) == 4 and reg.epoch_ == 4
    assert reg.model_.layers[0].units == 8
    assert reg.predict(X).shape == (240,)
    reg.fit(X, y, epochs=2, validation_data=housing(30, 1))  # fit's own arguments win
    assert len(reg.history_.history["val_loss"]) == 2
    assert reg.fit_kwargs == {"epochs": 4, "verbose": 0}  # not changed by fit
    y2 = np.stack([y, -y], axis=1)
    assert reg.fit(X, y2).predict(X).shape == (240, 2)
    assert reg.score(X, y2) == pytest.approx(r2_score(y2, reg.predict(X)))


def test_sklearn_classifier_string_labels_and_grid_search():
    X, y = blobs()
    clf = SKLearnClassifier(model=dynamic_model,
                            model_kwargs={"loss": "categorical_crossentropy"},
                            fit_kwargs={"epochs": 15, "verbose": 0})
    clf.fit(X, y)
    assert list(clf.classes_) == ["cat", "dog", "owl"]
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert clf.score(X, y) > 0.9
    grid = {"model_kwargs": [{"loss": "categorical_crossentropy", "hidden": 4},
                             {"loss": "categorical_crossentropy", "hidden": 12}]}
    search = GridSearchCV(clf, grid, cv=2, n_jobs=2).fit(X, y)
    assert search.best_params_["model_kwargs"] in grid["model_kwargs"]
    assert search.best_estimator_.predict(X[:5]).shape == (5,)


def test_sklearn_wrappers_in_a_pipeline_with_cross_val_score():
    X, y = housing(150)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("reg", SKLearnRegressor(dynamic_model,
                                                  fit_kwargs={"epochs": 4, "verbose": 0}))])
    scores = cross_val_score(pipeline, X * 50, y, cv=3)
    assert np.isfinite(scores).all()


def test_sklearn_wrapper_with_a_compiled_model_instance():
    X, y = housing(100)
    base = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    base.compile(optimizer="sgd", loss="mse",
                 metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")],
                 weighted_metrics=["mse"])
    reg = SKLearnRegressor(model=base, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, y)
    assert reg.model_ is not base and reg.predict(X).shape == (100,)
    assert sorted(reg.history_.history) == ["loss", "mae", "mse", "rmse"]
    rmse = [m for m in reg.model_.metrics if m.name == "rmse"]
    assert rmse and rmse[0] not in base.metrics  # a new metric, with its own state


@pytest.mark.parametrize("make", [
    lambda seed: SKLearnRegressor(dynamic_model, fit_kwargs={"epochs": 2, "verbose": 0},
                                  random_state=seed),
    lambda seed: KerasRegressor(meta_regressor, epochs=2, verbose=0, random_state=seed)])
def test_random_state_makes_fits_repeat(make):
    X, y = housing(60)
    a, b = make(3), make(3)
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.get_params()["random_state"] == 3
    c = make(4)
    c.fit(X, y)
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_bad_build_functions_are_explained():
    X, y = housing(40)
    with pytest.raises(ValueError, match="compiled"):
        SKLearnRegressor(model=lambda X, y: keras.Sequential([keras.layers.Dense(1)])).fit(X, y)
    with pytest.raises(TypeError, match="must return a lamina Model"):
        KerasRegressor(lambda: "not a model").fit(X, y)


def test_missing_sklearn_names_the_extra(monkeypatch):
    from lamina.wrappers import _utils
    monkeypatch.setattr(_utils, "sklearn", None)
    with pytest.raises(ImportError, match=r"lamina\[sklearn\]"):
        KerasRegressor(build_model)
    with pytest.raises(ImportError, match=r"lamina\[sklearn\]"):
        SKLearnClassifier(dynamic_model)


# --- scikit-learn's own estimator checks ---
# Checks that the Keras 2 API contradicts: each is run and reported as xfail. The checks
# that compare two fits pass because scikit-learn sets ``random_state``, which seeds lamina.
KERAS2 = {
    "check_no_attributes_set_in_init": "Keras 2's API keeps build_fn's arguments in sk_params",
    "check_do_not_raise_errors_in_init_or_set_params": "Keras 2's API rejects unknown "
                                                       "parameters when they are set",
    "check_parameters_default_constructible": "Keras 2's API needs build_fn (or a subclass "
                                              "with __call__)",
    "check_dont_overwrite_parameters": "Keras 2's API stores the fitted model as `model` "
                                       "(search.best_estimator_.model in course code)",
    "check_estimators_fit_returns_self": "Keras 2's fit returns the History",
    "check_readonly_memmap_input": "Keras 2's fit returns the History",
}
EXPECTED_FAILED_CHECKS = {
    "SKLearnRegressor": {},
    "SKLearnClassifier": {},
    "KerasRegressor": KERAS2,
    "KerasClassifier": KERAS2,
}


@parametrize_with_checks(
    [SKLearnRegressor(dynamic_model, fit_kwargs={"epochs": 2, "verbose": 0}, random_state=0),
     SKLearnClassifier(dynamic_model, model_kwargs={"loss": "categorical_crossentropy"},
                       fit_kwargs={"epochs": 5, "verbose": 0}, random_state=0),
     KerasRegressor(meta_regressor, epochs=2, verbose=0, random_state=0),
     KerasClassifier(meta_classifier, epochs=5, verbose=0, random_state=0)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS[type(estimator).__name__])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)
