#!/usr/bin/env bash
# Copies the .proto files meshd's protos import from the Go module cache into
# third_party/proto (the Buf registry is not reachable from CI or dev machines).
set -euo pipefail
cd "$(dirname "$0")/.."
dst=third_party/proto
mod() { go list -m -f '{{.Dir}}' "$1"; }
sdk=$(mod github.com/cosmos/cosmos-sdk)
gogo=$(mod github.com/cosmos/gogoproto)
cproto=$(mod github.com/cosmos/cosmos-proto)
gw=$(go env GOMODCACHE)/github.com/grpc-ecosystem/grpc-gateway@v1.16.0
[[ -d $gw ]] || go mod download github.com/grpc-ecosystem/grpc-gateway@v1.16.0

rm -rf "$dst" && mkdir -p "$dst"
copy() { mkdir -p "$dst/$(dirname "$2")"; cp "$1/$2" "$dst/$2"; chmod 644 "$dst/$2"; }
copy "$gogo" gogoproto/gogo.proto
copy "$cproto/proto" cosmos_proto/cosmos.proto
copy "$sdk/proto" amino/amino.proto
copy "$sdk/proto" cosmos/msg/v1/msg.proto
copy "$sdk/proto" cosmos/base/v1beta1/coin.proto
copy "$sdk/proto" cosmos/base/query/v1beta1/pagination.proto
copy "$gw/third_party/googleapis" google/api/annotations.proto
copy "$gw/third_party/googleapis" google/api/http.proto
cat > "$dst/buf.yaml" <<'YAML'
version: v1
YAML
echo "proto deps copied into $dst"
