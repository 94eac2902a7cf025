package sidecar

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
)

// dial connects as meshd does: plaintext, gRPC's default codec.
func dial(t *testing.T, addr string) abcitypes.SidecarClient {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return abcitypes.NewSidecarClient(conn)
}

func ask(t *testing.T, c abcitypes.SidecarClient, height int64) *abcitypes.CommitmentsResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond) // meshd's budget
	defer cancel()
	res, err := c.Commitments(ctx, &abcitypes.CommitmentsRequest{Height: height})
	require.NoError(t, err)
	return res
}

func TestServeCommitments(t *testing.T) {
	store := NewStore(worker)
	calls := prometheus.NewCounter(prometheus.CounterOpts{Name: "calls"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, done, err := Serve(ctx, "127.0.0.1:0", NewServer(store, calls), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	c := dial(t, addr.String())

	res := ask(t, c, 5)
	require.Empty(t, res.Poc, "nothing pending")
	require.Empty(t, res.Results)

	store.PutPoC(2, root(2), 10)
	store.PutResult(7, root(7), 12)
	res = ask(t, c, 5)
	require.Equal(t, []abcitypes.PoCCommitment{{Worker: worker, Epoch: 2, Root: root(2)}}, res.Poc)
	require.Equal(t, []abcitypes.ResultCommitment{{Worker: worker, JobId: 7, Commitment: root(7)}}, res.Results)

	res = ask(t, c, 10) // lands at 11: the PoC window (to 10) is over
	require.Empty(t, res.Poc)
	require.Len(t, res.Results, 1)

	store.Expire(12)
	res = ask(t, c, 5)
	require.Empty(t, res.Poc)
	require.Empty(t, res.Results)
	require.Equal(t, 4.0, testutil.ToFloat64(calls))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
}

func TestServeRefusesABadAddress(t *testing.T) {
	_, _, err := Serve(context.Background(), "127.0.0.1:notaport", NewServer(NewStore(worker), nil), slog.Default())
	require.Error(t, err)
}
