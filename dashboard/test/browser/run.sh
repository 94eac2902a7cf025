#!/usr/bin/env bash
# make test-browser: builds the client and the dashboard, starts a localnet of
# its own (LOCALNET_HOME under build/, ports 4xxxx so a running `make
# localnet` is untouched), runs the client's and the browser tests against
# it, and stops it. Skips with a message when node, npm or chromium is missing.
set -euo pipefail
[[ -n ${MESHD:-} ]] && MESHD=$(realpath "$MESHD")
cd "$(dirname "$0")/../.."
dash=$PWD root=$(cd .. && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
for t in node npm; do command -v $t >/dev/null || { echo "test-browser: SKIPPED: $t not found (apt-get install nodejs npm)"; exit 0; }; done
[[ -x $CHROMIUM ]] || { echo "test-browser: SKIPPED: $CHROMIUM not found (apt-get install chromium)"; exit 0; }
export PUPPETEER_SKIP_DOWNLOAD=1
(cd "$root/clients/ts" && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run build)
[[ -d node_modules ]] || npm ci --no-audit --no-fund
npm test
npm run build

export LOCALNET_HOME=$root/build/localnet-browser LOCALNET_RPC_PORT=46657 LOCALNET_P2P_PORT=46656 LOCALNET_GRPC_PORT=49090 \
  LOCALNET_API_PORT=41317 LOCALNET_SIDECAR_LISTEN=127.0.0.1:46695 LOCALNET_WORKER_LISTEN=127.0.0.1:46680 \
  LOCALNET_DASHBOARD_PORT=48080 LOCALNET_CHAIN_ID=mesh-browser-1
rm -rf "$LOCALNET_HOME"
trap '"$root/scripts/localnet.sh" stop || true' EXIT
MESHD=${MESHD:-$root/build/meshd} "$root/scripts/localnet.sh" start
export MESH_RPC=http://127.0.0.1:$LOCALNET_RPC_PORT MESH_REST=http://127.0.0.1:$LOCALNET_API_PORT
export MESH_CHAIN_ID=$LOCALNET_CHAIN_ID DASHBOARD_URL=http://127.0.0.1:$LOCALNET_DASHBOARD_PORT
MESH_MNEMONIC=$(jq -r .mnemonic "$LOCALNET_HOME/alice.key.json") MESH_KEPLR_MNEMONIC=$(jq -r .mnemonic "$LOCALNET_HOME/carol.key.json")
export MESH_MNEMONIC MESH_KEPLR_MNEMONIC CHROMIUM ARTIFACTS=$root/build/artifacts/dashboard
export MESHD=${MESHD:-$root/build/meshd} MESH_NODE_HOME=$LOCALNET_HOME/meshd
# A two-round training task from the start, so the Rewards page has per-round held-out losses to draw.
cat >"$LOCALNET_HOME/task.json" <<'JSON'
{"base_model_id": "mesh-embedded-v1", "dataset_ids": [1], "rounds": 2, "participants_per_round": 3, "aggregators_per_round": 3,
 "aggregation": "fedavg", "hyperparams": {"epochs": 2, "seed": 7}, "budget": "20000000umesh"}
JSON
"$MESHD" tx training create-task "$LOCALNET_HOME/task.json" --from bob --home "$MESH_NODE_HOME" --keyring-backend test \
  --chain-id "$MESH_CHAIN_ID" --node "$MESH_RPC" --gas auto --gas-adjustment 1.5 --gas-prices 0.0025umesh -y -o json >/dev/null
trap 'rc=$?; if [[ $rc != 0 ]]; then for f in meshd.log worker-1.log worker-2.log worker-3.log; do echo "== tail $f"; tail -n 25 "$LOCALNET_HOME/$f"; done; fi; "$root/scripts/localnet.sh" stop || true' EXIT
curl -fsS -m 5 -o /dev/null "$MESH_REST/mesh/openapi.json" && echo "test-browser: GET /mesh/openapi.json ok"
(cd "$root/clients/ts" && node --test test/)
node --test --test-concurrency=1 test/browser/
echo "test-browser: screenshots in $ARTIFACTS"
