"""Train the course's MNIST model, export it to ONNX and serve it over HTTP.

The server is Python's standard library (``http.server``) around one ONNX Runtime session;
lamina is not needed to serve, only to train and export::

    LAMINA_DATA_DIR=../shared/datasets python examples/serve_mnist_onnx.py --epochs 5

    curl -s localhost:8000/predict -d '{"instances": [[[0.0, ...], ...]]}'
    # {"predictions": [[0.0001, ...]], "classes": [7]}

A request is JSON ``{"instances": [...]}`` with images of 28x28 values in [0, 1] (the
layout of TensorFlow Serving's REST API); the answer holds the ten class probabilities
of each image and the most likely class.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def train(epochs=5, samples=None, verbose=1):
    """The course's MNIST classifier, trained on the first ``samples`` images (default all).

    Returns:
        (model, (x_test, y_test)) with pixels scaled to [0, 1].
    """
    from lamina import keras
    from lamina.demo import mnist_model

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, x_test = x_train[:samples] / 255.0, x_test / 255.0
    model = mnist_model()  # Flatten, Dense(128, relu), Dropout(0.2), Dense(10, softmax)
    model.fit(x_train, y_train[:samples], epochs=epochs, verbose=verbose)
    return model, (x_test.astype("float32"), y_test)


def make_server(onnx_path, host="127.0.0.1", port=8000, quiet=False, threads=0):
    """An HTTP server answering ``POST /predict`` with the ONNX model at ``onnx_path``.

    Args:
        onnx_path: the file written by ``model.export(onnx_path, format="onnx")``.
        host, port: where to listen (port 0 picks a free port: ``server.server_port``).
        quiet: do not log each request.
        threads: ONNX Runtime's threads per request (0: one per core).

    Returns:
        a ``ThreadingHTTPServer``; call ``serve_forever()`` (and ``shutdown()``).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(onnx_path), options,
                                           providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name

    class PredictHandler(BaseHTTPRequestHandler):
        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 (http.server's name)
            if self.path != "/predict":
                return self._answer(404, {"error": f"unknown path {self.path!r}; POST /predict"})
            try:
                length = int(self.headers.get("Content-Length", 0))
                images = np.asarray(json.loads(self.rfile.read(length))["instances"],
                                    dtype=np.float32)
                if images.ndim != 3 or images.shape[1:] != (28, 28):
                    raise ValueError(f"expected images of shape (28, 28), got a batch of "
                                     f"shape {images.shape}")
            except (ValueError, KeyError, TypeError) as e:
                return self._answer(400, {"error": f"bad request: {e}. Send JSON "
                                                   '{"instances": [28x28 images]}.'})
            probabilities = session.run(None, {input_name: images})[0]
            self._answer(200, {"predictions": probabilities.tolist(),
                               "classes": probabilities.argmax(axis=-1).tolist()})

        def log_message(self, *args):
            if not quiet:
                super().log_message(*args)

    return ThreadingHTTPServer((host, port), PredictHandler)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--output", default="mnist.onnx", help="where to write the ONNX file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    model, (x_test, y_test) = train(args.epochs)
    model.evaluate(x_test, y_test, verbose=2)
    model.export(args.output, format="onnx")
    server = make_server(args.output, args.host, args.port)
    print(f"Serving {args.output} on http://{args.host}:{server.server_port}/predict "
          "(Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
