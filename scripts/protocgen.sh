#!/usr/bin/env bash
# Generates Go code from proto/ with buf (npm) and the gogoproto plugins
# (Go proxy); no Docker, no Buf registry. `make proto-gen` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/build/tools
mkdir -p "$tools"
export GOBIN=$tools PATH=$tools:$tools/node_modules/.bin:$PATH

command -v protoc-gen-gocosmos >/dev/null || go install github.com/cosmos/gogoproto/protoc-gen-gocosmos@v1.7.2
command -v protoc-gen-grpc-gateway >/dev/null || go install github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway@v1.16.0
command -v buf >/dev/null || npm install --silent --prefix "$tools" @bufbuild/buf@1.75.0

[[ -f third_party/proto/gogoproto/gogo.proto ]] || scripts/proto-deps.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
buf lint --path proto/mesh
buf generate --template proto/buf.gen.gogo.yaml --path proto/mesh --output "$out"
cp -r "$out"/github.com/llmesh/mesh/* "$root"/
echo "generated: $(cd "$out" && find . -name '*.go' | wc -l) files"
