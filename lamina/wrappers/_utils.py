"""What both scikit-learn wrappers share: the optional import, input checks, targets."""
import numpy as np

from lamina import backend, models
from lamina.metrics import Metric
from lamina.models import Model
from lamina.utils.random import set_random_seed

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError:  # the wrappers raise a clear error when they are created
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass


def require_sklearn(name):
    """Raises ImportError naming the extra to install when scikit-learn is missing."""
    if sklearn is None:
        raise ImportError(f"{name} needs scikit-learn, which is not installed. Install it "
                          "with: pip install 'lamina[sklearn]'")


def check_inputs(estimator, X, y=None, reset=True):
    """Validates X (and y) as scikit-learn does, records ``n_features_in_`` when ``reset``,
    and returns X as an array of floatx (y as an array)."""
    from sklearn.utils.validation import validate_data
    if y is None and reset:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y "
                         "is None.")
    if y is None:
        X = validate_data(estimator, X, reset=reset, allow_nd=True)
    else:
        X, y = validate_data(estimator, X, y, reset=reset, allow_nd=True, multi_output=True)
    X = np.asarray(X, dtype=backend.floatx())
    return X if y is None else (X, y)


def check_model(model, where):
    """The build function must return a compiled lamina Model."""
    if not isinstance(model, Model):
        raise TypeError(f"{where} must return a lamina Model; it returned {model!r}")
    if not model.compiled:
        raise ValueError(f"{where} must return a compiled model: call model.compile(...) "
                         "before returning it.")


def classifier_target(y):
    """Checks a classification target: binary or multiclass labels, as a 1-D array (a column
    vector is flattened with scikit-learn's DataConversionWarning)."""
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import column_or_1d
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    kind = type_of_target(y, raise_unknown=True)
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"Only binary and multiclass target types are supported. "
                         f"Target type: {kind}")
    return y


def encode_labels(y, classes, name="y"):
    """Indices of the labels ``y`` in the sorted array ``classes``."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if np.any(unknown):
        raise ValueError(f"{name} contains labels not seen in fit: {np.unique(y[unknown])[:5]}; "
                         f"the known classes are {classes}")
    return index


def apply_random_state(random_state):
    """Seeds lamina's generators (initial weights, shuffling, dropout) from ``random_state``
    (an int or a NumPy RandomState, as scikit-learn takes it) so that fits repeat exactly;
    None leaves them as they are."""
    if random_state is None:
        return
    from sklearn.utils import check_random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(2**31 - 1))
    set_random_seed(seed)


def _fresh_metric(metric):
    """A metric of a compile call, for another model: a Metric object is rebuilt (no shared
    state); names and functions are kept."""
    if isinstance(metric, Metric):
        return type(metric).from_config(metric.get_config())
    if isinstance(metric, (list, tuple)):
        return type(metric)(_fresh_metric(m) for m in metric)
    if isinstance(metric, dict):
        return {k: _fresh_metric(m) for k, m in metric.items()}
    return metric


def fresh_copy(model):
    """A new model with the same architecture and compile settings, and new weights."""
    clone_model = getattr(models, "clone_model", None)
    try:
        new = clone_model(model) if clone_model else type(model).from_config(model.get_config())
    except Exception as e:
        raise NotImplementedError(
            f"Cannot clone model '{model.name}' ({e}). Pass a function that builds and compiles "
            "the model instead (model=build_fn).") from e
    if model.compiled:
        optimizer = type(model.optimizer).from_config(model.optimizer.get_config())
        metrics, weighted_metrics = getattr(model, "_metric_specs", (None, None))
        new.compile(optimizer=optimizer, loss=model.loss, loss_weights=model.loss_weights,
                    metrics=_fresh_metric(metrics),
                    weighted_metrics=_fresh_metric(weighted_metrics))
    return new
