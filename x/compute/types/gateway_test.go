package types_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/llmesh/mesh/x/compute/types"
)

// recordingClient is a QueryClient that records the Workers request the
// gateway decoded from the URL.
type recordingClient struct {
	types.QueryClient
	got *types.QueryWorkersRequest
}

func (c *recordingClient) Workers(_ context.Context, req *types.QueryWorkersRequest, _ ...grpc.CallOption) (*types.QueryWorkersResponse, error) {
	c.got = req
	return &types.QueryWorkersResponse{}, nil
}

// TestGatewayStatusFilterAcceptsNames: REST status filters accept the enum
// name, as gov's and staking's do, as well as the number (issue 17).
func TestGatewayStatusFilterAcceptsNames(t *testing.T) {
	for query, want := range map[string]types.WorkerStatus{
		"status=WORKER_STATUS_ACTIVE": types.WORKER_STATUS_ACTIVE,
		"status=WORKER_STATUS_JAILED": types.WORKER_STATUS_JAILED,
		"status=2":                    types.WORKER_STATUS_JAILED,
		"":                            types.WORKER_STATUS_UNSPECIFIED,
	} {
		mux := runtime.NewServeMux()
		client := &recordingClient{}
		require.NoError(t, types.RegisterQueryHandlerClient(context.Background(), mux, client))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mesh/compute/v1/workers?"+query, nil))
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", query, rec.Body.String())
		require.Equal(t, want, client.got.Status, query)
	}
	mux := runtime.NewServeMux()
	require.NoError(t, types.RegisterQueryHandlerClient(context.Background(), mux, &recordingClient{}))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mesh/compute/v1/workers?status=NOT_A_STATUS", nil))
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
}
