#!/usr/bin/env bash
# Single-validator development network.
#   scripts/localnet.sh start   initialise (first time) and start in the background
#   scripts/localnet.sh stop    stop it
#   scripts/localnet.sh reset   stop it and delete its home
#   scripts/localnet.sh status  print whether it runs, and its height
# Environment: LOCALNET_HOME (default ./.localnet), MESHD (default ./build/meshd),
# and the LOCALNET_* settings in networks/local/localnet.env.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../networks/local/localnet.env
source "$ROOT/networks/local/localnet.env"
HOME_DIR=${LOCALNET_HOME:-$ROOT/.localnet}
MESHD=${MESHD:-$ROOT/build/meshd}
NODE_HOME=$HOME_DIR/meshd
PID_FILE=$HOME_DIR/meshd.pid
LOG_FILE=$HOME_DIR/meshd.log
RPC=tcp://127.0.0.1:$LOCALNET_RPC_PORT

log() { printf '%s\n' "$*" >&2; }
die() { log "localnet: $*"; exit 1; }

running() {
  [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

height() {
  "$MESHD" status --node "$RPC" 2>/dev/null | jq -r '.sync_info.latest_block_height // .SyncInfo.latest_block_height // empty' 2>/dev/null || true
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# set_toml FILE SECTION KEY VALUE sets KEY = VALUE inside [SECTION] of a
# CometBFT config.toml (confix edits app.toml and client.toml only).
set_toml() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v s="[$section]" -v k="$key" -v v="$value" '
    /^\[/ { in_s = ($0 == s) }
    in_s && $1 == k && $2 == "=" { print k " = " v; next }
    { print }' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
  grep -q "^$key = $value\$" "$file" || die "could not set $section.$key in $file"
}

init_chain() {
  log "localnet: initialising $LOCALNET_CHAIN_ID in $HOME_DIR"
  rm -rf "$NODE_HOME"
  mkdir -p "$HOME_DIR"
  local m=(--home "$NODE_HOME")
  "$MESHD" init localnet --chain-id "$LOCALNET_CHAIN_ID" "${m[@]}" >/dev/null 2>&1
  "$MESHD" config set client chain-id "$LOCALNET_CHAIN_ID" "${m[@]}"
  "$MESHD" config set client keyring-backend test "${m[@]}"
  "$MESHD" config set client node "$RPC" "${m[@]}"

  : >"$HOME_DIR/accounts.txt"
  for name in validator $LOCALNET_DEV_ACCOUNTS; do
    "$MESHD" keys add "$name" --output json "${m[@]}" >"$HOME_DIR/$name.key.json" 2>&1
    chmod 600 "$HOME_DIR/$name.key.json"
    local funds=$LOCALNET_DEV_FUNDS
    [[ $name == validator ]] && funds=$LOCALNET_VALIDATOR_FUNDS
    "$MESHD" genesis add-genesis-account "$name" "$funds" "${m[@]}"
    printf '%-10s %s\n' "$name" "$("$MESHD" keys show "$name" -a "${m[@]}")" >>"$HOME_DIR/accounts.txt"
  done
  "$MESHD" genesis gentx validator "$LOCALNET_VALIDATOR_BOND" --chain-id "$LOCALNET_CHAIN_ID" \
    --moniker localnet "${m[@]}" >/dev/null 2>&1
  "$MESHD" genesis collect-gentxs "${m[@]}" >/dev/null 2>&1

  local gen=$NODE_HOME/config/genesis.json
  jq -f "$ROOT/networks/local/genesis.jq" "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  "$MESHD" genesis validate "${m[@]}" >/dev/null

  # Loopback only; ~1 s blocks; REST on.
  local cfg=$NODE_HOME/config/config.toml
  set_toml "$cfg" rpc laddr "\"$RPC\""
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$LOCALNET_P2P_PORT\""
  set_toml "$cfg" consensus timeout_commit "\"$LOCALNET_BLOCK_TIME\""
  "$MESHD" config set app grpc.address "127.0.0.1:$LOCALNET_GRPC_PORT" "${m[@]}"
  "$MESHD" config set app api.enable true "${m[@]}"
  "$MESHD" config set app api.address "tcp://127.0.0.1:$LOCALNET_API_PORT" "${m[@]}"
  "$MESHD" config set app minimum-gas-prices "$LOCALNET_MIN_GAS_PRICES" "${m[@]}"
  touch "$HOME_DIR/.initialised"
}

start() {
  command -v jq >/dev/null || die "jq is required (apt-get install jq)"
  [[ -x $MESHD ]] || die "$MESHD not found; run 'make build' first"
  if running; then
    log "localnet: already running (pid $(cat "$PID_FILE"))"
    summary
    return 0
  fi
  for p in "$LOCALNET_RPC_PORT" "$LOCALNET_P2P_PORT" "$LOCALNET_GRPC_PORT" "$LOCALNET_API_PORT"; do
    port_free "$p" || die "port $p on 127.0.0.1 is in use (another node?); stop it or set LOCALNET_*_PORT"
  done
  # A home without the marker is a half-finished init: start over.
  [[ -f $HOME_DIR/.initialised ]] || init_chain

  log "localnet: starting meshd (log: $LOG_FILE)"
  nohup "$MESHD" start --home "$NODE_HOME" >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"

  local h="" deadline=$((SECONDS + 90))
  while (( SECONDS < deadline )); do
    running || { tail -n 30 "$LOG_FILE" >&2; die "meshd exited; see $LOG_FILE"; }
    h=$(height)
    [[ -n $h && $h -ge 2 ]] && break
    sleep 1
  done
  [[ -n $h && $h -ge 2 ]] || { tail -n 30 "$LOG_FILE" >&2; die "no blocks after 90 s; see $LOG_FILE"; }
  summary
}

summary() {
  cat >&2 <<EOT

meshd localnet is running: chain-id $LOCALNET_CHAIN_ID, height $(height)
  RPC   http://127.0.0.1:$LOCALNET_RPC_PORT
  gRPC  127.0.0.1:$LOCALNET_GRPC_PORT
  REST  http://127.0.0.1:$LOCALNET_API_PORT
  home  $NODE_HOME   (log: $LOG_FILE)

Dev accounts (keyring-backend test, in the home above):
$(sed 's/^/  /' "$HOME_DIR/accounts.txt")

Use it:   $MESHD q bank balances \$($MESHD keys show alice -a --home $NODE_HOME) --home $NODE_HOME
Stop it:  make localnet-stop      Wipe it: make localnet-reset
EOT
}

stop() {
  if running; then
    local pid
    pid=$(cat "$PID_FILE")
    kill "$pid"
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "localnet: stopped meshd (pid $pid)"
  else
    log "localnet: not running"
  fi
  rm -f "$PID_FILE"
}

case ${1:-start} in
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$HOME_DIR"; log "localnet: removed $HOME_DIR" ;;
  status) if running; then log "localnet: running (pid $(cat "$PID_FILE")), height $(height)"; else log "localnet: not running"; exit 1; fi ;;
  *) die "usage: $0 start|stop|reset|status" ;;
esac
