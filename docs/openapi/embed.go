// Package openapi embeds mesh.openapi.json, the OpenAPI document of meshd's
// own REST routes that scripts/openapi.sh generates from the protos.
package openapi

import _ "embed"

// MeshJSON is docs/openapi/mesh.openapi.json.
//
//go:embed mesh.openapi.json
var MeshJSON []byte
