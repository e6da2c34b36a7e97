"""KerasRegressor and KerasClassifier: Keras 2's scikit-learn wrappers
(``keras.wrappers.scikit_learn``), the ones course code uses.

``build_fn`` builds and compiles a model; every keyword argument of the wrapper is either an
argument of ``build_fn`` (a tunable hyperparameter) or of ``Model.fit`` / ``predict`` /
``evaluate`` (epochs, batch_size, verbose, ...).

Example (Hands-On Machine Learning, chapter 10):
    >>> def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):
    ...     model = keras.models.Sequential()
    ...     model.add(keras.layers.InputLayer(input_shape=input_shape))
    ...     for layer in range(n_hidden):
    ...         model.add(keras.layers.Dense(n_neurons, activation="relu"))
    ...     model.add(keras.layers.Dense(1))
    ...     model.compile(loss="mse", optimizer=keras.optimizers.SGD(lr=learning_rate))
    ...     return model
    >>> keras_reg = keras.wrappers.scikit_learn.KerasRegressor(build_model)
    >>> search = RandomizedSearchCV(keras_reg, {"n_hidden": [0, 1, 2, 3], ...}, n_iter=10, cv=3)
    >>> search.fit(X_train, y_train, epochs=100, validation_data=(X_valid, y_valid),
    ...            callbacks=[keras.callbacks.EarlyStopping(patience=10)])
    >>> model = search.best_estimator_.model

Differences from Keras 2: ``score`` is scikit-learn's (R² for the regressor, accuracy for the
classifier) instead of minus the loss; ``predict`` is silent unless ``verbose`` is given; and
a ``build_fn`` with a ``meta`` argument receives what the data tells (``n_features_in_``,
``X_shape_``, ``n_outputs_``, and for the classifier ``classes_``, ``n_classes_``), as in
SciKeras, so it can size the model from the data.
"""
import inspect

import numpy as np

from lamina.models import Model
from lamina.wrappers._utils import (BaseEstimator, ClassifierMixin, RegressorMixin,
                                    apply_random_state, check_inputs, check_model,
                                    classifier_target, encode_labels, require_sklearn)


def _accepts(fn, name):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                 for p in params.values())


class BaseWrapper(BaseEstimator):
    """Base class of KerasRegressor and KerasClassifier.

    Args:
        build_fn: a function (or object with ``__call__``) that returns a compiled Model;
            None to use the subclass's own ``__call__``.
        **sk_params: arguments of ``build_fn`` and of ``Model.fit``, ``predict`` and
            ``evaluate`` (e.g. ``epochs=10, batch_size=32, n_hidden=2``). They are the
            estimator's parameters: ``get_params``/``set_params`` and searches see them.
            ``random_state`` (an int or NumPy RandomState) seeds lamina's generators before
            each fit, so that two fits give the same model.

    Attributes (after fit):
        model: the fitted Model (also ``model_``).
        history_: the History returned by ``Model.fit``.
        n_features_in_: number of input features.
    """

    def __init__(self, build_fn=None, **sk_params):
        require_sklearn(type(self).__name__)
        self.build_fn = build_fn
        self.random_state = sk_params.pop("random_state", None)
        self.sk_params = sk_params
        self.check_params(sk_params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None  # random weights and batch order
        return tags

    def _build_callable(self):
        return self.__call__ if self.build_fn is None else self.build_fn

    def check_params(self, params):
        """Raises ValueError for a parameter that neither ``build_fn`` nor ``Model.fit``,
        ``predict`` or ``evaluate`` accepts."""
        if self.build_fn is None and not callable(getattr(self, "__call__", None)):
            raise ValueError("Pass a `build_fn`, or subclass the wrapper and define __call__.")
        functions = (Model.fit, Model.predict, Model.evaluate, self._build_callable())
        for name in params:
            if name == "meta" or not any(_accepts(fn, name) for fn in functions):
                raise ValueError(f"{name} is not a legal parameter")

    def get_params(self, deep=True):
        """The parameters: ``build_fn`` and every sk_param."""
        params = dict(self.sk_params)
        params["build_fn"] = self.build_fn
        params["random_state"] = self.random_state
        return params

    def set_params(self, **params):
        """Sets parameters (checked as in the constructor); returns self."""
        params = dict(params)
        old_build_fn = self.build_fn
        self.build_fn = params.pop("build_fn", old_build_fn)
        self.random_state = params.pop("random_state", self.random_state)
        try:
            self.check_params(params)
        except ValueError:
            self.build_fn = old_build_fn  # a rejected call changes nothing
            raise
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params that ``fn`` accepts, updated with ``override``."""
        override = override or {}
        params = inspect.signature(fn).parameters
        out = {k: v for k, v in self.sk_params.items() if k in params}
        out.update({k: v for k, v in override.items() if k in params})
        return out

    def _meta(self, X, y):
        return {"n_features_in_": self.n_features_in_, "X_shape_": X.shape,
                "n_outputs_": 1 if y.ndim == 1 else y.shape[1]}

    def _build(self, X, y):
        build = self._build_callable()
        # NOTE: searches draw numpy scalars (np.int64 from np.arange); build_fn gets Python ones
        kwargs = {k: v.item() if isinstance(v, np.generic) else v
                  for k, v in self.filter_sk_params(build).items()}
        if "meta" in inspect.signature(build).parameters:
            kwargs["meta"] = self._meta(X, y)
        model = build(**kwargs)
        check_model(model, f"build_fn {getattr(build, '__name__', build)}")
        return model

    def _fit(self, X, y, fit_y, val_y, kwargs):
        apply_random_state(self.random_state)
        self.model = self._build(X, y)
        fit_y = fit_y(self.model)
        fit_args = self.filter_sk_params(Model.fit)
        fit_args.update(kwargs)
        if fit_args.get("validation_data") is not None:
            x_val, y_val, *rest = fit_args["validation_data"]
            fit_args["validation_data"] = (check_inputs(self, x_val, reset=False),
                                           val_y(self.model, y_val), *rest)
        self.history_ = self.model.fit(X, fit_y, **fit_args)
        self.model_ = self.model
        return self.history_

    def _predict_raw(self, X, **kwargs):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self, "model_")
        X = check_inputs(self, X, reset=False)
        kwargs = self.filter_sk_params(Model.predict, kwargs)
        kwargs.setdefault("verbose", 0)
        return self.model.predict(X, **kwargs)


class KerasRegressor(RegressorMixin, BaseWrapper):
    """scikit-learn regressor around a model from ``build_fn`` (Keras 2's
    ``keras.wrappers.scikit_learn.KerasRegressor``). ``score`` is R², as in scikit-learn.
    See ``BaseWrapper`` for the arguments."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags

    def fit(self, x, y, **kwargs):
        """Builds a new model with ``build_fn`` and trains it.

        Args:
            x: inputs, shape (n_samples, n_features) (or more axes).
            y: targets, shape (n_samples,) or (n_samples, n_outputs).
            **kwargs: arguments of ``Model.fit`` (epochs, validation_data, callbacks, ...),
                over the sk_params.

        Returns:
            the History of the fit.
        """
        x, y = check_inputs(self, x, y, reset=True)
        y = np.asarray(y, dtype="float32")
        return self._fit(x, y, lambda model: y,
                         lambda model, y_val: np.asarray(y_val, dtype="float32"), kwargs)

    def predict(self, x, **kwargs):
        """Predicted values (float64); shape (n_samples,) for a model with one output unit."""
        y = np.asarray(self._predict_raw(x, **kwargs), dtype=np.float64)
        return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """scikit-learn classifier around a model from ``build_fn`` (Keras 2's
    ``keras.wrappers.scikit_learn.KerasClassifier``).

    Labels (numbers or strings) become indices into ``classes_`` for training, or one-hot
    rows when the model's loss is categorical cross-entropy. The model should output one
    probability per class (softmax), or one probability (sigmoid) for two classes.
    ``score`` is the accuracy. See ``BaseWrapper`` for the arguments.

    Attributes (after fit):
        classes_: the sorted class labels; n_classes_: their number.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _meta(self, X, y):
        meta = super()._meta(X, y)
        meta.update(classes_=self.classes_, n_classes_=self.n_classes_)
        return meta

    def _encode(self, model, y, name="y"):
        index = encode_labels(y, self.classes_, name)
        if _is_categorical_crossentropy(model.loss):
            return np.eye(self.n_classes_, dtype="float32")[index]
        return index

    def fit(self, x, y, **kwargs):
        """Builds a new model with ``build_fn`` and trains it on the labels ``y``
        (or on one-hot rows, shape (n_samples, n_classes)).

        Returns:
            the History of the fit.
        """
        x, y = check_inputs(self, x, y, reset=True)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:  # already one-hot
            self.classes_ = np.arange(y.shape[1])
            labels = np.argmax(y, axis=1)
        else:
            labels = classifier_target(y)
            self.classes_ = np.unique(labels)
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ == 1:
            raise ValueError("Classifier can't train when only one class is present.")
        return self._fit(x, labels, lambda model: self._encode(model, labels),
                         lambda model, y_val: self._encode(
                             model, np.argmax(y_val, axis=1) if np.ndim(y_val) == 2 and
                             np.shape(y_val)[1] > 1 else y_val, "validation_data's y"), kwargs)

    def predict_proba(self, x, **kwargs):
        """Class probabilities, shape (n_samples, n_classes); a one-unit (sigmoid) model's
        output p becomes the two columns [1 - p, p]."""
        probs = self._predict_raw(x, **kwargs)
        if probs.ndim == 2 and probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x, **kwargs):
        """Predicted class labels, from ``classes_``."""
        probs = self._predict_raw(x, **kwargs)
        if probs.ndim == 2 and probs.shape[1] > self.n_classes_:
            raise ValueError(f"The model outputs {probs.shape[1]} values per sample, but fit saw "
                             f"{self.n_classes_} classes {self.classes_}: its last layer should "
                             f"have {self.n_classes_} units.")
        if probs.ndim == 2 and probs.shape[1] > 1:
            index = np.argmax(probs, axis=1)
        else:
            index = (np.reshape(probs, -1) > 0.5).astype(int)
        return self.classes_[index]


def _is_categorical_crossentropy(loss):
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
    return name in ("categorical_crossentropy", "CategoricalCrossentropy")
