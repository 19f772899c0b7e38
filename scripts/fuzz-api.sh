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
if curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null; then
  echo "port $PORT already answers: stop that server or set SEOGO_FUZZ_PORT" >&2
  exit 1
fi
# Asks are kept short (one source of at most 200 tokens, 4 tokens out):
# the fuzzer tests request decoding, not generation, and every valid ask
# still runs the local model. The per-caller rate limit is off so that the
# requests reach the handlers rather than stop at 429.
# The binary itself, not the `s` function, runs in the background, so that
# $PID is the server's and the cleanup stops it.
SEOGO__ANSWER__MAX_TOKENS=4 SEOGO__ANSWER__MAX_SOURCES=1 SEOGO__ANSWER__MAX_CONTEXT_TOKENS=200 \
SEOGO__SERVER__REQUESTS_PER_MINUTE=0 \
  "$SEOGO" --data-dir "$WORK/data" serve --bind "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
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
  --request-timeout 300 \
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
