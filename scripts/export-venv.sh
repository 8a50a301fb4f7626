#!/usr/bin/env bash
# The venv of the torchvision exporter (tools/export). It lives outside the repo (torch is 5.6 GB):
# DNNBENCH_EXPORT_VENV, else ~/.cache/dnnbench/export-venv. A first install takes about 90 s plus the download.
root="$(cd "$(dirname "$0")/.." && pwd)"
exec bash "$root/scripts/ensure-venv.sh" "${DNNBENCH_EXPORT_VENV:-$HOME/.cache/dnnbench/export-venv}" \
  "$root/tools/export/requirements.txt" "the torchvision exporter (torch, torchvision; about 5.6 GB, a few minutes)"
