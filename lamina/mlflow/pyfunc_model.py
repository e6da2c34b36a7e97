"""The ``python_function`` side of the lamina flavor: what ``mlflow.pyfunc.load_model`` and
``mlflow models serve`` call.

Inputs, as ``mlflow.keras`` and ``mlflow.tensorflow`` take them:

* a NumPy array (or list), or a dict ``{input name: array}`` for a model with several inputs;
* a pandas DataFrame: for one input, its columns are the features (or one column holds a
  list or array per row); for several inputs, each input is a column group, the columns
  named after that input (one column of lists, or several columns sharing the name).
  A model logged with an input example has a signature, and MLflow then turns named
  DataFrame columns into the dict itself.

``predict`` returns what ``model.predict`` returns; for a DataFrame, a DataFrame with the
same index when the output is one 2-D array.
"""
import numpy as np


def _load_pyfunc(path):
    """Called by ``mlflow.pyfunc.load_model`` with the path of the flavor's ``model.keras``."""
    from lamina.models import load_model
    return LaminaPyfuncModel(load_model(path))


def _group_as_array(group):
    """One input's column group (a DataFrame or a Series) as one array."""
    frame = group.to_frame() if group.ndim == 1 else group
    if len(frame.columns) == 1 and frame.dtypes.iloc[0] == object:  # a list or array per row
        return np.stack([np.asarray(cell) for cell in frame.iloc[:, 0]])
    return frame.to_numpy()


class LaminaPyfuncModel:
    """A lamina Model behind MLflow's pyfunc ``predict``.

    Args:
        model: the lamina Model.
    """

    def __init__(self, model):
        self.model = model

    def get_raw_model(self):
        """Returns the lamina Model."""
        return self.model

    def _frame_to_inputs(self, frame):
        names = getattr(self.model, "input_names", None) or []
        if len(names) <= 1:
            return _group_as_array(frame)
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ValueError(f"The model has the inputs {names}, so the DataFrame needs a column "
                             f"group named after each; it has the columns "
                             f"{list(frame.columns)}, missing {missing}.")
        return {name: _group_as_array(frame[name]) for name in names}

    def predict(self, data, params=None):
        """Returns the model's predictions for ``data``.

        Args:
            data: a NumPy array, a list, a dict of arrays (one per input) or a DataFrame.
            params: MLflow's inference parameters; a lamina model's signature declares none,
                so MLflow passes None.

        Returns:
            what ``model.predict(data)`` returns (a DataFrame for a DataFrame, when the
            output is one 2-D array).
        """
        import pandas as pd
        if isinstance(data, pd.DataFrame):
            predictions = self.model.predict(self._frame_to_inputs(data), verbose=0)
            if isinstance(predictions, np.ndarray) and predictions.ndim <= 2:
                return pd.DataFrame(predictions, index=data.index)
            return predictions
        if not isinstance(data, (np.ndarray, list, tuple, dict)):
            raise TypeError("The lamina pyfunc model takes a NumPy array, a list, a dict of "
                            f"arrays or a pandas DataFrame; received {type(data).__name__}.")
        return self.model.predict(data, verbose=0)
