package types_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit/kittest"
)

// TestGatewayStatusFilterAcceptsNames: the REST jobs filter accepts the
// status name, as gov's and staking's filters do, as well as the number
// (issue 17); an unknown name is a 400.
func TestGatewayStatusFilterAcceptsNames(t *testing.T) {
	for query, want := range map[string]types.JobStatus{
		"status=JOB_STATUS_FINALIZED":             types.JOB_STATUS_FINALIZED,
		"status=JOB_STATUS_QUEUED&open_only=true": types.JOB_STATUS_QUEUED,
		"status=JOB_STATUS_COMMITTING":            types.JOB_STATUS_COMMITTING,
		"status=3":                                types.JOB_STATUS_FINALIZED,
		"":                                        types.JOB_STATUS_UNSPECIFIED,
		"status=JOB_STATUS_EXPIRED&pagination.limit=2": types.JOB_STATUS_EXPIRED,
	} {
		g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/inference/v1/jobs?"+query)
		require.Equal(t, http.StatusOK, g.Code, "%s: %s", query, g.Body)
		require.Equal(t, "/mesh.inference.v1.Query/Jobs", g.Method)
		require.Equal(t, want, g.Request.(*types.QueryJobsRequest).Status, query)
	}
	g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/inference/v1/jobs?status=FINALIZED")
	require.Equal(t, http.StatusBadRequest, g.Code, g.Body)
	require.Empty(t, g.Method, "refused before any call")
}
