#!/usr/bin/env bash
# Records what dnnbench's nvidia-smi readers parse (src/host/gpu-query.ts: inventory and clocks;
# src/latency/power/nvidia-smi.ts: the power stream), each moment framed by nvidia-smi's own XML
# report before and after, at idle and while LOAD-COMMAND runs. The recordings are test fixtures
# (test/fixtures/nvidia-smi/): the tests check the parsers against the XML, an independent reading.
#
#   bash scripts/record-nvidia-smi.sh OUTDIR [LOAD-COMMAND ...]
set -euo pipefail
out=${1:?usage: record-nvidia-smi.sh OUTDIR [LOAD-COMMAND ...]}
shift
mkdir -p "$out"
csv=--format=csv,noheader,nounits
# The field lists the readers ask for (GPU_INVENTORY_FIELDS, GPU_CLOCK_FIELDS, NVIDIA_SMI_ARGS).
inventory=index,uuid,name,driver_version,memory.total
clocks=index,clocks.sm,clocks.mem,temperature.gpu,clocks_throttle_reasons.active
power=index,power.draw,memory.used
instant=index,power.draw.instant,memory.used

moment() { # NAME: the three queries between two XML reports
  nvidia-smi -q -x > "$out/$1-before.xml"
  nvidia-smi --query-gpu=$inventory $csv > "$out/$1-inventory.csv"
  nvidia-smi --query-gpu=$clocks $csv > "$out/$1-clocks.csv"
  nvidia-smi --query-gpu=$power $csv > "$out/$1-power.csv"
  nvidia-smi --query-gpu=$instant $csv > "$out/$1-power-instant.csv" 2>&1 || true
  nvidia-smi -q -x > "$out/$1-after.xml"
}

stream() { # NAME SECONDS: the power sampler's own streams (nvidia-smi -lms 100), averaged and instant
  timeout "$2" nvidia-smi --query-gpu=$power $csv -lms 100 > "$out/$1-power-stream.csv" || true
  timeout "$2" nvidia-smi --query-gpu=$instant $csv -lms 100 > "$out/$1-power-instant-stream.csv" 2>&1 || true
}

busy() { # until the GPU is busy (the load may take seconds to start), at most 60 s
  for _ in $(seq 120); do
    u=$(nvidia-smi --query-gpu=utilization.gpu $csv | head -1)
    [ "${u:-0}" -ge 50 ] 2>/dev/null && return 0
    sleep 0.5
  done
  echo "the load never made the GPU busy" >&2
  return 1
}

nvidia-smi --version > "$out/version.txt" 2>&1 || true
nvidia-smi --help-query-gpu > "$out/help-query-gpu.txt" 2>&1 || true
moment idle
stream idle 2
if [ $# -gt 0 ]; then
  # Both power readings side by side, from idle into the load: how far the 1-s average lags.
  timeout 30 nvidia-smi --query-gpu=index,power.draw,power.draw.instant,utilization.gpu $csv -lms 100 > "$out/transition-stream.csv" 2>&1 &
  watch=$!
  sleep 1
  "$@" &
  load=$!
  busy
  sleep 2
  moment load
  stream load 2
  kill "$watch" 2>/dev/null || true
  wait "$load"
fi
echo "recorded into $out"
