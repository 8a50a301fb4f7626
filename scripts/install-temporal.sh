#!/usr/bin/env bash
# Prints the path of a `temporal` CLI (which embeds the dev server), installing it if needed:
# $TEMPORAL_CLI, else `temporal` on PATH, else the cached build, else `go install` from the Go
# module proxy into the cache. v1.5.1 is the newest tag that `go install` accepts (later tags
# carry a replace directive). The build takes about 3 minutes on 2 cores; later runs reuse it.
set -euo pipefail
VERSION=v1.5.1
CACHE_BIN="${DNNBENCH_CACHE:-$HOME/.cache/dnnbench}/bin"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then echo "$TEMPORAL_CLI"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$CACHE_BIN/temporal" ]; then echo "$CACHE_BIN/temporal"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "dnnbench: no temporal CLI found and no Go toolchain to build it. Install Go, or put the temporal CLI on PATH, or set TEMPORAL_CLI." >&2
  exit 1
fi
mkdir -p "$CACHE_BIN"
echo "dnnbench: building the Temporal CLI $VERSION with go install into $CACHE_BIN (about 3 minutes, once)..." >&2
GOBIN="$CACHE_BIN" go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
echo "dnnbench: built $("$CACHE_BIN/temporal" --version)" >&2
echo "$CACHE_BIN/temporal"
