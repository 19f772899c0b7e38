#!/usr/bin/env bash
# Batch QA throughput (docs/BENCHMARKS.md): the 20 questions of
# scripts/bench/batch-questions.csv over the demo corpus, answered by the
# local generator (candle, in-process) and by llama.cpp's llama-server
# serving the same GGUF (the OpenAI-compatible path a vLLM/SGLang node
# takes), with N questions in flight. Prints rows, seconds, questions/min.
#   bash scripts/bench-batch.sh [CONCURRENCY]   (default 4)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
cargo build -q --bin seogo
BIN=target/debug/seogo
WORK=$(mktemp -d)
trap 'kill $LLAMA 2>/dev/null || true; rm -rf "$WORK"' EXIT
S="$BIN --data-dir $WORK/data"
$S ingest demo/corpus >/dev/null
QUESTIONS=scripts/bench/batch-questions.csv

measure() { # name, extra seogo args
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  $S "$@" batch "$QUESTIONS" --out "$WORK/$name.jsonl" --concurrency "$N" --json >"$WORK/$name.json"
  end=$(date +%s.%N)
  python3 - "$name" "$start" "$end" "$WORK/$name.json" "$WORK/$name.jsonl" <<'PY'
import json, sys
name, start, end, summary, rows = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
s = json.load(open(summary))
grounded = sum(1 for line in open(rows) if json.loads(line)["grounded"])
secs = end - start
print(f"{name}: {s['rows']} rows, {s['asked']} asked, {grounded} grounded, {secs:.0f} s, {s['asked'] / secs * 60:.1f} questions/min")
PY
}

measure local
LLAMA_BIN=${SEOGO_LLAMA_SERVER:-$(bash scripts/llama-server.sh)}
PORT=18089
"$LLAMA_BIN" -m "${SEOGO_MODELS_DIR:-models}/qwen2.5-coder-1.5b-instruct/model-q4_k_m.gguf" \
  --host 127.0.0.1 --port $PORT -c $((4096 * N)) -np "$N" --alias bench --no-webui >"$WORK/llama.log" 2>&1 &
LLAMA=$!
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do sleep 1; done
cat >"$WORK/served.toml" <<TOML
[generator]
kind = "openai"
base_url = "http://127.0.0.1:$PORT/v1"
model = "bench"
context_length = 4096
[generator.http]
timeout_secs = 600
TOML
measure llama-server --config "$WORK/served.toml"
