package types_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit/kittest"
)

// TestGatewayStatusFilterAcceptsNames: the REST proposals filter accepts
// the status name, as gov's does, as well as the number (issue 17); an
// unknown name is a 400.
func TestGatewayStatusFilterAcceptsNames(t *testing.T) {
	for query, want := range map[string]types.ProposalStatus{
		"status=PROPOSAL_STATUS_VOTING":   types.PROPOSAL_STATUS_VOTING,
		"status=PROPOSAL_STATUS_EXECUTED": types.PROPOSAL_STATUS_EXECUTED,
		"status=2":                        types.PROPOSAL_STATUS_PASSED,
		"":                                types.PROPOSAL_STATUS_UNSPECIFIED,
	} {
		g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/dao/v1/proposals?"+query)
		require.Equal(t, http.StatusOK, g.Code, "%s: %s", query, g.Body)
		require.Equal(t, "/mesh.dao.v1.Query/Proposals", g.Method)
		require.Equal(t, want, g.Request.(*types.QueryProposalsRequest).Status, query)
	}
	g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient, "/mesh/dao/v1/proposals?status=VOTING")
	require.Equal(t, http.StatusBadRequest, g.Code, g.Body)
	require.Empty(t, g.Method, "refused before any call")
}
