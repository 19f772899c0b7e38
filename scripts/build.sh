#!/usr/bin/env bash
# The one command that builds `seogo`: scripts/test.sh, scripts/demo.sh, CI
# and both Docker images run it, so an image holds the binary CI tested.
#   SEOGO_PROFILE=release   optimised build (the images)
#   SEOGO_FEATURES=cuda     candle on the GPU (docker/Dockerfile.cuda)
set -euo pipefail
cd "$(dirname "$0")/.."
args=(build --locked --bin seogo)
if [ "${SEOGO_PROFILE:-dev}" = release ]; then
  args+=(--release)
fi
if [ -n "${SEOGO_FEATURES:-}" ]; then
  args+=(--features "$SEOGO_FEATURES")
fi
exec cargo "${args[@]}"
