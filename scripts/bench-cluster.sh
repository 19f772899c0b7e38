#!/usr/bin/env bash
# Query latency, throughput and build rate at a collection size, on a local
# 3-peer Qdrant cluster (shards 3, replication 2) and on the embedded store
# beside it, with each Qdrant peer's resident memory and disk sampled while
# the bench runs. The figures go to docs/SCALING.md.
#
#   bash scripts/bench-cluster.sh 100000 [OUT_DIR]
#
# FUSION=qdrant fuses hybrid search inside Qdrant (one Query API call)
# instead of in Seogo; EMBEDDED=0 skips the embedded run.
#
# Needs the Qdrant binary from ../shared/tools/qdrant/build.sh. Everything
# runs on this machine: the peers share its cores with Seogo, so this
# measures the software path, not what three machines would serve.
set -euo pipefail
cd "$(dirname "$0")/.."
chunks=${1:?give the collection size in chunks}
out=${2:-/tmp/seogo-scale-$chunks}
tools=${QDRANT_TOOLS:-../shared/tools/qdrant}
dataset=${DATASET:-../shared/data/korquad-v1-dev/KorQuAD_v1.0_dev.json}
clients=${CLIENTS:-4,16}
export QDRANT_BASE_PORT=${QDRANT_BASE_PORT:-16333}
mkdir -p "$out"
seogo=${SEOGO_BIN:-target/release/seogo}
[ -x "$seogo" ] || seogo=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/seogo

cluster=$out/qdrant
bash "$tools/run-cluster.sh" start "$cluster" 3 >/dev/null
trap 'kill "${sampler:-0}" 2>/dev/null || true; bash "$tools/run-cluster.sh" stop "$cluster" >/dev/null 2>&1' EXIT

cat > "$out/cluster.toml" <<EOF
[vectors]
backend = "qdrant"
url = "http://127.0.0.1:$((QDRANT_BASE_PORT + 1))"
collection_prefix = "scale_"
shards = 3
replication_factor = 2
fusion = "${FUSION:-seogo}"
EOF

# Each peer's RSS (MB) and storage (MB), every 5 s, while the benches run.
(
  while sleep 5; do
    line=$(date +%s)
    while read -r pid; do
      rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status" 2>/dev/null || echo 0)
      line="$line $rss"
    done < "$cluster/pids"
    for i in 0 1 2; do
      line="$line $(du -sm "$cluster/peer$i/storage" 2>/dev/null | cut -f1)"
    done
    echo "$line"
  done
) > "$out/peers.log" &
sampler=$!

"$seogo" --data-dir "$out/cluster-data" --config "$out/cluster.toml" bench search \
  --dataset "$dataset" --chunks "$chunks" --clients "$clients" --json > "$out/cluster.json"
kill "$sampler" 2>/dev/null || true
if [ "${EMBEDDED:-1}" != 0 ]; then
  "$seogo" --data-dir "$out/embedded-data" bench search \
    --dataset "$dataset" --chunks "$chunks" --clients "$clients" --json > "$out/embedded.json"
fi

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
peers = [list(map(int, l.split()[1:])) for l in open(f"{out}/peers.log") if l.strip()]
if peers:
    rss = [max(p[i] for p in peers) for i in range(3)]
    disk = [max(p[3 + i] for p in peers) for i in range(3)]
    print(f"peers: max RSS MB {rss}, max storage MB {disk}")
import os
for name in ("cluster", "embedded"):
    if not os.path.exists(f"{out}/{name}.json"):
        continue
    r = json.load(open(f"{out}/{name}.json"))
    for s in r["sizes"]:
        print(f"{name} {s['chunks']} chunks: build {s['build_seconds']} s "
              f"({s['chunks'] / max(s['build_seconds'], 1e-9):.0f} chunks/s), disk {s['disk_mb']} MB, "
              f"RSS {s['rss_mb']} MB, recall@10 {s['recall_at_10']}")
        for m in s["modes"]:
            conc = "; ".join(f"{c['clients']} clients {c['qps']} q/s p50 {c['p50_ms']} p99 {c['p99_ms']}"
                             for c in m["concurrent"])
            print(f"  {m['mode']}: p50 {m['p50_ms']} p99 {m['p99_ms']} ms, {m['qps']} q/s; {conc}")
PY
