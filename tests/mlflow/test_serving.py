"""`mlflow models serve` on a registered lamina model answers real JSON requests."""
import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import mlflow
import numpy as np

import lamina
import lamina.mlflow

START_TIMEOUT = 120  # seconds; the server imports mlflow and lamina twice (CLI, then uvicorn)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(model_uri, tracking_uri, folder):
    """Runs `mlflow models serve` until /ping answers; yields its base URL; stops it."""
    port = free_port()
    env = dict(os.environ, MLFLOW_TRACKING_URI=tracking_uri,
               PYTHONPATH=os.pathsep.join(filter(None, [  # the lamina under test
                   str(pathlib.Path(lamina.__file__).parents[1]), os.environ.get("PYTHONPATH")])))
    log = open(folder / "serve.log", "w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager",
         "local", "-p", str(port), "-h", "127.0.0.1"],
        env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"{url}/ping", timeout=2)
                break
            except OSError:
                log.seek(0)
                assert server.poll() is None, f"the server stopped:\n{log.read()}"
                assert time.monotonic() < deadline, \
                    f"no /ping after {START_TIMEOUT}s:\n{log.read()}"
                time.sleep(0.25)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the CLI and the uvicorn it started
        server.wait(timeout=30)
        log.close()


def invoke(url, payload):
    request = urllib.request.Request(f"{url}/invocations", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        return json.loads(urllib.request.urlopen(request, timeout=30).read())
    except urllib.error.HTTPError as e:
        raise AssertionError(f"HTTP {e.code}: {e.read().decode()}") from e


def test_served_model_answers_dataframe_split_and_instances(store, regression, make_model,
                                                            tmp_path):
    (x, y), _ = regression
    m = make_model()
    m.fit(x, y, epochs=2, verbose=0)
    name = f"served-{store.experiment_id}"
    with mlflow.start_run():
        lamina.mlflow.log_model(m, name="model", input_example=x[:2], registered_model_name=name)
    expected = m.predict(x[:4], verbose=0)
    with serving(f"models:/{name}/1", store.uri, tmp_path) as url:
        frame = {"dataframe_split": {"columns": ["x0", "x1", "x2"], "data": x[:4].tolist()}}
        by_frame = invoke(url, frame)
        by_instances = invoke(url, {"instances": x[:4].tolist()})
    np.testing.assert_array_equal(by_frame["predictions"], expected)
    np.testing.assert_array_equal(by_instances["predictions"], expected)
