package app

import (
	"net/http"

	"github.com/cosmos/cosmos-sdk/server/api"

	"github.com/llmesh/mesh/docs/openapi"
)

// OpenAPIPath is where the node's REST server serves the OpenAPI document of
// meshd's own routes (docs/openapi/mesh.openapi.json, `make openapi`).
const OpenAPIPath = "/mesh/openapi.json"

// registerOpenAPI serves the embedded document at OpenAPIPath, readable from
// any origin so that browser tools (the dashboard, Swagger UI) can load it.
func registerOpenAPI(apiSvr *api.Server) {
	apiSvr.Router.HandleFunc(OpenAPIPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(openapi.MeshJSON)
	}).Methods(http.MethodGet)
}
