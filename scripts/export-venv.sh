#!/usr/bin/env bash
# Creates (once) the venv of the torchvision exporter (tools/export) and prints its python's path.
# It lives outside the repo (torch is 5.6 GB): DNNBENCH_EXPORT_VENV, else ~/.cache/dnnbench/export-venv.
# Reused while tools/export/requirements.txt is unchanged; a first install takes about 90 s plus the download.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${DNNBENCH_EXPORT_VENV:-$HOME/.cache/dnnbench/export-venv}"
req="$root/tools/export/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "dnnbench: creating $venv for the torchvision exporter (torch, torchvision; about 5.6 GB, a few minutes)..." >&2
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
