#!/usr/bin/env bash
# Builds the Go relayer (github.com/cosmos/relayer/v2) into build/tools/rly
# for the IBC system test, unless it is already there.
#
# `go install github.com/cosmos/relayer/v2@v2.6.0` does not work through the
# Go proxy (it refuses the module's version list, which go install's
# deprecation check reads), so this downloads the module, copies it out of
# the read-only module cache, drops its go.work (which names directories
# that are not in the module) and builds it in place. About 3 minutes with a
# cold build cache; seconds once it is warm.
#
#   scripts/build-relayer.sh            # build/tools/rly if absent
#   RLY_FORCE=1 scripts/build-relayer.sh # rebuild
# Environment: RLY_VERSION (default v2.6.0), RLY_OUT (default build/tools/rly).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
RLY_VERSION=${RLY_VERSION:-v2.6.0}
OUT=${RLY_OUT:-$ROOT/build/tools/rly}

if [[ -x $OUT && ${RLY_FORCE:-0} != 1 ]]; then
  echo "build-relayer: $OUT exists ($("$OUT" version 2>/dev/null | awk '/^version:/ {print $2}'))"
  exit 0
fi

command -v jq >/dev/null || { echo "build-relayer: jq is required" >&2; exit 1; }
# Run outside the repository so that meshd's go.mod does not take part.
cd "${TMPDIR:-/tmp}"
dir=$(GOFLAGS=-mod=mod "$GO" mod download -json "github.com/cosmos/relayer/v2@$RLY_VERSION" | jq -r '.Dir // empty')
[[ -n $dir && -d $dir ]] || { echo "build-relayer: go mod download github.com/cosmos/relayer/v2@$RLY_VERSION gave no directory" >&2; exit 1; }

src=$(mktemp -d "${TMPDIR:-/tmp}/rly-src.XXXXXX")
trap 'rm -rf "$src"' EXIT
cp -r "$dir"/. "$src"/
chmod -R u+w "$src"
rm -f "$src/go.work" "$src/go.work.sum"

mkdir -p "$(dirname "$OUT")"
echo "build-relayer: building rly $RLY_VERSION into $OUT (a few minutes with a cold build cache)"
start=$SECONDS
(cd "$src" && GOWORK=off "$GO" build \
  -ldflags "-X github.com/cosmos/relayer/v2/cmd.Version=$RLY_VERSION" -o "$OUT.tmp" .)
mv "$OUT.tmp" "$OUT"
echo "build-relayer: built $OUT in $((SECONDS - start)) s"
