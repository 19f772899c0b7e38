#!/usr/bin/env bash
# The GPU check: one prepared command for a machine with an NVIDIA GPU.
# The model pack does not travel there; random weights of the real shapes
# do the work (speed depends on the shapes, not the values):
#   1. the CPU and CUDA embedders and generators on a tiny random model:
#      the lowest cosine must be ≥ 0.999 and the greedy text the same, or
#      this fails;
#   2. passages/s (the e5-small shape) and prefill and decode tokens/s (the
#      Qwen2.5-1.5B shape at Q4_K) on the GPU, as JSON for docs/BENCHMARKS.md.
# The binary: SEOGO_BIN (a `--features cuda` build carried over), else
# scripts/build-cuda.sh builds one here. The CUDA 13 runtime libraries come
# from the machine, or from that build's wheels (SEOGO_CUDA_VENV).
#   OUT=DIR             also writes DIR/gpu-check.json
#   SEOGO_GPU_DEVICE    default cuda (cuda:N for another card)
# Extra arguments go to `seogo bench gpu` (e.g. --passages 2048).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SEOGO_BIN:-}
if [ -z "$bin" ]; then
  bash scripts/build-cuda.sh
  profile=debug; [ "${SEOGO_PROFILE:-dev}" = release ] && profile=release
  bin=${CARGO_TARGET_DIR_CUDA:-$HOME/.cache/seogo/target-cuda}/$profile/seogo
fi
VENV=${SEOGO_CUDA_VENV:-$HOME/.cache/seogo/cuda13}
CU=$(ls -d "$VENV"/lib/python3*/site-packages/nvidia/cu13 2>/dev/null || true)
if [ -n "$CU" ]; then
  export LD_LIBRARY_PATH="$CU/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2
rc=0
report=$("$bin" bench gpu --device "${SEOGO_GPU_DEVICE:-cuda}" --compare --json "$@") || rc=$?
printf '%s\n' "$report"
if [ -n "${OUT:-}" ]; then
  printf '%s\n' "$report" > "$OUT/gpu-check.json"
fi
if [ "$rc" -ne 0 ]; then
  echo "gpu-check: the CPU and the GPU disagree, or the benchmark failed (exit $rc)" >&2
fi
exit "$rc"
