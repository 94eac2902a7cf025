#!/usr/bin/env bash
# Builds the CosmWasm contracts under contracts/ without cargo or crates:
# Debian's rustc 1.63 (/usr/bin/rustc, with libstd-rust-dev-wasm32) compiles
# each contracts/<name>/src/lib.rs for wasm32-unknown-unknown into
# contracts/<name>/<name>.wasm, the file committed and stored on chain.
#
# The build is reproducible: one codegen unit, LTO, no timestamps, source
# paths remapped. tests/integration/contract_test.go rebuilds into a temp
# dir (OUT_DIR) and checks the bytes equal the committed ones.
#
# wasm-opt is NOT applied by default: its output depends on binaryen's
# version, and CI installs only rustc. WASM_OPT=1 runs `wasm-opt -Oz` after
# rustc (then do not commit the result, or the reproducibility test fails).
#
# Usage: scripts/build-contracts.sh [name...]   (default: every contract)
#   RUSTC=/usr/bin/rustc  OUT_DIR=<dir> (default: beside each source)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUSTC=${RUSTC:-/usr/bin/rustc}
TARGET=wasm32-unknown-unknown

if [[ ! -x $RUSTC ]]; then
  echo "build-contracts: $RUSTC not found; apt-get install -y rustc libstd-rust-dev-wasm32" >&2
  exit 1
fi
libdir=$("$RUSTC" --print target-libdir --target "$TARGET" 2>/dev/null || true)
if [[ -z $libdir || ! -d $libdir ]]; then
  echo "build-contracts: $RUSTC has no $TARGET std; apt-get install -y libstd-rust-dev-wasm32" >&2
  exit 1
fi

names=("$@")
if ((${#names[@]} == 0)); then
  for d in contracts/*/src/lib.rs; do
    d=${d#contracts/}
    names+=("${d%%/*}")
  done
fi

for name in "${names[@]}"; do
  src=contracts/$name/src/lib.rs
  [[ -f $src ]] || { echo "build-contracts: $src not found" >&2; exit 1; }
  out=${OUT_DIR:-contracts/$name}/$name.wasm
  mkdir -p "$(dirname "$out")"
  # Sources are given relative to the root and the root is remapped, so no
  # path of this machine ends up in panic locations.
  SOURCE_DATE_EPOCH=0 "$RUSTC" --edition 2021 --target "$TARGET" --crate-type cdylib --crate-name "$name" \
    -O -C codegen-units=1 -C lto -C panic=abort -C link-arg=-s \
    --remap-path-prefix "$ROOT=." -o "$out" "$src"
  if [[ ${WASM_OPT:-0} == 1 ]]; then
    command -v wasm-opt >/dev/null || { echo "build-contracts: WASM_OPT=1 but wasm-opt is absent (apt-get install binaryen)" >&2; exit 1; }
    wasm-opt -Oz "$out" -o "$out"
  fi
  echo "built $out ($(wc -c <"$out") bytes, $("$RUSTC" --version))"
done
