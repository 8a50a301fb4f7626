#!/usr/bin/env bash
# The venv of the precision-variant tool (tools/variants): onnx, onnxruntime's quantizer, onnxconverter-common.
# Outside the repo like the exporter's: DNNBENCH_VARIANTS_VENV, else ~/.cache/dnnbench/variants-venv.
root="$(cd "$(dirname "$0")/.." && pwd)"
exec bash "$root/scripts/ensure-venv.sh" "${DNNBENCH_VARIANTS_VENV:-$HOME/.cache/dnnbench/variants-venv}" \
  "$root/tools/variants/requirements.txt" "the precision-variant tool (onnx, onnxruntime, onnxconverter-common)"
