"""tests/gpu runs only as its own invocation on a device backend:

    LAMINA_BACKEND=cupy python -m pytest tests/gpu      # on a GPU (benchmarks/gpu_check.sh)
    LAMINA_BACKEND=strict python -m pytest tests/gpu    # CI's CPU proxy (.ci/run)

Under any other backend the folder is not collected at all (nothing is skipped): CI has no
GPU, and its strict run is the stand-in for these tests.
"""
import os

collect_ignore_glob = [] if os.environ.get("LAMINA_BACKEND") in ("cupy", "strict") else ["*.py"]
