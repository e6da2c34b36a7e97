"""The array backend: NumPy on the CPU (default) or CuPy on an NVIDIA GPU.

This is the only module that imports cupy, and the only one that knows the 'strict'
test backend (lamina/strict_backend.py: NumPy-computed arrays that refuse implicit
conversion to NumPy as CuPy's do, so CPU test runs catch GPU-only mistakes). Everything else asks an array which
module it belongs to with ``get_array_module`` and works through that ``xp``.
"""
import ctypes
import importlib.util
import logging
import os
import sys
import threading

import numpy as np

_cupy = None
_strict = None
_backend = "numpy"
_floatx = "float32"
_seed = None
_rngs = {}
_malloc = {"tuned": False}


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise ImportError(
                "The 'cupy' backend needs CuPy: pip install 'lamina[gpu]'") from e
        _cupy = cupy
    return _cupy


def _import_strict():
    global _strict
    if _strict is None:
        from lamina import strict_backend
        _strict = strict_backend
    return _strict


def set_backend(name):
    """Chooses where new arrays live.

    Args:
        name: 'numpy' (CPU) or 'cupy' (NVIDIA GPU); 'strict' is lamina's test backend
            (CuPy's rules on the CPU), not meant for users.
    """
    global _backend
    if name not in ("numpy", "cupy", "strict"):
        raise ValueError(f"Unknown backend {name!r}; expected 'numpy' or 'cupy'.")
    if name == "cupy":
        _import_cupy()
    if name == "strict":
        _import_strict()
    _backend = name


def backend():
    """Returns the name of the active backend: 'numpy' or 'cupy' ('strict' in tests)."""
    return _backend


def xp():
    """Returns the array module of the active backend (numpy or cupy)."""
    if _backend == "cupy":
        return _import_cupy()
    return _strict if _backend == "strict" else np


def device_count():
    """The number of GPUs CuPy sees (0 without CuPy)."""
    try:
        return _import_cupy().cuda.runtime.getDeviceCount()
    except ImportError:
        return 0


def use_device(index):
    """Makes GPU ``index`` the current device of this process (CuPy backend)."""
    _import_cupy().cuda.Device(index).use()


def nccl():
    """CuPy's NCCL bindings, for summing gradients across GPUs."""
    _import_cupy()
    from cupy.cuda import nccl as cupy_nccl
    return cupy_nccl


def get_array_module(*arrays):
    """Returns numpy or cupy, whichever the given arrays belong to."""
    if _cupy is not None:
        return _cupy.get_array_module(*arrays)
    if _strict is not None:
        return _strict.get_array_module(*arrays)
    return np


def to_numpy(x):
    """Returns ``x`` as a NumPy array, copying it from the GPU if needed."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        return _cupy.asnumpy(x)
    if _strict is not None and isinstance(x, _strict.ndarray):
        return x.get()
    return np.asarray(x)


def to_device(x):
    """Returns ``x`` as an array of the active backend (text stays a NumPy array: the GPU
    has no string arrays, and the text layers read it on the host)."""
    if _backend in ("cupy", "strict"):
        if isinstance(x, np.ndarray) and x.dtype.kind in "USO":
            return x
        return _import_cupy().asarray(x) if _backend == "cupy" else _strict.asarray(x)
    return to_numpy(x)


def scatter_add(a, index, values):
    """Adds ``values`` into ``a[index]`` in place; repeated indices add up (``np.add.at``)."""
    if _cupy is not None and isinstance(a, _cupy.ndarray):
        import cupyx
        cupyx.scatter_add(a, index, values)
    elif _strict is not None and isinstance(a, _strict.ndarray):
        _strict.scatter_add(a, index, values)
    else:
        np.add.at(a, index, values)


def is_array(x):
    """True for a NumPy or CuPy array."""
    return isinstance(x, np.ndarray) or (_cupy is not None and isinstance(x, _cupy.ndarray)) \
        or (_strict is not None and isinstance(x, _strict.ndarray))


def floatx():
    """Returns the default float dtype name, 'float32' as in Keras."""
    return _floatx


def set_floatx(dtype):
    """Sets the default float dtype ('float16', 'float32' or 'float64')."""
    global _floatx
    if dtype not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {dtype!r}; expected 'float16', 'float32' or 'float64'.")
    _floatx = dtype


def set_seed(seed):
    """Seeds lamina's random generators (CPU and GPU) so runs repeat exactly."""
    global _seed
    _seed = seed
    _rngs.clear()


def rng(xp_module=None):
    """Returns the random Generator for ``xp_module`` (default: the active backend)."""
    m = xp_module or xp()
    key = m.__name__
    if key not in _rngs:
        if m is np:
            _rngs[key] = np.random.default_rng(_seed)
        else:
            _rngs[key] = m.random.default_rng(_seed)
    return _rngs[key]


def permutation(rng, n):
    """A random order of ``range(n)`` from ``rng`` (CuPy's Generator has no ``permutation``)."""
    if hasattr(rng, "permutation"):
        return rng.permutation(n)
    draws = rng.random(n)
    return get_array_module(draws).argsort(draws)


_shard = threading.local()   # .rows: (first, local, global) batch rows in data-parallel steps


def set_batch_shard(rows):
    """Tells random draws which rows of the global batch this worker holds.

    Args:
        rows: ``(first_row, local_rows, global_rows)`` while a data-parallel step runs,
            else None.
    """
    _shard.rows = rows


def random_uniform(rng, shape, dtype):
    """Uniform numbers in [0, 1) of ``shape`` for a batch (axis 0 is the batch axis).

    In a data-parallel step (see ``set_batch_shard``) the numbers for the whole global
    batch are drawn and this worker's rows are returned, so dropout masks equal those of
    one process training on the global batch.
    """
    rows = getattr(_shard, "rows", None)
    if rows is None or not shape or shape[0] != rows[1]:
        return rng.random(shape, dtype=dtype)
    first, local, total = rows
    return rng.random((total,) + tuple(shape[1:]), dtype=dtype)[first:first + local]


def keep_freed_memory():
    """Asks glibc to keep freed memory for reuse instead of returning it to the system.

    ``Model.fit`` calls this once. It changes the C allocator of the whole process (Linux
    only): arrays under 32 MiB come from the heap, and up to 256 MiB of freed heap is kept.
    Set the environment variable ``LAMINA_MALLOC_TUNING=0`` to leave the allocator alone.
    """
    # NOTE: by default glibc maps each large array fresh and unmaps it when freed, so every
    # training step page-faults its temporaries back in (about 700 faults a step for an LSTM);
    # keeping them makes steps up to twice as fast.
    if _malloc["tuned"] or os.environ.get("LAMINA_MALLOC_TUNING", "1") == "0" \
            or not sys.platform.startswith("linux"):
        return
    _malloc["tuned"] = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)   # M_MMAP_THRESHOLD: mmap only arrays over 32 MiB
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed heap
    except (OSError, AttributeError):
        pass


def gpu_visible():
    """True when CuPy is installed and sees at least one GPU."""
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        return _import_cupy().cuda.runtime.getDeviceCount() > 0
    except Exception:   # CuPy without a driver or a CUDA runtime: stay on the CPU
        return False


def default_backend(requested, gpu_visible):
    """The backend lamina starts on, as TensorFlow picks its device.

    Args:
        requested: the value of ``LAMINA_BACKEND`` ('' or None when unset).
        gpu_visible: function returning True when CuPy sees a GPU; called only when
            nothing was requested.

    Returns:
        ``requested`` when set, else 'cupy' when a GPU is visible, else 'numpy'.
    """
    if requested:
        return requested
    return "cupy" if gpu_visible() else "numpy"


def start(environ, gpu_visible):
    """Activates the default backend at import; says once when it chose the GPU itself.

    Args:
        environ: the environment (``os.environ``), read for ``LAMINA_BACKEND``.
        gpu_visible: as in ``default_backend``.

    Returns:
        the name of the backend chosen.
    """
    requested = environ.get("LAMINA_BACKEND")
    name = default_backend(requested, gpu_visible)
    set_backend(name)
    if name == "cupy" and not requested:
        logging.getLogger("lamina").warning(
            "lamina uses the GPU (CuPy backend, %d device(s)); set LAMINA_BACKEND=numpy "
            "for the CPU.", device_count())
    return name


start(os.environ, gpu_visible)


def erf(x):
    """The error function, elementwise (scipy's or cupyx's where available)."""
    if _cupy is not None and isinstance(x, _cupy.ndarray):
        from cupyx.scipy.special import erf as cupy_erf
        return cupy_erf(x)
    if _strict is not None and isinstance(x, _strict.ndarray):
        return _strict.asarray(erf(x.get()))
    try:
        from scipy.special import erf as scipy_erf
    except ImportError:
        import math
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return scipy_erf(x).astype(x.dtype, copy=False)


def get_value(x):
    """Returns a Variable's or Tensor's values as a NumPy array (``keras.backend.get_value``)."""
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def set_value(x, value):
    """Assigns ``value`` to the Variable ``x`` in place (``keras.backend.set_value``)."""
    if not hasattr(x, "assign"):
        raise TypeError(f"set_value expects a Variable (with .assign), got {type(x).__name__}.")
    x.assign(np.asarray(value))


def epsilon():
    """The fuzz factor used to avoid dividing by zero: 1e-7, as in Keras."""
    return 1e-7
