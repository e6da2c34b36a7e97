"""mlflow.pyfunc.load_model(...).predict on lamina models: NumPy, dicts and DataFrames."""
import mlflow
import numpy as np
import pandas as pd
import pytest

import lamina.mlflow
from lamina.mlflow.pyfunc_model import LaminaPyfuncModel


@pytest.mark.parametrize("with_example", [False, True])
def test_pyfunc_predict_equals_predict_for_arrays_and_dataframes(tmp_path, regression,
                                                                 make_model, with_example):
    (x, _), _ = regression
    m = make_model()
    lamina.mlflow.save_model(m, str(tmp_path / "m"), input_example=x[:2] if with_example else None)
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    expected = m.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x), expected)
    frame = pd.DataFrame(x, columns=["rooms", "age", "income"], index=np.arange(100, 148))
    predicted = model.predict(frame)
    if not with_example:  # without a signature the DataFrame reaches the model: same index
        assert isinstance(predicted, pd.DataFrame) and list(predicted.index) == list(frame.index)
    np.testing.assert_array_equal(np.asarray(predicted), expected)


@pytest.fixture
def two_inputs(two_input_model):
    rng = np.random.default_rng(1)
    x = {"a": rng.standard_normal((5, 3)).astype("float32"),
         "b": rng.standard_normal((5, 2)).astype("float32")}
    return two_input_model, x, two_input_model.predict(x, verbose=0)


@pytest.mark.parametrize("with_example", [False, True])
def test_several_inputs_by_dict_or_by_dataframe_columns_of_lists(tmp_path, two_inputs,
                                                                 with_example):
    m, x, expected = two_inputs
    example = {k: v[:2] for k, v in x.items()} if with_example else None
    lamina.mlflow.save_model(m, str(tmp_path / "m"), input_example=example)
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    if with_example:
        assert model.metadata.signature.inputs.input_names() == ["a", "b"]
    np.testing.assert_array_equal(model.predict(x), expected)
    lists = pd.DataFrame({"b": list(x["b"]), "a": list(x["a"])})  # one list per row and input
    np.testing.assert_array_equal(np.asarray(model.predict(lists)), expected)


@pytest.mark.parametrize("with_example", [False, True])
def test_several_inputs_from_every_serving_payload(tmp_path, two_inputs, with_example):
    """The JSON bodies `mlflow models serve` takes, parsed as its scoring server parses them
    (tests/mlflow/test_serving.py runs the real server on a one-input model)."""
    from mlflow.pyfunc.scoring_server import infer_and_parse_data
    m, x, expected = two_inputs
    lamina.mlflow.save_model(m, str(tmp_path / "m"), input_example=x if with_example else None)
    model = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    rows = range(len(expected))
    payloads = [
        {"inputs": {name: v.tolist() for name, v in x.items()}},
        {"instances": [{"a": x["a"][i].tolist(), "b": x["b"][i].tolist()} for i in rows]},
        {"dataframe_split": {"columns": ["a", "b"],
                             "data": [[x["a"][i].tolist(), x["b"][i].tolist()] for i in rows]}}]
    for payload in payloads:
        data = infer_and_parse_data(payload, model.metadata.get_input_schema())
        np.testing.assert_array_equal(np.asarray(model.predict(data)), expected)


def test_several_inputs_by_column_groups(two_inputs):
    m, x, expected = two_inputs
    groups = pd.DataFrame(np.concatenate([x["a"], x["b"]], axis=1),
                          columns=["a", "a", "a", "b", "b"])  # columns named after their input
    np.testing.assert_array_equal(LaminaPyfuncModel(m).predict(groups).to_numpy(), expected)
    with pytest.raises(ValueError, match=r"inputs \['a', 'b'\].*columns \['a', 'a', 'a'\], "
                                         r"missing \['b'\]"):
        LaminaPyfuncModel(m).predict(groups[["a"]])


def test_unsupported_input_type_is_refused(make_model):
    with pytest.raises(TypeError, match="received str"):
        LaminaPyfuncModel(make_model()).predict("1,2,3")
