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
MESH_MNEMONIC=$(jq -r .mnemonic "$LOCALNET_HOME/alice.key.json")
export MESH_MNEMONIC CHROMIUM ARTIFACTS=$root/build/artifacts/dashboard
curl -fsS -m 5 -o /dev/null "$MESH_REST/mesh/openapi.json" && echo "test-browser: GET /mesh/openapi.json ok"
(cd "$root/clients/ts" && node --test test/)
node --test --test-concurrency=1 test/browser/
echo "test-browser: screenshots in $ARTIFACTS"
