// Package kittest holds test helpers shared by meshd's modules (it is
// imported by tests only).
package kittest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
)

// Gateway is one GET through a module's REST gateway, answered by a client
// connection that records the request the gateway decoded from the URL.
type Gateway struct {
	// Code is the HTTP status of the answer; Body its body.
	Code int
	Body string
	// Method is the gRPC method the gateway called ("" if it called none,
	// e.g. because it could not parse the query parameters) and Request
	// the request it passed.
	Method  string
	Request any
}

// GatewayGet serves GET url through the REST gateway of a module, built
// with the module's generated register and newClient functions, e.g.
//
//	g := kittest.GatewayGet(t, types.RegisterQueryHandlerClient, types.NewQueryClient,
//		"/mesh/inference/v1/jobs?status=JOB_STATUS_FINALIZED")
//	require.Equal(t, types.JOB_STATUS_FINALIZED, g.Request.(*types.QueryJobsRequest).Status)
//
// Every call is answered with an empty response, so a request the gateway
// parses answers 200; one it cannot parse answers 400 without a call.
func GatewayGet[C any](
	t testing.TB,
	register func(context.Context, *runtime.ServeMux, C) error,
	newClient func(gogogrpc.ClientConn) C,
	url string,
) Gateway {
	t.Helper()
	mux := runtime.NewServeMux()
	conn := &recordingConn{}
	require.NoError(t, register(context.Background(), mux, newClient(conn)))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	return Gateway{Code: rec.Code, Body: rec.Body.String(), Method: conn.method, Request: conn.request}
}

// recordingConn is a gRPC client connection that records a unary call and
// leaves its reply empty.
type recordingConn struct {
	method  string
	request any
}

var _ gogogrpc.ClientConn = (*recordingConn)(nil)

func (c *recordingConn) Invoke(_ context.Context, method string, args, _ any, _ ...grpc.CallOption) error {
	c.method, c.request = method, args
	return nil
}

func (c *recordingConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("kittest: no streams")
}
