"""Benchmark: the course's MNIST model exported to ONNX, served by ONNX Runtime, next to
lamina's own ``model.predict``.

Trains the model of examples/serve_mnist_onnx.py (default one epoch), then measures:
the export time; the latency of one image and of a batch of 32, and the time of the
10,000 test images, in-process, for ``model.predict``, ``model.predict_on_batch`` and an
ONNX Runtime session; and the round trip of one image through the example's HTTP server
on 127.0.0.1. Each figure is the median of ``--repeat`` runs (after one warm-up run).
``--threads`` (default 1) is given to both NumPy's BLAS (threadpoolctl) and ONNX Runtime:
on a shared machine more threads make both slower and noisier.

Usage:
    LAMINA_DATA_DIR=../shared/datasets python benchmarks/onnx_serving.py [--epochs 1]
        [--repeat 50] [--threads 1] [--json out.json]
"""
import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # this checkout's lamina, not another installed one


def _example():
    path = REPO / "examples" / "serve_mnist_onnx.py"
    spec = importlib.util.spec_from_file_location("serve_mnist_onnx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(fn, repeat):
    """Median wall clock of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and ONNX Runtime threads (0: each library's default)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    import onnxruntime
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)

    example = _example()
    model, (x_test, y_test) = example.train(args.epochs, verbose=0)
    folder = Path(tempfile.mkdtemp())
    path = folder / "mnist.onnx"
    export_ms = median_ms(lambda: model.export(path, verbose=False), max(3, args.repeat // 10))
    figures = {"threads": args.threads, "export_ms": export_ms,
               "onnx_file_kb": path.stat().st_size / 1024}

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    inputs = {"1 image": x_test[:1], "32 images": x_test[:32], "10,000 images": x_test}
    runners = {
        "model.predict": lambda x: model.predict(x, verbose=0),
        "model.predict_on_batch": lambda x: model.predict_on_batch(x),
        "onnxruntime session.run": lambda x: session.run(None, {name: x})[0],
    }
    for label, x in inputs.items():
        repeat = args.repeat if len(x) <= 32 else max(3, args.repeat // 10)
        for runner, fn in runners.items():
            figures[f"{runner} | {label}"] = median_ms(lambda: fn(x), repeat)

    lamina_out = model.predict(x_test, verbose=0)
    onnx_out = session.run(None, {name: x_test})[0]
    figures["max_abs_difference"] = float(np.abs(lamina_out - onnx_out).max())
    figures["same_class"] = float((lamina_out.argmax(1) == onnx_out.argmax(1)).mean())
    figures["test_accuracy"] = float((onnx_out.argmax(1) == y_test).mean())

    server = example.make_server(path, "127.0.0.1", 0, quiet=True, threads=args.threads)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    body = json.dumps({"instances": x_test[:1].tolist()}).encode()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"http://127.0.0.1:{server.server_port}/predict"

    def ask():
        request = urllib.request.Request(url, data=body, method="POST")
        with opener.open(request, timeout=30) as response:
            return response.read()

    try:
        figures["HTTP POST /predict | 1 image"] = median_ms(ask, args.repeat)
    finally:
        server.shutdown()
        server.server_close()

    print(f"export: {figures['export_ms']:.1f} ms, file {figures['onnx_file_kb']:.0f} KB; "
          f"ONNX vs predict: max |diff| {figures['max_abs_difference']:.2e}, same class "
          f"{figures['same_class']:.2%}, test accuracy {figures['test_accuracy']:.4f}")
    print(f"{'median ms':<28}" + "".join(f"{label:>16}" for label in inputs))
    for runner in runners:
        print(f"{runner:<28}" + "".join(f"{figures[f'{runner} | {label}']:>16.3f}"
                                        for label in inputs))
    print(f"{'HTTP POST /predict (ORT)':<28}{figures['HTTP POST /predict | 1 image']:>16.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
