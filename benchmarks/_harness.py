"""Shared benchmark harness: one fresh subprocess per framework, timed and measured.

A benchmark script (``mnist_mlp.py``, later a CNN or an LSTM) defines a module-level
``BENCHMARK = Benchmark(...)``, registers one runner per framework, and ends with
``_harness.main(BENCHMARK)``. The main process then starts this file once per framework::

    python _harness.py --worker torch --bench mnist_mlp.py --epochs 2 --result out.json

The worker imports the framework *first*, in an interpreter that has loaded nothing but
the standard library, so the import time is what a user sees. Only then does it import
the benchmark script (which may import NumPy at the top), load the data, and call the
runner. It writes one JSON result; the main process prints the table.

This module imports only the standard library at the top for the same reason.

A runner is ``runner(module, data, epochs) -> dict`` where ``module`` is what the
framework's import gave (``keras`` for the Keras-style frameworks, ``torch``, ``numpy``)
and ``data`` is what ``Benchmark.load_data()`` returned. The dict holds ``epoch_s``
(list of seconds, one per epoch) and optionally ``test_acc``, ``test_loss``,
``train_acc``, ``train_loss`` (lists), ``epoch_rss_mb`` (the process's RSS after each
epoch), ``eval_s``, ``predict_s`` (seconds of ``evaluate`` and ``predict`` on the test set)
and ``notes`` (a short string).
"""
import argparse
import gzip
import importlib
import importlib.util
import json
import os
import platform
import resource
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------
# Frameworks: how to import each one, seed it and read its thread settings.
# ---------------------------------------------------------------------------

class Framework:
    """How to import, seed and describe one framework.

    Args:
        name: short name used on the command line (``lamina``, ``tf``, ``torch``, ...).
        label: name shown in the table.
        packages: top-level packages whose absence means "not installed".
        load: function that performs the import and returns the module a runner gets.
        env: environment variables set for the worker process.
    """

    def __init__(self, name, label, packages, load, version, threads, seed=None, env=None):
        self.name = name
        self.label = label
        self.packages = packages
        self.load = load
        self.version = version
        self.threads = threads
        self.seed = seed
        self.env = env or {}


def _blas_threads():
    """Return the BLAS thread pools NumPy uses, as {library: threads}."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"blas": "unknown (threadpoolctl not installed)"}
    return {f"{info['internal_api']}:{info['user_api']}": info["num_threads"]
            for info in threadpool_info()}


def _load_lamina():
    from lamina import keras
    keras.models.Sequential  # NOTE: touch a submodule in case it is loaded lazily
    return keras


def _seed_lamina(keras, seed):
    utils = getattr(keras, "utils", None)
    if utils is not None and hasattr(utils, "set_random_seed"):
        utils.set_random_seed(seed)
    else:
        import lamina
        lamina.backend.set_seed(seed)


def _load_tf_keras():
    from tensorflow import keras
    # NOTE: tf.keras is a lazy loader; the real Keras import happens on first attribute
    # access, so it belongs in the import time.
    keras.models.Sequential
    return keras


def _tf_version(keras):
    import tensorflow as tf
    # NOTE: tf-keras's public module has no __version__; its package does.
    package = sys.modules.get("tf_keras") if os.environ.get("TF_USE_LEGACY_KERAS") == "1" else None
    version = getattr(package or keras, "__version__", "?")
    return f"tf {tf.__version__}, {'tf-keras' if package else 'keras'} {version}"


def _load_jax_keras():
    import keras
    keras.models.Sequential
    return keras


def _jax_version(keras):
    import jax
    return f"keras {keras.__version__}, jax {jax.__version__}"


def _jax_threads(keras):
    return {"note": "XLA's own thread pool (one per core)"}


def _tf_threads(keras):
    import tensorflow as tf
    threading = tf.config.threading
    return {
        "intra_op": threading.get_intra_op_parallelism_threads(),
        "inter_op": threading.get_inter_op_parallelism_threads(),
        "note": "0 means TensorFlow's default (one per core)",
    }


def _load_torch():
    import torch
    import torch.nn  # noqa: F401
    return torch


def _torch_threads(torch):
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}


def _load_numpy():
    import numpy
    return numpy


# How each family of rows imports, describes and seeds its framework.
_TF = dict(load=_load_tf_keras, version=_tf_version, threads=_tf_threads,
           seed=lambda keras, seed: keras.utils.set_random_seed(seed))
_TF_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}
_TORCH = dict(packages=["torch"], load=_load_torch, version=lambda torch: torch.__version__,
              threads=_torch_threads, seed=lambda torch, seed: torch.manual_seed(seed))
_NUMPY = dict(packages=["numpy"], load=_load_numpy, version=lambda np: f"numpy {np.__version__}",
              threads=lambda np: _blas_threads())

FRAMEWORKS = {
    fw.name: fw for fw in [
        Framework(
            "lamina", "lamina (eager)", ["lamina"], _load_lamina,
            version=lambda keras: sys.modules["lamina"].__version__,
            threads=lambda keras: _blas_threads(), seed=_seed_lamina,
            env={"LAMINA_BENCH_JIT": "0"}),
        Framework(
            "lamina-jit", "lamina (jit_compile=True)", ["lamina"], _load_lamina,
            version=lambda keras: sys.modules["lamina"].__version__,
            threads=lambda keras: _blas_threads(), seed=_seed_lamina,
            env={"LAMINA_BENCH_JIT": "1"}),
        Framework(
            "lamina-jit-numpy", "lamina (jit, NumPy passes)", ["lamina"], _load_lamina,
            version=lambda keras: sys.modules["lamina"].__version__,
            threads=lambda keras: _blas_threads(), seed=_seed_lamina,
            env={"LAMINA_BENCH_JIT": "1", "LAMINA_FAST_KERNELS": "0"}),
        Framework("tf", "tf.keras (Keras 3)", packages=["tensorflow", "keras"], **_TF,
                  env={**_TF_ENV, "TF_USE_LEGACY_KERAS": "0"}),
        Framework("tf2", "tf.keras (tf-keras 2)", packages=["tensorflow", "tf_keras"], **_TF,
                  env={**_TF_ENV, "TF_USE_LEGACY_KERAS": "1"}),
        Framework("jax", "Keras 3 on JAX (XLA)", packages=["keras", "jax"],
                  load=_load_jax_keras, version=_jax_version, threads=_jax_threads,
                  seed=lambda keras, seed: keras.utils.set_random_seed(seed),
                  env={"KERAS_BACKEND": "jax"}),
        Framework("torch", "PyTorch eager (DataLoader)", **_TORCH),
        Framework("torch-index", "PyTorch eager (index loop)", **_TORCH,
                  env={"LAMINA_BENCH_TORCH_LOOP": "index"}),
        Framework("numpy", "NumPy by hand (no framework)", **_NUMPY),
        Framework("gemm", "GEMMs alone (numpy)", **_NUMPY),
    ]
}


# ---------------------------------------------------------------------------
# Benchmarks: a registry of runners, one per framework.
# ---------------------------------------------------------------------------

class Benchmark:
    """A named benchmark with one runner per framework.

    Args:
        name: short name printed above the table.
        load_data: function with no arguments returning the data every runner gets.
        default_frameworks: frameworks run when ``--frameworks`` is not given.
        default_epochs: epochs run when ``--epochs`` is not given.
        description: one line printed under the name.
    """

    def __init__(self, name, load_data, default_frameworks, default_epochs=2, description=""):
        self.name = name
        self.load_data = load_data
        self.default_frameworks = list(default_frameworks)
        self.default_epochs = default_epochs
        self.description = description
        self.runners = {}

    def register(self, *framework_names):
        """Decorator registering ``runner(module, data, epochs)`` for the named frameworks."""
        for name in framework_names:
            if name not in FRAMEWORKS:
                raise ValueError(f"unknown framework {name!r}; expected one of {sorted(FRAMEWORKS)}")

        def decorate(runner):
            for name in framework_names:
                self.runners[name] = runner
            return runner
        return decorate


# ---------------------------------------------------------------------------
# Data: the IDX files of MNIST and Fashion-MNIST, parsed with NumPy.
# ---------------------------------------------------------------------------

BATCH_SIZE = 32


def fit_keras(model, data, epochs, batch_size=BATCH_SIZE):
    """One ``fit`` call per epoch, then ``evaluate`` and ``predict`` (each run twice, the
    faster kept, so the first call's tracing does not count): the figures every Keras-style
    runner (lamina, tf.keras, Keras on JAX) returns."""
    (x_train, y_train), (x_test, y_test) = data
    if os.environ.get("LAMINA_BENCH_JIT"):  # the lamina rows: eager, or the compiled step
        model.jit_compile = os.environ["LAMINA_BENCH_JIT"] == "1"
    epoch_s, train_loss, train_acc, epoch_rss = [], [], [], []
    for _ in range(epochs):
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=0)
        epoch_s.append(time.perf_counter() - start)
        epoch_rss.append(current_rss_mb())
        train_loss.append(float(history.history["loss"][-1]))
        train_acc.append(float(history.history["accuracy"][-1]))
    eval_s, predict_s = [], []
    for _ in range(2):
        start = time.perf_counter()
        test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
        eval_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.predict(x_test, verbose=0)
        predict_s.append(time.perf_counter() - start)
    return {"epoch_s": epoch_s, "train_loss": train_loss, "train_acc": train_acc,
            "test_loss": float(test_loss), "test_acc": float(test_acc),
            "eval_s": min(eval_s), "predict_s": min(predict_s), "epoch_rss_mb": epoch_rss}


def fit_torch(torch, model, data, epochs, layout=None, batch_size=BATCH_SIZE):
    """PyTorch eager training: Adam(1e-3), CrossEntropyLoss on logits.

    Batches come from ``DataLoader(TensorDataset(x, y), batch_size, shuffle=True)``, the
    loop of PyTorch's own quickstart tutorial. With ``LAMINA_BENCH_TORCH_LOOP=index`` (the
    ``torch-index`` row) they are slices of a shuffled permutation instead: a hand-tuned loop
    without the DataLoader's per-sample work. Loss and accuracy are running means over the
    epoch, as Keras reports them. ``layout`` rearranges a NumPy input for torch (e.g.
    NHWC -> NCHW); it runs once, outside the timed epochs.
    """
    (x_train, y_train), (x_test, y_test) = data
    layout = layout or (lambda a: a)
    # NOTE: converted once, outside the timed epochs; Keras converts inside fit.
    x = torch.from_numpy(layout(x_train)).float()
    y = torch.from_numpy(y_train).long()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(x)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                         batch_size=batch_size, shuffle=True)

    def index_batches():
        perm = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            yield x[idx], y[idx]

    index_loop = os.environ.get("LAMINA_BENCH_TORCH_LOOP") == "index"
    epoch_s, train_loss, train_acc = [], [], []
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        total_loss, correct = 0.0, 0
        for xb, yb in (index_batches() if index_loop else loader):
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
        epoch_s.append(time.perf_counter() - start)
        train_loss.append(total_loss / n)
        train_acc.append(correct / n)
    start = time.perf_counter()
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(layout(x_test)).float())
        yt = torch.from_numpy(y_test).long()
        test_loss = loss_fn(logits, yt).item()
        test_acc = (logits.argmax(1) == yt).float().mean().item()
    return {"epoch_s": epoch_s, "train_loss": train_loss, "train_acc": train_acc,
            "test_loss": test_loss, "test_acc": test_acc, "eval_s": time.perf_counter() - start}


def data_dir():
    """Return the offline dataset folder: $LAMINA_DATA_DIR or ../shared/datasets."""
    return Path(os.environ.get("LAMINA_DATA_DIR", REPO.parent / "shared" / "datasets"))


def read_idx(path):
    """Read one gzipped IDX file (images 0x803 or labels 0x801) into a uint8 array.

    Args:
        path: path of a ``*-idx?-ubyte.gz`` file.

    Returns:
        A uint8 NumPy array of shape (n,) for labels or (n, rows, cols) for images.
    """
    import numpy as np
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path} is not a uint8 IDX file (header {raw[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape}, file holds {data.size} values")
    return data.reshape(shape)


def load_idx_dataset(name):
    """Load ``mnist`` or ``fashion_mnist`` from the offline folder, like keras.datasets.

    Args:
        name: folder name under the data folder.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays.
    """
    folder = data_dir() / name
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder {folder} not found; set LAMINA_DATA_DIR")
    parts = [read_idx(folder / f"{split}-{kind}-ubyte.gz")
             for split in ("train", "t10k") for kind in ("images-idx3", "labels-idx1")]
    return (parts[0], parts[1]), (parts[2], parts[3])


# ---------------------------------------------------------------------------
# Memory.
# ---------------------------------------------------------------------------

def current_rss_mb():
    """Return this process's resident set size now, in MB (None where unknown)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        pass
    try:
        import psutil
        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        return None


def peak_rss_mb():
    """Return the peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # NOTE: ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


# ---------------------------------------------------------------------------
# Worker: runs inside the fresh subprocess.
# ---------------------------------------------------------------------------

def _missing_package(error, packages):
    """Return True when ``error`` says one of ``packages`` is not installed at all.

    A missing submodule (``lamina.losses``) is a broken install, reported as an error.
    """
    return isinstance(error, ModuleNotFoundError) and error.name in packages


def _load_benchmark(path):
    # The benchmark script does `import _harness`; hand it this module, not a second copy.
    sys.modules.setdefault("_harness", sys.modules[__name__])
    spec = importlib.util.spec_from_file_location("_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BENCHMARK


def _worker(args):
    fw = FRAMEWORKS[args.worker]
    result = {"framework": fw.name, "label": fw.label, "status": "ok",
              "rss_before_import_mb": current_rss_mb()}
    try:
        start = time.perf_counter()
        module = fw.load()
        result["import_s"] = time.perf_counter() - start
    except Exception as error:  # noqa: BLE001 (any import failure is reported, not raised)
        result["status"] = "not installed" if _missing_package(error, fw.packages) else "error"
        result["error"] = f"import failed: {type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
        return result
    result["rss_after_import_mb"] = current_rss_mb()
    try:
        result["version"] = fw.version(module)
        result["threads"] = fw.threads(module)
        result["thread_env"] = {var: os.environ[var] for var in THREAD_VARIABLES
                                if var in os.environ}
        bench = _load_benchmark(args.bench)
        runner = bench.runners.get(fw.name)
        if runner is None:
            result["status"] = "error"
            result["error"] = f"benchmark {bench.name!r} has no runner for {fw.name!r}"
            return result
        data = bench.load_data()
        result["rss_after_data_mb"] = current_rss_mb()
        if fw.seed is not None:
            fw.seed(module, args.seed)
        result.update(runner(module, data, args.epochs))
    except Exception as error:  # noqa: BLE001
        result["status"] = "error"
        result["error"] = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
    result["peak_rss_mb"] = peak_rss_mb()
    if result.get("rss_after_data_mb") is not None:
        result["peak_over_data_mb"] = result["peak_rss_mb"] - result["rss_after_data_mb"]
        # NOTE: what the framework costs: the peak less the bare interpreter and less what
        # loading the data added (the same arrays in every row).
        data_mb = result["rss_after_data_mb"] - result["rss_after_import_mb"]
        result["framework_mb"] = (result["peak_rss_mb"] - data_mb
                                  - result["rss_before_import_mb"])
    return result


# ---------------------------------------------------------------------------
# Main process: start the workers, print the table.
# ---------------------------------------------------------------------------

THREAD_VARIABLES = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"]


def run_framework(bench_file, name, epochs, seed=0, timeout=1800, threads=None):
    """Run one framework's worker in a fresh interpreter and return its result dict.

    Args:
        bench_file: path of the benchmark script that defines ``BENCHMARK``.
        name: framework name, a key of ``FRAMEWORKS``.
        epochs: number of epochs to train.
        seed: random seed handed to the framework.
        timeout: seconds before the worker is stopped.
        threads: if given, the thread count every library is told to use (through
            ``THREAD_VARIABLES``); None leaves the library defaults.

    Returns:
        The worker's result dict; ``status`` is ``ok``, ``not installed`` or ``error``.
    """
    fw = FRAMEWORKS[name]
    env = {**os.environ, **fw.env}
    if threads is not None:
        env.update({var: str(threads) for var in THREAD_VARIABLES})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--worker", name, "--bench", str(bench_file),
               "--epochs", str(epochs), "--seed", str(seed), "--result", str(out)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"framework": name, "label": fw.label, "status": "error",
                    "error": f"timed out after {timeout} s"}
        wall = time.perf_counter() - start
        if out.exists():
            result = json.loads(out.read_text())
        else:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            result = {"framework": name, "label": fw.label, "status": "error",
                      "error": f"worker exited with code {proc.returncode}: " + " | ".join(tail)}
    result["process_wall_s"] = wall
    result["stderr_tail"] = proc.stderr[-4000:]
    return result


def best_of(runs):
    """Merge repeated runs of one framework: the fastest time of each column.

    Args:
        runs: result dicts of the same framework and settings.

    Returns:
        The first successful run with ``import_s`` and each ``epoch_s`` replaced by
        their minimum, the largest peak RSS, and every run under ``runs``.
    """
    ok = [r for r in runs if r["status"] == "ok"]
    if not ok:
        return runs[0]
    best = dict(ok[0])
    best["import_s"] = min(r["import_s"] for r in ok)
    best["epoch_s"] = [min(times) for times in zip(*(r["epoch_s"] for r in ok))]
    for key in ("eval_s", "predict_s"):
        if all(r.get(key) is not None for r in ok):
            best[key] = min(r[key] for r in ok)
    for key in ("peak_rss_mb", "peak_over_data_mb", "framework_mb"):
        if all(r.get(key) is not None for r in ok):
            best[key] = max(r[key] for r in ok)
    best["runs"] = runs
    return best


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def format_table(results, epochs):
    """Return the results as a text table (one row per framework)."""
    header = ["framework", "import s"] + [f"epoch{i + 1} s" for i in range(epochs)]
    header += ["eval s", "predict s", "peak RSS MB", "+RSS MB", "framework MB",
               "RSS growth MB", "test acc"]
    rows = []
    for r in results:
        if r["status"] != "ok":
            rows.append([r["label"], r["status"] + ": " + (r.get("error") or "?").splitlines()[0][:100]])
            continue
        epoch_s = r.get("epoch_s", [])
        row = [r["label"], _fmt(r.get("import_s"), ".2f")]
        row += [_fmt(epoch_s[i] if i < len(epoch_s) else None, ".2f") for i in range(epochs)]
        rss = [v for v in r.get("epoch_rss_mb") or [] if v is not None]
        row += [_fmt(r.get("eval_s"), ".2f"), _fmt(r.get("predict_s"), ".2f"),
                _fmt(r.get("peak_rss_mb"), ".0f"), _fmt(r.get("peak_over_data_mb"), ".0f"),
                _fmt(r.get("framework_mb"), ".0f"),
                _fmt(rss[-1] - rss[0] if len(rss) > 1 else None, ".0f"),
                _fmt(r.get("test_acc"), ".4f")]
        rows.append(row)
    widths = [max([len(header[i])] + [len(row[i]) for row in rows
                                      if len(row) == len(header) or i == 0])
              for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(header, widths)))]
    lines.append("-" * len(lines[0]))
    for row in rows:
        if len(row) != len(header):  # an error row: label then the message
            lines.append(row[0].ljust(widths[0]) + "  " + row[1])
        else:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def ratios(results, numerator="lamina", denominators=("torch", "torch-index", "tf", "jax")):
    """Return {denominator: {measure: ratio}} of lamina's figures over each peer's."""
    by_name = {r["framework"]: r for r in results if r["status"] == "ok"}
    if numerator not in by_name:
        return {}
    num = by_name[numerator]
    table = {}
    for name in denominators:
        if name not in by_name:
            continue
        den = by_name[name]
        measures = {"import": ("import_s", None)}
        for i in range(min(len(num.get("epoch_s", [])), len(den.get("epoch_s", [])))):
            measures[f"epoch{i + 1}"] = ("epoch_s", i)
        measures["eval"] = ("eval_s", None)
        measures["peak RSS"] = ("peak_rss_mb", None)
        measures["+RSS"] = ("peak_over_data_mb", None)
        measures["framework MB"] = ("framework_mb", None)
        table[name] = {}
        for label, (key, index) in measures.items():
            a, b = num.get(key), den.get(key)
            if index is not None:
                a, b = a[index], b[index]
            table[name][label] = a / b if a is not None and b else None
    return table


def format_report(bench, results, epochs, repeat=1, threads=None, load_start=None):
    """Return the full text report: table, ratios, thread settings and notes."""
    lines = [f"{bench.name}: {bench.description}", ""]
    lines.append(format_table(results, epochs))
    by_name = {r["framework"]: r for r in results}
    for numerator in ("lamina", "lamina-jit", "lamina-jit-numpy"):
        denominators = ("torch", "torch-index", "tf", "jax", "gemm")
        for peer, measures in ratios(results, numerator, denominators).items():
            text = ", ".join(f"{k} {_fmt(v, '.2f')}x" for k, v in measures.items()
                             if v is not None and (peer != "gemm" or k[:5] in ("epoch", "eval")))
            lines.append(f"{by_name[numerator]['label']} / {by_name[peer]['label']}: {text}")
    lines.append("")
    load_end = os.getloadavg()[0]
    load_start = load_end if load_start is None else load_start
    lines.append(f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
                 f"python {platform.python_version()}, 1-minute load average "
                 f"{load_start:.2f} before, {load_end:.2f} after")
    if threads is None:
        lines.append("threads: each library's default")
        if load_start > 0.5 * (os.cpu_count() or 1):
            lines.append("    the machine was busy: multi-threaded BLAS/OpenMP slows down a lot "
                         "when cores are shared; --threads 1 gives steadier figures")
    else:
        lines.append(f"threads: {threads} (set through {', '.join(THREAD_VARIABLES)})")
    for r in results:
        if r["status"] != "ok":
            continue
        threads = ", ".join(f"{k}={v}" for k, v in r.get("threads", {}).items())
        lines.append(f"{r['label']}: {r.get('version', '?')}; threads: {threads}")
        if r.get("notes"):
            lines.append(f"    {r['notes']}")
    lines.append("import s: fresh interpreter; epochN s: wall clock of that epoch's fit call; "
                 "eval s / predict s: evaluate / predict on the test set (faster of two calls; "
                 "for GEMMs alone, their forward GEMMs); "
                 "+RSS MB: peak RSS minus RSS after loading the data; framework MB: peak RSS "
                 "minus the bare interpreter's RSS and minus what loading the data added; "
                 "RSS growth MB: RSS after the last epoch minus RSS after the first.")
    if repeat > 1:
        lines.append(f"times: fastest of {repeat} runs; memory: largest of them.")
    return "\n".join(lines)


def main(bench, argv=None):
    """Command line of a benchmark script: run the frameworks and print the table.

    Args:
        bench: the ``Benchmark`` defined by the calling script.
        argv: arguments (defaults to ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=f"{bench.name}: {bench.description}")
    parser.add_argument("--frameworks", default=",".join(bench.default_frameworks),
                        help=f"comma-separated, from {','.join(bench.runners)}")
    parser.add_argument("--epochs", type=int, default=bench.default_epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per framework")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each framework this many times and keep the fastest figures")
    parser.add_argument("--threads", type=int,
                        help="threads for every library (default: each library's own)")
    parser.add_argument("--json", help="also write all results to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="print errors' tracebacks")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.frameworks.split(",") if n.strip()]
    for name in names:
        if name not in bench.runners:
            parser.error(f"unknown framework {name!r}; expected some of {','.join(bench.runners)}")
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")

    bench_file = Path(sys.modules["__main__"].__file__).resolve()
    load_start = os.getloadavg()[0]
    # NOTE: rounds go through every framework in turn, so that a slow spell of this shared
    # machine falls on all of them rather than on the repeats of one.
    runs = {name: [] for name in names}
    for i in range(args.repeat):
        for name in names:
            if runs[name] and runs[name][-1]["status"] != "ok":
                continue
            print(f"running {FRAMEWORKS[name].label} ({i + 1}/{args.repeat}) ...",
                  file=sys.stderr, flush=True)
            runs[name].append(run_framework(bench_file, name, args.epochs, args.seed,
                                            args.timeout, args.threads))
    results = []
    for name in names:
        result = best_of(runs[name]) if len(runs[name]) > 1 else runs[name][0]
        results.append(result)
        if args.verbose and result["status"] != "ok":
            print(result.get("traceback") or result.get("stderr_tail", ""), file=sys.stderr)
    print(format_report(bench, results, args.epochs, args.repeat, args.threads, load_start))
    if args.json:
        report = {"benchmark": bench.name, "epochs": args.epochs, "seed": args.seed,
                  "repeat": args.repeat, "threads": args.threads,
                  "python": sys.executable, "cpus": os.cpu_count(),
                  "load_average": os.getloadavg(),
                  "ratios": ratios(results), "results": results}
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return results


def _worker_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", required=True, choices=sorted(FRAMEWORKS))
    parser.add_argument("--bench", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    result = _worker(args)
    Path(args.result).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
