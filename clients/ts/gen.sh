#!/usr/bin/env bash
# Regenerates src/gen/ (TypeScript types from ../../proto with ts-proto, run by
# buf from npm, as scripts/protocgen.sh does for Go). The output is committed,
# so building or testing the client does not need this.
set -euo pipefail
cd "$(dirname "$0")"
[[ -x node_modules/.bin/protoc-gen-ts_proto ]] || npm ci --no-audit --no-fund
root=$(cd ../.. && pwd)
tools=$root/build/tools
command -v buf >/dev/null || [[ -x $tools/node_modules/.bin/buf ]] || npm install --silent --prefix "$tools" @bufbuild/buf@1.75.0
export PATH=$tools/node_modules/.bin:$PATH
rm -rf src/gen
cd "$root"
buf generate --template clients/ts/buf.gen.yaml --path proto/mesh
echo "generated: $(find clients/ts/src/gen -name '*.ts' | wc -l) files"
