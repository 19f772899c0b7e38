#!/usr/bin/env bash
# Fuzzes every document parser and the query parser with cargo-fuzz
# (libFuzzer, on the nightly toolchain) for a fixed time each, seeded from
# ../shared/data. Not part of CI: run by hand, then copy the table into
# docs/RELIABILITY.md. A crash leaves its input under
# fuzz/artifacts/TARGET/; turn it into a regression test before fixing it.
#
#   bash scripts/fuzz.sh            # 60 s per target
#   bash scripts/fuzz.sh 600 pdf    # 10 minutes on one target
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(pdf docx xlsx hwp hwpx html xml csv eml file query)
DATA=$(cd .. && pwd)/shared/data
WORK="$HOME/.cache/seogo/fuzz"
export SEOGO_MODELS_DIR=${SEOGO_MODELS_DIR:-$HOME/.cache/seogo/models}

cargo install --list | grep -q '^cargo-fuzz ' || cargo install cargo-fuzz --locked
# The fuzz crate resolves the workspace's own versions.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock

# Seeds: up to 40 files under 1 MB per format (links, nothing copied;
# `-size -1M` would round up to whole MiB and match only empty files).
seed() {
  local target=$1; shift
  mkdir -p "$WORK/seeds/$target" "$WORK/corpus/$target"
  local n=0
  for ext in "$@"; do
    while IFS= read -r -d '' f; do
      ln -sf "$f" "$WORK/seeds/$target/$n.$ext"
      n=$((n + 1))
    done < <(find "$DATA" -iname "*.$ext" -size -1024k -print0 | sort -z | head -z -n 40)
  done
}
seed pdf pdf; seed docx docx; seed xlsx xlsx; seed hwp hwp; seed hwpx hwpx
seed html html; seed xml xml; seed csv csv; seed eml eml
seed file pdf docx hwp hwpx html eml csv md
mkdir -p "$WORK/seeds/query" "$WORK/corpus/query"
grep -E '^\| [0-9]+ \|' demo/QUESTIONS.md | awk -F'|' -v d="$WORK/seeds/query" \
  '{ gsub(/^ +| +$/, "", $3); f = d "/" NR ".txt"; printf "%s", $3 > f; close(f) }'
printf '"영업 이익" PN-44*' > "$WORK/seeds/query/phrase-prefix.txt"
printf '제3조 "냉각수 펌프" E-20*' > "$WORK/seeds/query/article.txt"

(cd fuzz && cargo +nightly fuzz build -O)

printf '| target | seconds | executions | exec/s | corpus | crashes |\n|---|---|---|---|---|---|\n'
for t in "${TARGETS[@]}"; do
  log="$WORK/$t.log"
  (cd fuzz && cargo +nightly fuzz run -O "$t" "$WORK/corpus/$t" "$WORK/seeds/$t" -- \
     -max_total_time="$BUDGET" -timeout=20 -rss_limit_mb=3072 -max_len=1048576 \
     -print_final_stats=1) >"$log" 2>&1 || true
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  corpus=$(find "$WORK/corpus/$t" -type f | wc -l)
  crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$BUDGET" "${runs:-0}" "${rate:-0}" "$corpus" "$crashes"
done
