#!/usr/bin/env bash
# The venv of the independent reference tools (onnxruntime, Pillow, numpy, pyarrow): .venv in the repo.
root="$(cd "$(dirname "$0")/.." && pwd)"
exec bash "$root/scripts/ensure-venv.sh" "$root/.venv" "$root/scripts/python/requirements.txt" "reference measurements (onnxruntime, Pillow, numpy, pyarrow)"
