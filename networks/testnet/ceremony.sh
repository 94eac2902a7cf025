#!/usr/bin/env bash
# Genesis ceremony and node setup of a public meshd testnet, one step per role
# (networks/testnet/README.md walks through it):
#
#   coordinator:  ceremony.sh init DIR                  pre-genesis in DIR/pre-genesis.json
#   validator:    ceremony.sh gentx HOME MONIKER PRE_GENESIS IP [P2P_PORT]
#                                                       key, account and gentx in HOME/ceremony/
#   coordinator:  ceremony.sh collect DIR SUBMISSIONS_DIR
#                                                       DIR/genesis.json and its sha256
#   validator:    ceremony.sh configure HOME GENESIS [EXTERNAL_ADDR]
#                                                       final genesis, peers from the gentxs, snapshots
#   new node:     ceremony.sh join HOME MONIKER GENESIS PEERS RPC[,RPC]
#                                                       a full node that state-syncs from RPC
#   rehearsal:    ceremony.sh rehearse N DIR BASE_PORT  all of the above for N validators on
#                                                       127.0.0.1 (ports BASE_PORT + 10·i + 0..3)
#
# Environment: MESHD (default ./build/meshd) and the TESTNET_* settings in
# networks/testnet/testnet.env.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=testnet.env
source "$ROOT/networks/testnet/testnet.env"
# shellcheck source=../../scripts/toml.sh
source "$ROOT/scripts/toml.sh"
MESHD=${MESHD:-$ROOT/build/meshd}

log() { printf '%s\n' "$*" >&2; }
die() { log "ceremony: $*"; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is required"; }

# init DIR: the coordinator's pre-genesis: meshd's defaults with testnet.env's
# changes, no accounts yet.
cmd_init() {
  local dir=$1 home=$1/coordinator
  mkdir -p "$dir"
  rm -rf "$home"
  "$MESHD" init coordinator --chain-id "$TESTNET_CHAIN_ID" --home "$home" >/dev/null 2>&1
  local gen=$home/config/genesis.json
  jq --arg gov_voting_period "$TESTNET_GOV_VOTING_PERIOD" \
    --arg gov_expedited_voting_period "$TESTNET_GOV_EXPEDITED_VOTING_PERIOD" \
    -f "$ROOT/networks/testnet/genesis.jq" "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  "$MESHD" genesis validate "$gen" --home "$home" >/dev/null
  cp "$gen" "$dir/pre-genesis.json"
  log "ceremony: pre-genesis of $TESTNET_CHAIN_ID in $dir/pre-genesis.json; send it to every genesis validator"
}

# gentx HOME MONIKER PRE_GENESIS IP [P2P_PORT]: a validator's node home, key,
# genesis account and gentx. HOME/ceremony/ then holds what the validator
# sends back: gentx-*.json and account.txt ("address amount").
cmd_gentx() {
  local home=$1 moniker=$2 pre=$3 ip=$4 port=${5:-26656}
  local k=(--home "$home" --keyring-backend "$TESTNET_KEYRING")
  [[ -d $home/config ]] && die "$home already has a node; use a new home"
  "$MESHD" init "$moniker" --chain-id "$TESTNET_CHAIN_ID" --home "$home" >/dev/null 2>&1
  cp "$pre" "$home/config/genesis.json"
  "$MESHD" keys add validator "${k[@]}" --output json >"$home/validator.key.json" 2>&1
  chmod 600 "$home/validator.key.json"
  local addr
  addr=$("$MESHD" keys show validator -a "${k[@]}")
  "$MESHD" genesis add-genesis-account "$addr" "$TESTNET_VALIDATOR_FUNDS" --home "$home"
  mkdir -p "$home/ceremony"
  "$MESHD" genesis gentx validator "$TESTNET_VALIDATOR_BOND" "${k[@]}" --chain-id "$TESTNET_CHAIN_ID" \
    --moniker "$moniker" --commission-rate "$TESTNET_COMMISSION_RATE" --ip "$ip" --p2p-port "$port" \
    --output-document "$home/ceremony/gentx-$moniker.json" >/dev/null 2>&1
  echo "$addr $TESTNET_VALIDATOR_FUNDS" >"$home/ceremony/account.txt"
  log "ceremony: $moniker's gentx and account in $home/ceremony/; send both to the coordinator"
  log "ceremony: the mnemonic of $addr is in $home/validator.key.json: back it up offline, then delete it"
}

# collect DIR SUBMISSIONS_DIR: the coordinator adds every submitted account,
# collects the gentxs, validates, and publishes DIR/genesis.json.
cmd_collect() {
  local dir=$1 subs=$2 home=$1/coordinator
  local gentxs=$home/config/gentx
  rm -rf "$gentxs" && mkdir -p "$gentxs"
  cp "$dir/pre-genesis.json" "$home/config/genesis.json"
  local f n=0 addr amount
  for f in "$subs"/*/account.txt; do
    read -r addr amount <"$f"
    "$MESHD" genesis add-genesis-account "$addr" "$amount" --home "$home"
    cp "$(dirname "$f")"/gentx-*.json "$gentxs/"
    n=$((n + 1))
  done
  ((n > 0)) || die "no submissions (*/account.txt) in $subs"
  "$MESHD" genesis collect-gentxs --gentx-dir "$gentxs" --home "$home" >/dev/null 2>&1
  "$MESHD" genesis validate --home "$home" >/dev/null
  cp "$home/config/genesis.json" "$dir/genesis.json"
  (cd "$dir" && sha256sum genesis.json >genesis.json.sha256)
  log "ceremony: $dir/genesis.json with $n validators, sha256 $(cut -d' ' -f1 "$dir/genesis.json.sha256")"
}

# peers GENESIS: node-id@ip:port of every gentx in the genesis (the memo
# `genesis gentx --ip --p2p-port` wrote), comma-separated.
peers_of() {
  jq -r '[.app_state.genutil.gen_txs[].body.memo] | join(",")' "$1"
}

# configure HOME GENESIS [EXTERNAL_ADDR]: a genesis validator's node, ready to
# start: the published genesis, every other validator as a persistent peer,
# state-sync snapshots served, minimum gas prices.
cmd_configure() {
  local home=$1 gen=$2 external=${3:-}
  cp "$gen" "$home/config/genesis.json"
  "$MESHD" genesis validate --home "$home" >/dev/null
  local self peers
  self=$("$MESHD" comet show-node-id --home "$home")
  peers=$(peers_of "$gen" | tr ',' '\n' | grep -v "^$self@" | paste -sd, -)
  local cfg=$home/config/config.toml
  set_toml "$cfg" p2p persistent_peers "\"$peers\""
  [[ -n $external ]] && set_toml "$cfg" p2p external_address "\"$external\""
  "$MESHD" config set app minimum-gas-prices "$TESTNET_MIN_GAS_PRICES" --home "$home"
  "$MESHD" config set app state-sync.snapshot-interval "$TESTNET_SNAPSHOT_INTERVAL" --home "$home"
  "$MESHD" config set app state-sync.snapshot-keep-recent "$TESTNET_SNAPSHOT_KEEP" --home "$home"
  "$MESHD" config set client chain-id "$TESTNET_CHAIN_ID" --home "$home"
  log "ceremony: $home is configured; start it with: meshd start --home $home"
}

# join HOME MONIKER GENESIS PEERS RPCS: a full node that state-syncs: it
# trusts the block TESTNET_TRUST_OFFSET heights below the first RPC server's
# latest and restores the newest snapshot after it.
cmd_join() {
  local home=$1 moniker=$2 gen=$3 peers=$4 rpcs=$5
  need curl
  [[ -d $home/config ]] && die "$home already has a node; use a new home"
  "$MESHD" init "$moniker" --chain-id "$TESTNET_CHAIN_ID" --home "$home" >/dev/null 2>&1
  cp "$gen" "$home/config/genesis.json"
  local rpc=${rpcs%%,*} latest trust hash
  latest=$(curl -fsS "$rpc/block" | jq -r .result.block.header.height)
  trust=$((latest - TESTNET_TRUST_OFFSET))
  ((trust > 0)) || trust=1
  hash=$(curl -fsS "$rpc/block?height=$trust" | jq -r .result.block_id.hash)
  [[ -n $hash && $hash != null ]] || die "no block $trust at $rpc"
  # CometBFT wants two RPC servers; one given twice is accepted.
  [[ $rpcs == *,* ]] || rpcs="$rpcs,$rpcs"
  local cfg=$home/config/config.toml
  set_toml "$cfg" p2p persistent_peers "\"$peers\""
  set_toml "$cfg" statesync enable true
  set_toml "$cfg" statesync rpc_servers "\"$rpcs\""
  set_toml "$cfg" statesync trust_height "$trust"
  set_toml "$cfg" statesync trust_hash "\"$hash\""
  "$MESHD" config set app minimum-gas-prices "$TESTNET_MIN_GAS_PRICES" --home "$home"
  log "ceremony: $home will state-sync from $rpcs trusting height $trust ($hash)"
}

# rehearse N DIR BASE_PORT: the whole ceremony for N validators on this
# machine, node i listening on 127.0.0.1 at BASE_PORT + 10·i + (0 rpc, 1 p2p,
# 2 grpc, 3 api). It prints the start command of each node.
cmd_rehearse() {
  local n=$1 dir=$2 base=$3 i home p
  TESTNET_KEYRING=test
  cmd_init "$dir"
  for i in $(seq 0 $((n - 1))); do
    p=$((base + 10 * i))
    cmd_gentx "$dir/val$i" "val$i" "$dir/pre-genesis.json" 127.0.0.1 $((p + 1))
  done
  mkdir -p "$dir/submissions"
  for i in $(seq 0 $((n - 1))); do cp -r "$dir/val$i/ceremony" "$dir/submissions/val$i"; done
  cmd_collect "$dir" "$dir/submissions"
  for i in $(seq 0 $((n - 1))); do
    home=$dir/val$i p=$((base + 10 * i))
    cmd_configure "$home" "$dir/genesis.json"
    local_ports "$home" "$p"
    echo "$MESHD start --home $home"
  done
}

# local_ports HOME PORT: loopback listeners at PORT + 0..3 (rpc, p2p, grpc,
# api) and no pprof, for several nodes on one machine.
local_ports() {
  local home=$1 p=$2 cfg=$1/config/config.toml
  set_toml "$cfg" rpc laddr "\"tcp://127.0.0.1:$p\""
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$((p + 1))\""
  set_toml "$cfg" p2p addr_book_strict false
  set_toml "$cfg" p2p allow_duplicate_ip true
  "$MESHD" config set app grpc.address "127.0.0.1:$((p + 2))" --home "$home"
  "$MESHD" config set app api.address "tcp://127.0.0.1:$((p + 3))" --home "$home"
  "$MESHD" config set client node "tcp://127.0.0.1:$p" --home "$home"
}

need jq
[[ -x $MESHD ]] || die "$MESHD not found; run 'make build' or set MESHD"
case ${1:-} in
  init) (($# == 2)) || die "usage: ceremony.sh init DIR"; cmd_init "$2" ;;
  gentx) (($# >= 5)) || die "usage: ceremony.sh gentx HOME MONIKER PRE_GENESIS IP [P2P_PORT]"; cmd_gentx "${@:2}" ;;
  collect) (($# == 3)) || die "usage: ceremony.sh collect DIR SUBMISSIONS_DIR"; cmd_collect "$2" "$3" ;;
  configure) (($# >= 3)) || die "usage: ceremony.sh configure HOME GENESIS [EXTERNAL_ADDR]"; cmd_configure "${@:2}" ;;
  join) (($# == 6)) || die "usage: ceremony.sh join HOME MONIKER GENESIS PEERS RPC[,RPC]"; cmd_join "${@:2}" ;;
  local-ports) (($# == 3)) || die "usage: ceremony.sh local-ports HOME PORT"; local_ports "$2" "$3" ;;
  rehearse) (($# == 4)) || die "usage: ceremony.sh rehearse N DIR BASE_PORT"; cmd_rehearse "$2" "$3" "$4" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
