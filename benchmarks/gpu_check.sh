#!/usr/bin/env bash
# The GPU checks of issue 16 in one run of under 8 minutes, for a machine with an NVIDIA GPU:
#   1. CuPy (the [gpu] extra) and PyTorch, installed only where missing;
#   2. tests/gpu: CPU-vs-GPU agreement of every op and layer, forward and backward, and a
#      model trained on the GPU loading on the CPU (collected only under LAMINA_BACKEND=cupy);
#   3. benchmarks/gpu_bench.py: course MLP and CNN, one epoch at batch 32, lamina eager on
#      CuPy against PyTorch eager;
#   4. the engine, layer, model, training and saving tests on the GPU (-m "not cpu_only");
#   5. MirroredStrategy (NCCL) training the course MLP, one process per GPU.
# Each step has its own time limit; the report is written whatever fails.
#
# Usage, from anywhere: bash benchmarks/gpu_check.sh [REPORT_DIR]   (default $OUT, else
# ./gpu_check_out). Wheels in .whl/ are installed first when CuPy is missing and the machine
# has no network.
set -uo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-${OUT:-$PWD/gpu_check_out}}"
mkdir -p "$DIR"
PY="${PYTHON:-python3}"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" LAMINA_BACKEND=cupy
REPORT="$DIR/report.md"

step() {   # step NAME SECONDS COMMAND...: runs it with a limit, logs it, adds a report row
    local name=$1 limit=$2 start rc
    shift 2
    start=$(date +%s)
    timeout "$limit" "$@" > "$DIR/$name.log" 2>&1
    rc=$?
    echo "| $name | exit $rc$([ $rc = 124 ] && echo ' (time limit)') | $(( $(date +%s) - start )) s | $(grep -E '[0-9]+ (passed|failed|error)|no tests ran' "$DIR/$name.log" | tail -1) |" >> "$REPORT"
}

{
    echo "# lamina GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null)"
    echo
    echo '```'
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    "$PY" -c "import sys, numpy; print('python', sys.version.split()[0], 'numpy', numpy.__version__)"
    echo '```'
} > "$REPORT"

if ! "$PY" -c "import cupy" 2>/dev/null; then
    if ls .whl/*.whl > /dev/null 2>&1; then
        "$PY" -m pip install -q --no-index --no-deps .whl/*.whl
    else
        "$PY" -m pip install -q '.[gpu]'
    fi
fi
"$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install -q torch
{
    echo '```'
    "$PY" -c "import cupy, torch; print('cupy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount(), '| torch', torch.__version__, torch.cuda.is_available())" 2>&1
    echo '```'
    echo
    echo '| step | result | time | summary |'
    echo '| --- | --- | --- | --- |'
} >> "$REPORT"

# pytest-xdist, where installed, spreads the tests over processes (CuPy compiles each kernel once
# per machine, and a fresh machine compiles many)
XDIST=$("$PY" -c "import xdist" 2>/dev/null && echo "-n 8")
step agreement 110 "$PY" -m pytest -p no:cacheprovider $XDIST tests/gpu
step benchmarks 190 "$PY" benchmarks/gpu_bench.py --budget 30 --json "$DIR/benchmarks.json"
step gpu_suite 150 "$PY" -m pytest -p no:cacheprovider $XDIST -m "not cpu_only" --maxfail 100 \
    tests/autograd tests/ops tests/layers tests/models tests/saving tests/losses \
    tests/metrics tests/optimizers tests/callbacks tests/test_mixed_precision.py \
    --ignore tests/callbacks/test_tensorboard.py

# MirroredStrategy (NCCL): one process per GPU, the course MLP on 1,024 random MNIST-shaped images
"$PY" -c "import mpi4py" 2>/dev/null || "$PY" -m pip install -q '.[distributed]'
GPUS=$("$PY" -c "import cupy; print(cupy.cuda.runtime.getDeviceCount())" 2>/dev/null || echo 1)
step mirrored 60 mpiexec -n "$GPUS" "$PY" tests/distribute/mpi_worker.py --mirrored \
    --random-data --out "$DIR/mirrored" --epochs 1

{
    echo
    echo "## Benchmarks (random MNIST-shaped data, batch 32, one epoch of 60,000)"
    grep -E '^\|' "$DIR/benchmarks.log"
    echo
    echo "## Failures"
    echo '```'
    grep -hE '^(FAILED|ERROR) ' "$DIR"/agreement.log "$DIR"/gpu_suite.log | head -60
    echo '```'
} >> "$REPORT"
cat "$REPORT"
