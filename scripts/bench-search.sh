#!/usr/bin/env bash
# Load benchmark of `POST /v1/search` on loopback with wrk: the demo corpus
# in a fresh data directory, one API key, the rate limit off, then
# $CONNECTIONS concurrent clients for $DURATION. Prints wrk's report
# (requests/s, latency percentiles, non-2xx count) for docs/BENCHMARKS.md.
# Needs wrk (Debian: apt-get install wrk) and a built seogo.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
BIN=${SEOGO_BIN:-target/debug/seogo}
MODE=${MODE:-hybrid}
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-8097}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf '[server]\nrequests_per_minute = 0\n' > "$WORK/seogo.toml"
"$BIN" --data-dir "$WORK/data" ingest demo/corpus >/dev/null
KEY=$("$BIN" --data-dir "$WORK/data" keys create --name bench 2>/dev/null)
"$BIN" --config "$WORK/seogo.toml" --data-dir "$WORK/data" serve --bind "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 1
done
SEOGO_KEY=$KEY MODE=$MODE UNIQUE=${UNIQUE:-0} wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency \
  -s scripts/wrk-search.lua "http://127.0.0.1:$PORT/v1/search"
echo "audit lines written: $(wc -l < "$WORK/data/audit/audit.log")"
