#!/usr/bin/env bash
# ensure-venv.sh VENV REQUIREMENTS WHAT: creates (once) a Python venv with REQUIREMENTS installed and
# prints its python's path. Reused while the requirements file is unchanged (sha256 stamp).
set -euo pipefail
venv="$1" req="$2" what="$3"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "dnnbench: creating $venv for $what..." >&2
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
