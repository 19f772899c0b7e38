#!/usr/bin/env bash
# The main job on the embedded default: build, install the models, ingest the
# demo corpus, serve the API, the chat widget's demo page on
# http://127.0.0.1:8080/demo and the operator console on /console (with an
# admin key made for it; SEOGO_BIND to change the address).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
seogo() { cargo run -q --bin seogo -- "$@"; }
seogo models install
seogo ingest demo/corpus
seogo search "냉각수 펌프 점검 주기" -k 3
BIND=${SEOGO_BIND:-127.0.0.1:8080}
# The operator console signs in with an admin key: a fresh one each run
# (the last run's is revoked, its secret being shown only once), while the
# widget's demo page stays open to anonymous readers (public documents).
for id in $(seogo keys list | awk '$NF == "demo-console" {print $1}'); do
  seogo keys revoke "$id"
done
CONSOLE_KEY=$(seogo keys create --name demo-console --role admin)
export SEOGO__SERVER__ANONYMOUS=true
echo "seogo: the chat widget's demo page: http://$BIND/demo (API: http://$BIND/v1/openapi.json)"
echo "seogo: the operator console: http://$BIND/console (sign in with $CONSOLE_KEY)"
seogo serve --bind "$BIND"
