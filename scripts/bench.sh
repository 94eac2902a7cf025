#!/usr/bin/env bash
# Runs the block-execution benchmark on meshd's app and on wasmd's app (same
# SDK version) in one run and prints meshd's throughput relative to wasmd's.
# Usage: scripts/bench.sh [count] [benchtime]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
benchtime=${2:-50x}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

go test ./tests/bench/ -run '^$' -bench 'BenchmarkBankSendBlock' -benchtime "$benchtime" -count "$count" | tee "$out"

awk '
  /^BenchmarkBankSendBlock\/meshd/ { m += $3; mn++ }
  /^BenchmarkBankSendBlock\/wasmd/ { w += $3; wn++ }
  END {
    if (mn == 0 || wn == 0) { print "no benchmark results" > "/dev/stderr"; exit 1 }
    mesh = m / mn; ref = w / wn
    printf "\nblock of 100 bank sends (FinalizeBlock+Commit), mean of %d runs each:\n", mn
    printf "  meshd %.1f ms/block (%.0f tx/s)\n", mesh / 1e6, 100 / (mesh / 1e9)
    printf "  wasmd %.1f ms/block (%.0f tx/s)\n", ref / 1e6, 100 / (ref / 1e9)
    printf "  meshd throughput = %.3fx wasmd (target >= 0.95x)\n", ref / mesh
  }' "$out"
