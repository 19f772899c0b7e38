#!/usr/bin/env bash
# Fuzzes the HTTP API's request decoding: schemathesis generates requests
# from the served OpenAPI description (bodies, parameters and headers, valid
# and not) against a real `seogo serve` on the demo corpus with an admin
# key, and fails on any 5xx, any response its schema does not describe, or a
# panic in the server's log. Not part of CI: run by hand, then copy the
# summary into docs/RELIABILITY.md.
#
#   bash scripts/fuzz-api.sh         # 100 examples per operation
#   bash scripts/fuzz-api.sh 1000
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-100}
VENV="$HOME/.cache/seogo/schemathesis"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==4.32.5"
fi
cargo build -q --locked --bin seogo
SEOGO=${CARGO_TARGET_DIR:-target}/debug/seogo
WORK=$(mktemp -d)
PORT=${SEOGO_FUZZ_PORT:-18089}
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
s() { "$SEOGO" --data-dir "$WORK/data" "$@"; }
s ingest demo/corpus >/dev/null
KEY=$(s keys create --name fuzz --role admin)
s serve --bind "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
PID=$!
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do
  kill -0 "$PID" || { cat "$WORK/serve.log"; exit 1; }
  sleep 1
done
status=0
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/v1/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $KEY" \
  --max-examples "$EXAMPLES" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /v1/admin/backup \
  --no-color || status=$?
if grep -q "panicked" "$WORK/serve.log"; then
  echo "the server panicked:" >&2
  grep -A3 "panicked" "$WORK/serve.log" >&2
  status=1
fi
kill -0 "$PID" || { echo "the server died" >&2; status=1; }
exit "$status"
