#!/usr/bin/env bash
# Measures request-to-settlement latency of inference jobs on a running
# localnet (`make localnet`): sends N requests of the embedded model and prints
# the median and 95th percentile of (ended_height − created_height) in blocks.
# Usage: scripts/inference-latency.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
export MESHD_HOME=${MESHD_HOME:-$PWD/.localnet/meshd}
M=${MESHD:-$PWD/build/meshd}
senders=(alice bob carol)
ids=()
for i in $(seq 1 "$N"); do
  from=${senders[$(( (i - 1) % 3 ))]}
  hash=$("$M" tx inference request mesh-embedded-v1 "latency probe $i: fund a public good" \
    --max-fee 3000umesh --from "$from" --gas 600000 --fees 1500umesh -y -o json | jq -r .txhash)
  ids+=("$hash")
  # One tx per sender per block keeps sequences simple.
  (( i % 3 == 0 )) && sleep 1
done
sleep 3
jobs=()
for h in "${ids[@]}"; do
  for _ in $(seq 1 30); do
    id=$("$M" q tx "$h" -o json 2>/dev/null | jq -r '[.events[] | select(.type=="mesh.inference.v1.EventInferenceRequested") | .attributes[] | select(.key=="job_id") | .value][0] // empty' | tr -d '"') && [[ -n $id ]] && break
    sleep 1
  done
  jobs+=("$id")
done
lat=()
for id in "${jobs[@]}"; do
  for _ in $(seq 1 60); do
    j=$("$M" q inference job "$id" -o json)
    st=$(jq -r .job.status <<<"$j")
    [[ $st == JOB_STATUS_FINALIZED || $st == JOB_STATUS_FAILED || $st == JOB_STATUS_EXPIRED ]] && break
    sleep 1
  done
  [[ $st == JOB_STATUS_FINALIZED ]] || echo "job $id ended $st" >&2
  lat+=("$(jq -r '(.job.ended_height|tonumber) - (.job.created_height|tonumber)' <<<"$j")")
done
printf '%s\n' "${lat[@]}" | sort -n | awk -v n="${#lat[@]}" '
  { v[NR] = $1 }
  END {
    med = v[int((n + 1) / 2)]; p95 = v[int(n * 0.95 + 0.999)]
    printf "%d jobs: request→settlement median %d blocks, P95 %d blocks, max %d\n", n, med, p95, v[n]
  }'
