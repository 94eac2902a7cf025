#!/usr/bin/env bash
# Generates docs/openapi/mesh.openapi.json, an OpenAPI (Swagger 2.0) document of
# meshd's own REST routes, from the google.api.http options in
# proto/mesh/*/v1/query.proto, with protoc-gen-openapiv2 (grpc-gateway, Go
# proxy) run by buf (npm). `make openapi` runs it; app/openapi.go embeds the
# output and the node serves it at GET /mesh/openapi.json.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/build/tools
mkdir -p "$tools"
export GOBIN=$tools PATH=$tools:$tools/node_modules/.bin:$PATH
command -v protoc-gen-openapiv2 >/dev/null || go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@v2.22.0
command -v buf >/dev/null || npm install --silent --prefix "$tools" @bufbuild/buf@1.75.0
[[ -f third_party/proto/gogoproto/gogo.proto ]] || scripts/proto-deps.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat >"$out/buf.gen.yaml" <<YAML
version: v1
plugins:
  - name: openapiv2
    out: $out/gen
    strategy: all
    opt: allow_merge=true,merge_file_name=mesh,json_names_for_fields=false,disable_default_errors=false
YAML
# Every module's query.proto (a new module's routes are included without
# editing this list).
paths=()
for q in proto/mesh/*/v1/query.proto; do paths+=(--path "$q"); done
buf generate --template "$out/buf.gen.yaml" "${paths[@]}"
mkdir -p docs/openapi
# The version is the API's (mesh.*.v1), not a commit: regenerating the same protos gives the same file.
jq --arg v "v1" \
  '.info = {title: "meshd REST API (mesh modules)", version: $v, description: "The REST (grpc-gateway) routes of meshd'"'"'s own modules, generated from proto/mesh/*/v1/query.proto. The Cosmos SDK routes are served beside them."}' \
  "$out/gen/mesh.swagger.json" >docs/openapi/mesh.openapi.json
echo "docs/openapi/mesh.openapi.json: $(jq '.paths | length' docs/openapi/mesh.openapi.json) paths"
