package types_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit/kittest"
)

// TestGatewayStatusFilterAcceptsNames: REST status filters accept the enum
// name, as gov's and staking's do, as well as the number (issue 17).
func TestGatewayStatusFilterAcceptsNames(t *testing.T) {
	for query, want := range map[string]types.WorkerStatus{
		"status=WORKER_STATUS_ACTIVE": types.WORKER_STATUS_ACTIVE,
		"status=WORKER_STATUS_JAILED": types.WORKER_STATUS_JAILED,
		"status=2":                    types.WORKER_STATUS_JAILED,
		"":                            types.WORKER_STATUS_UNSPECIFIED,
	} {
		g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/compute/v1/workers?"+query)
		require.Equal(t, http.StatusOK, g.Code, "%s: %s", query, g.Body)
		require.Equal(t, "/mesh.compute.v1.Query/Workers", g.Method)
		require.Equal(t, want, g.Request.(*types.QueryWorkersRequest).Status, query)
	}
	g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/compute/v1/workers?status=NOT_A_STATUS")
	require.Equal(t, http.StatusBadRequest, g.Code, g.Body)
	require.Empty(t, g.Method, "refused before any call")
}
