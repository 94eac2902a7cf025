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
# shellcheck source=toml.sh
source "$ROOT/scripts/toml.sh"
HOME_DIR=${LOCALNET_HOME:-$ROOT/.localnet}
MESHD=${MESHD:-$ROOT/build/meshd}
WORKER_BIN=${MESHD_WORKER:-$(dirname "$MESHD")/meshd-worker}
NODE_HOME=$HOME_DIR/meshd
PID_FILE=$HOME_DIR/meshd.pid
LOG_FILE=$HOME_DIR/meshd.log
# Worker i (1..LOCALNET_WORKERS) lives in $HOME_DIR/worker-i with worker-i.pid
# and worker-i.log beside it, and serves health/metrics on the i-th port
# from LOCALNET_WORKER_LISTEN.
worker_home() { echo "$HOME_DIR/worker-$1"; }
worker_pid_file() { echo "$HOME_DIR/worker-$1.pid"; }
worker_log_file() { echo "$HOME_DIR/worker-$1.log"; }
worker_listen() {
  local host=${LOCALNET_WORKER_LISTEN%:*} port=${LOCALNET_WORKER_LISTEN##*:}
  echo "$host:$((port + $1 - 1))"
}
RPC=tcp://127.0.0.1:$LOCALNET_RPC_PORT

log() { printf '%s\n' "$*" >&2; }
die() { log "localnet: $*"; exit 1; }

running() {
  [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

worker_running() {
  local f
  f=$(worker_pid_file "$1")
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# tx submits `meshd tx ARGS…` from the localnet home and waits until it is in a
# block with code 0.
tx() {
  local out hash code
  out=$("$MESHD" tx "$@" --home "$NODE_HOME" --gas auto --gas-adjustment 2 \
    --gas-prices "$LOCALNET_MIN_GAS_PRICES" -y -o json 2>"$HOME_DIR/tx.err") || die "tx $*: $(cat "$HOME_DIR/tx.err")"
  hash=$(jq -r .txhash <<<"$out" 2>/dev/null) || die "tx $*: $out"
  code=$(jq -r .code <<<"$out")
  [[ $code == 0 ]] || die "tx $* rejected: $(jq -r .raw_log <<<"$out")"
  for _ in $(seq 1 30); do
    sleep 1
    out=$("$MESHD" q tx "$hash" --home "$NODE_HOME" -o json 2>/dev/null) || continue
    code=$(jq -r .code <<<"$out")
    [[ $code == 0 ]] && return 0
    die "tx $* failed in block: $(jq -r .raw_log <<<"$out")"
  done
  die "tx $* ($hash) not included after 30 s"
}

# provision_workers creates the validator's compute pool and LOCALNET_WORKERS
# workers: a key each, authorised and fee-granted by the validator, and
# registered with the worker's own key. Runs once per localnet.
provision_workers() {
  [[ -x $WORKER_BIN ]] || die "$WORKER_BIN not found; run 'make build' first"
  local prov provaddr worker home i
  log "localnet: creating $LOCALNET_WORKERS compute pool(s), one worker each"
  for i in $(seq 1 "$LOCALNET_WORKERS"); do
    prov=$(worker_provider "$i")
    provaddr=$("$MESHD" keys show "$prov" -a --home "$NODE_HOME")
    tx pool create-pool "$LOCALNET_POOL_SELF_BOND" --commission "$LOCALNET_POOL_COMMISSION" --from "$prov"
    home=$(worker_home "$i")
    rm -rf "$home"
    worker=$("$WORKER_BIN" init --home "$home" --keyring-backend test -o json | jq -r .address)
    tx compute authorize-worker "$worker" --from "$prov"
    tx feegrant grant "$provaddr" "$worker" --spend-limit "$LOCALNET_WORKER_FEE_LIMIT" --from "$prov" \
      --allowed-messages "$LOCALNET_WORKER_MSGS"
    tx compute register-worker --provider "$provaddr" --gpu cpu --vram-gb 0 --gops "$LOCALNET_WORKER_GOPS" \
      --units "$LOCALNET_WORKER_UNITS" --models "$(worker_models)" \
      --from worker --keyring-dir "$home" --fee-granter "$provaddr"
    printf '%-10s %s (provider %s)\n' "worker-$i" "$worker" "$prov" >>"$HOME_DIR/accounts.txt"
  done
  touch "$HOME_DIR/.provisioned"
}

# worker_provider names the key of worker i's provider: the validator runs
# worker 1; providers provider-2, provider-3, … run the others. x/inference
# seats at most one worker per provider in a job, so a redundancy-3 request
# needs three providers.
worker_provider() { if [[ $1 == 1 ]]; then echo validator; else echo "provider-$1"; fi; }

# commit_window_seconds is the wall time of the PoC commit window,
# LOCALNET_COMMIT_WINDOW blocks of LOCALNET_BLOCK_TIME (s or ms), rounded up
# and at least 1: the chain's poc_commit_seconds, which sizes challenges.
commit_window_seconds() {
  awk -v bt="$LOCALNET_BLOCK_TIME" -v w="$LOCALNET_COMMIT_WINDOW" 'BEGIN {
    if (bt ~ /^[0-9.]+ms$/) ms = substr(bt, 1, length(bt) - 2) + 0
    else if (bt ~ /^[0-9.]+s$/) ms = (substr(bt, 1, length(bt) - 1) + 0) * 1000
    else { print "LOCALNET_BLOCK_TIME=" bt ": want e.g. 1s or 500ms" > "/dev/stderr"; exit 1 }
    s = int((w * ms + 999) / 1000); if (s < 1) s = 1; print s }'
}

worker_models() {
  if [[ $LOCALNET_OPENAI == 1 ]]; then echo "$LOCALNET_WORKER_MODELS,mesh-openai-v1"; else echo "$LOCALNET_WORKER_MODELS"; fi
}

serve_running() { [[ -f $HOME_DIR/serve.pid ]] && kill -0 "$(cat "$HOME_DIR/serve.pid")" 2>/dev/null; }

# start_serve runs meshd-worker serve: the embedded model behind an
# OpenAI-compatible API, which the workers reach with --openai-url.
start_serve() {
  [[ $LOCALNET_OPENAI == 1 ]] || return 0
  serve_running && return 0
  log "localnet: starting meshd-worker serve on $LOCALNET_OPENAI_LISTEN"
  nohup "$WORKER_BIN" serve --listen "$LOCALNET_OPENAI_LISTEN" >>"$HOME_DIR/serve.log" 2>&1 &
  echo $! >"$HOME_DIR/serve.pid"
}

start_workers() {
  local i provaddr openai=() sidecar
  start_serve
  [[ $LOCALNET_OPENAI == 1 ]] && openai=(--openai-url "http://$LOCALNET_OPENAI_LISTEN" --models "$(worker_models)")
  for i in $(seq 1 "$LOCALNET_WORKERS"); do
    worker_running "$i" && continue
    provaddr=$("$MESHD" keys show "$(worker_provider "$i")" -a --home "$NODE_HOME")
    sidecar=()
    [[ $i == 1 ]] && sidecar=(--sidecar-listen "$LOCALNET_SIDECAR_LISTEN") # the validator's own worker
    log "localnet: starting meshd-worker $i (log: $(worker_log_file "$i"))"
    nohup "$WORKER_BIN" start --home "$(worker_home "$i")" --grpc "127.0.0.1:$LOCALNET_GRPC_PORT" \
      --chain-id "$LOCALNET_CHAIN_ID" --fee-granter "$provaddr" --gas-prices "$LOCALNET_MIN_GAS_PRICES" \
      --listen "$(worker_listen "$i")" --train "$LOCALNET_WORKER_TRAIN" "${openai[@]}" "${sidecar[@]}" $LOCALNET_WORKER_FLAGS >>"$(worker_log_file "$i")" 2>&1 &
    echo $! >"$(worker_pid_file "$i")"
  done
  sleep 1
  for i in $(seq 1 "$LOCALNET_WORKERS"); do
    worker_running "$i" || { tail -n 30 "$(worker_log_file "$i")" >&2; die "meshd-worker $i exited; see $(worker_log_file "$i")"; }
  done
}

dashboard_running() { [[ -f $HOME_DIR/dashboard.pid ]] && kill -0 "$(cat "$HOME_DIR/dashboard.pid")" 2>/dev/null; }

# start_dashboard serves dashboard/dist on 127.0.0.1:LOCALNET_DASHBOARD_PORT
# with dashboard/serve.mjs when node is present, building it first (npm ci &&
# npm run build) when dist/ is missing. Failure only warns: the chain runs on.
start_dashboard() {
  [[ $LOCALNET_DASHBOARD == 1 ]] || return 0
  dashboard_running && return 0
  command -v node >/dev/null || { log "localnet: node not found; the dashboard is not served (apt-get install nodejs npm)"; return 0; }
  local d=$ROOT/dashboard
  if [[ ! -f $d/dist/index.html ]]; then
    command -v npm >/dev/null || { log "localnet: npm not found; cannot build the dashboard"; return 0; }
    log "localnet: building the dashboard (npm ci && npm run build; log: $HOME_DIR/dashboard-build.log)"
    (cd "$d" && { [[ -d node_modules ]] || PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund; } && npm run build) >>"$HOME_DIR/dashboard-build.log" 2>&1 \
      || { log "localnet: the dashboard build failed; see $HOME_DIR/dashboard-build.log"; return 0; }
  fi
  port_free "$LOCALNET_DASHBOARD_PORT" || { log "localnet: port $LOCALNET_DASHBOARD_PORT is in use; the dashboard is not served (set LOCALNET_DASHBOARD_PORT)"; return 0; }
  nohup node "$d/serve.mjs" --port "$LOCALNET_DASHBOARD_PORT" --rpc "http://127.0.0.1:$LOCALNET_RPC_PORT" \
    --rest "http://127.0.0.1:$LOCALNET_API_PORT" >>"$HOME_DIR/dashboard.log" 2>&1 &
  echo $! >"$HOME_DIR/dashboard.pid"
}

stop_dashboard() {
  if dashboard_running; then kill "$(cat "$HOME_DIR/dashboard.pid")"; log "localnet: stopped the dashboard server"; fi
  rm -f "$HOME_DIR/dashboard.pid"
}

height() {
  "$MESHD" status --node "$RPC" 2>/dev/null | jq -r '.sync_info.latest_block_height // .SyncInfo.latest_block_height // empty' 2>/dev/null || true
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
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
  local providers=() i
  for i in $(seq 2 "$LOCALNET_WORKERS"); do providers+=("provider-$i"); done
  for name in validator $LOCALNET_DEV_ACCOUNTS "${providers[@]}"; do
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
  jq --arg compute_epoch "$LOCALNET_COMPUTE_EPOCH" --arg commit_window "$LOCALNET_COMMIT_WINDOW" \
    --arg reveal_window "$LOCALNET_REVEAL_WINDOW" \
    --arg dao_voting_period "$LOCALNET_DAO_VOTING_PERIOD" --arg dao_timelock "$LOCALNET_DAO_TIMELOCK" \
    --arg dao_analysis_model "$LOCALNET_DAO_ANALYSIS_MODEL" --arg ve_height "$LOCALNET_VOTE_EXTENSIONS_HEIGHT" \
    --arg poc_commit_seconds "$(commit_window_seconds)" \
    --slurpfile training_dataset "$ROOT/networks/local/training-dataset.json" \
    -f "$ROOT/networks/local/genesis.jq" "$gen" >"$gen.tmp" && mv "$gen.tmp" "$gen"
  "$MESHD" genesis validate "${m[@]}" >/dev/null

  # Loopback only; ~1 s blocks; REST on.
  local cfg=$NODE_HOME/config/config.toml
  set_toml "$cfg" rpc laddr "\"$RPC\""
  set_toml "$cfg" rpc pprof_laddr '""'
  set_toml "$cfg" p2p laddr "\"tcp://127.0.0.1:$LOCALNET_P2P_PORT\""
  set_toml "$cfg" consensus timeout_commit "\"$LOCALNET_BLOCK_TIME\""
  # CORS for the dashboard and other browser tools on 127.0.0.1 (dev only).
  set_toml "$cfg" rpc cors_allowed_origins '["*"]'
  "$MESHD" config set app grpc.address "127.0.0.1:$LOCALNET_GRPC_PORT" "${m[@]}"
  "$MESHD" config set app api.enable true "${m[@]}"
  "$MESHD" config set app api.address "tcp://127.0.0.1:$LOCALNET_API_PORT" "${m[@]}"
  "$MESHD" config set app api.enabled-unsafe-cors true "${m[@]}"
  "$MESHD" config set app minimum-gas-prices "$LOCALNET_MIN_GAS_PRICES" "${m[@]}"
  set_toml "$NODE_HOME/config/app.toml" mesh worker_sidecar "\"$LOCALNET_SIDECAR_LISTEN\""
  touch "$HOME_DIR/.initialised"
}

start() {
  command -v jq >/dev/null || die "jq is required (apt-get install jq)"
  [[ -x $MESHD ]] || die "$MESHD not found; run 'make build' first"
  if running; then
    log "localnet: already running (pid $(cat "$PID_FILE"))"
    if [[ $LOCALNET_WORKERS -gt 0 && -f $HOME_DIR/.provisioned ]]; then start_workers; fi
    start_dashboard
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
  if [[ $LOCALNET_WORKERS -gt 0 ]]; then
    [[ -f $HOME_DIR/.provisioned ]] || provision_workers
    start_workers
  fi
  start_dashboard
  summary
}

summary() {
  cat >&2 <<EOT

meshd localnet is running: chain-id $LOCALNET_CHAIN_ID, height $(height)
  RPC   http://127.0.0.1:$LOCALNET_RPC_PORT
  gRPC  127.0.0.1:$LOCALNET_GRPC_PORT
  REST  http://127.0.0.1:$LOCALNET_API_PORT
  home  $NODE_HOME   (log: $LOG_FILE)
$(dashboard_running && printf '  Dashboard http://127.0.0.1:%s   (OpenAPI: http://127.0.0.1:%s/mesh/openapi.json)\n' "$LOCALNET_DASHBOARD_PORT" "$LOCALNET_API_PORT")

Dev accounts (keyring-backend test, in the home above; worker-i's key is in $HOME_DIR/worker-i):
$(sed 's/^/  /' "$HOME_DIR/accounts.txt")
$(for i in $(seq 1 "$LOCALNET_WORKERS"); do worker_running "$i" && printf '\nmeshd-worker %s: pid %s, health http://%s/healthz, log %s' "$i" "$(cat "$(worker_pid_file "$i")")" "$(worker_listen "$i")" "$(worker_log_file "$i")"; done)

Use it:   $MESHD q bank balances \$($MESHD keys show alice -a --home $NODE_HOME) --home $NODE_HOME
Rewards:  $MESHD q rewards pending provider-2 --home $NODE_HOME   (grows every compute epoch)
          $MESHD tx rewards claim --from provider-2 --home $NODE_HOME --gas auto --gas-adjustment 1.5 --gas-prices 0.0025umesh -y
Stop it:  make localnet-stop      Wipe it: make localnet-reset
EOT
}

stop_workers() {
  local i pid
  for i in $(seq 1 "$LOCALNET_WORKERS"); do
    if worker_running "$i"; then
      pid=$(cat "$(worker_pid_file "$i")")
      kill "$pid"
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      log "localnet: stopped meshd-worker $i (pid $pid)"
    fi
    rm -f "$(worker_pid_file "$i")"
  done
  if serve_running; then kill "$(cat "$HOME_DIR/serve.pid")"; log "localnet: stopped meshd-worker serve"; fi
  rm -f "$HOME_DIR/serve.pid"
}

stop() {
  stop_dashboard
  stop_workers
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
