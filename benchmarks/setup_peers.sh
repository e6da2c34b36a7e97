#!/usr/bin/env bash
# Create the virtual environment that holds lamina's peers (TensorFlow, tf-keras, Keras on
# JAX, PyTorch) next to an editable install of lamina with its [fast] extra, so one
# interpreter can run every framework.
#
# Usage: bash benchmarks/setup_peers.sh
# The venv goes to $LAMINA_PEERS_VENV (default ~/.cache/lamina-peers). Running it again
# reuses the venv and only installs what is missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LAMINA_PEERS_VENV:-$HOME/.cache/lamina-peers}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install -r "$repo/benchmarks/peers.txt"
"$venv/bin/python" -m pip install -e "$repo[fast]"

TF_CPP_MIN_LOG_LEVEL=2 "$venv/bin/python" - <<'PY'
import importlib
for name in ["numpy", "psutil", "tensorflow", "tf_keras", "keras", "jax", "torch", "numba",
             "lamina"]:
    module = importlib.import_module(name)
    print(f"{name:12s} {getattr(module, '__version__', '?')}")
PY
echo "peers ready: $venv/bin/python benchmarks/mnist_mlp.py"
