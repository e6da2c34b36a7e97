"""examples/serve_mnist_onnx.py: train briefly, export, serve on 127.0.0.1, ask over HTTP."""
import importlib.util
import json
import pathlib
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "serve_mnist_onnx.py"


def load_example():
    spec = importlib.util.spec_from_file_location("serve_mnist_onnx", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for localhost
    with opener.open(request, timeout=30) as response:
        return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The example's model, trained one epoch on 2,000 images, served on a free port."""
    example = load_example()
    model, (x_test, y_test) = example.train(epochs=1, samples=2000, verbose=0)
    path = tmp_path_factory.mktemp("serve") / "mnist.onnx"
    model.export(path, verbose=False)
    server = example.make_server(path, "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield model, x_test, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_served_predictions_match_predict(served):
    model, x_test, url = served
    images = x_test[:5]
    status, answer = post(f"{url}/predict", json.dumps({"instances": images.tolist()}).encode())
    expected = model.predict(images, verbose=0)
    assert status == 200
    np.testing.assert_allclose(np.array(answer["predictions"]), expected, rtol=1e-5, atol=1e-6)
    assert answer["classes"] == expected.argmax(axis=-1).tolist()


def test_bad_requests_get_400_with_the_reason(served):
    _, _, url = served
    for body, reason in ((b"not json", "bad request"),
                         (json.dumps({"instances": [[1.0, 2.0]]}).encode(), "(28, 28)"),
                         (json.dumps({"images": []}).encode(), "instances")):
        with pytest.raises(urllib.error.HTTPError) as error:
            post(f"{url}/predict", body)
        assert error.value.code == 400
        assert reason in json.loads(error.value.read())["error"]
    with pytest.raises(urllib.error.HTTPError) as error:
        post(f"{url}/other", b"{}")
    assert error.value.code == 404
