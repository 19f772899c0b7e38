#!/usr/bin/env bash
# The main job on the embedded default: build, install the models, ingest the
# demo corpus, serve the API and the chat widget's demo page on
# http://127.0.0.1:8080/demo (SEOGO_BIND to change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
seogo() { cargo run -q --bin seogo -- "$@"; }
seogo models install
seogo ingest demo/corpus
seogo search "냉각수 펌프 점검 주기" -k 3
BIND=${SEOGO_BIND:-127.0.0.1:8080}
echo "seogo: the chat widget's demo page: http://$BIND/demo (API: http://$BIND/v1/openapi.json)"
seogo serve --bind "$BIND"
