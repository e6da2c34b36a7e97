"""SKLearnRegressor and SKLearnClassifier: Keras 3's scikit-learn wrappers (``keras.wrappers``).

The model comes from ``model``: a function ``model(X=X, y=y, **model_kwargs)`` that builds
and compiles it (so it can size its input and output from the data), or a compiled Model,
copied with fresh weights for each fit. Tune it by searching over ``model_kwargs`` (whole
dicts) and ``fit_kwargs``.

Example:
    >>> def build(X, y, hidden=16):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)),
    ...                               keras.layers.Dense(hidden, activation="relu"),
    ...                               keras.layers.Dense(y.shape[1])])
    ...     model.compile(optimizer="adam", loss="mse")
    ...     return model
    >>> reg = SKLearnRegressor(model=build, model_kwargs={"hidden": 32}, fit_kwargs={"epochs": 20})
    >>> cross_val_score(reg, X, y, cv=3)
"""
import numpy as np

from lamina.models import Model
from lamina.wrappers._utils import (BaseEstimator, ClassifierMixin, RegressorMixin,
                                    apply_random_state, check_inputs, check_model,
                                    classifier_target, encode_labels, fresh_copy,
                                    require_sklearn)


class SKLBase(BaseEstimator):
    """Base class of the Keras 3 scikit-learn wrappers.

    Args:
        model: a function ``model(X, y, **model_kwargs)`` returning a compiled Model, or a
            compiled Model (each fit trains a copy with fresh weights, unless ``warm_start``).
        warm_start: reuse the model and weights of the previous fit.
        model_kwargs: keyword arguments for ``model`` when it is a function.
        fit_kwargs: keyword arguments for ``Model.fit`` (epochs, batch_size, callbacks, ...);
            those given to ``fit`` itself take precedence.
        random_state: an int (or NumPy RandomState) that seeds lamina's generators before
            each fit (``keras.utils.set_random_seed``), so two fits give the same model;
            None: a new random start each time.

    Attributes (after fit):
        model_: the fitted Model.
        history_: the History returned by ``Model.fit``.
        n_features_in_: number of input features.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.random_state = random_state
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None  # random weights and batch order
        return tags

    @property
    def epoch_(self):
        """Number of epochs run by the last fit."""
        history = getattr(self, "history_", None)
        return len(history.epoch) if history is not None else 0

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return fresh_copy(self.model)
        if not callable(self.model):
            raise TypeError("`model` must be a compiled Model or a function returning one; "
                            f"received {self.model!r}")
        model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        check_model(model, f"The `model` function {getattr(self.model, '__name__', self.model)}")
        return model

    def fit(self, X, y, **kwargs):
        """Builds the model and trains it.

        Args:
            X: inputs, shape (n_samples, n_features) (or more axes).
            y: targets, shape (n_samples,) or (n_samples, n_outputs).
            **kwargs: passed to ``Model.fit`` (epochs, batch_size, validation_data,
                callbacks, ...), over ``fit_kwargs``.

        Returns:
            self.
        """
        X, y = check_inputs(self, X, y, reset=True)
        y = self._process_target(y, reset=True)
        apply_random_state(self.random_state)
        model = self._get_model(X, y)
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        if fit_kwargs.get("validation_data") is not None:
            x_val, y_val, *rest = fit_kwargs["validation_data"]
            fit_kwargs["validation_data"] = (check_inputs(self, x_val, reset=False),
                                             self._process_target(y_val), *rest)
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def _raw_predict(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = check_inputs(self, X, reset=False)
        return self.model_.predict(X, verbose=0)

    def predict(self, X):
        """Predictions for X: values (regressor) or class labels (classifier)."""
        return self._reverse_process_target(self._raw_predict(X))

    def _process_target(self, y, reset=False):
        """Regressor: y as 2-D columns (remembering whether it was 1-D)."""
        y = np.asarray(y, dtype="float32")
        if reset:
            self._y_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _reverse_process_target(self, y):
        return y[:, 0] if self._y_ndim == 1 and y.ndim == 2 and y.shape[1] == 1 else y


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a lamina model (Keras 3's ``keras.wrappers``).

    ``model(X, y, **model_kwargs)`` receives y as a 2-D array (n_samples, n_outputs);
    ``predict`` returns the shape y had in ``fit``; ``score`` is R², as in scikit-learn.
    See ``SKLBase`` for the arguments.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # a few epochs do not reach sklearn's thresholds
        tags.target_tags.multi_output = True  # y of shape (n_samples, n_outputs) works
        return tags

    def predict(self, X):
        """Predicted values (float64, as scikit-learn regressors return), shaped like y."""
        return np.asarray(super().predict(X), dtype=np.float64)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a lamina model (Keras 3's ``keras.wrappers``).

    Labels (numbers or strings) are one-hot encoded: ``model(X, y, **model_kwargs)`` receives
    y of shape (n_samples, n_classes) and should end with ``Dense(n_classes, activation=
    'softmax')`` and a categorical cross-entropy loss. ``predict`` returns labels from
    ``classes_``, ``predict_proba`` the model's outputs, and ``score`` the accuracy.
    See ``SKLBase`` for the arguments.

    Attributes (after fit):
        classes_: the sorted class labels.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _process_target(self, y, reset=False):
        y = classifier_target(y)
        if reset:
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        index = encode_labels(y, self.classes_)
        return np.eye(len(self.classes_), dtype="float32")[index]

    def _reverse_process_target(self, y):
        return self.classes_[np.argmax(y, axis=-1)]

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        return self._raw_predict(X)
