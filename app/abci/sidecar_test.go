package abci

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/sidecar"
)

// The node's client against meshd-worker's real Sidecar server on loopback:
// the worker's pending commitments come back; a worker that is gone is an
// error within the timeout; one that comes back is reached again.
func TestGRPCSidecarAgainstTheWorker(t *testing.T) {
	store := sidecar.NewStore(workerA)
	store.PutPoC(3, bytesOf(0xEE, 32), 100)
	store.PutResult(9, bytesOf(0xCC, 32), 100)

	ctx, cancel := context.WithCancel(context.Background())
	addr, _, err := sidecar.Serve(ctx, "127.0.0.1:0", sidecar.NewServer(store, nil), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	client := NewGRPCSidecar(addr.String(), time.Second)
	defer client.Close()

	resp, err := callSidecar(context.Background(), client, 10, time.Second)
	require.NoError(t, err)
	require.Len(t, resp.Poc, 1)
	require.Equal(t, []byte(workerA), resp.Poc[0].Worker)
	require.Equal(t, int64(3), resp.Poc[0].Epoch)
	require.Len(t, resp.Results, 1)
	require.Equal(t, uint64(9), resp.Results[0].JobId)

	// The worker stops: the call fails within the timeout.
	cancel()
	require.Eventually(t, func() bool {
		start := time.Now()
		_, err := callSidecar(context.Background(), client, 11, 200*time.Millisecond)
		return err != nil && time.Since(start) < time.Second
	}, 5*time.Second, 50*time.Millisecond)

	// It comes back on the same address: answered again within seconds.
	ln, err := net.Listen("tcp", addr.String())
	require.NoError(t, err)
	ln.Close()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	_, _, err = sidecar.Serve(ctx2, addr.String(), sidecar.NewServer(store, nil), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		resp, err := callSidecar(context.Background(), client, 12, 200*time.Millisecond)
		return err == nil && len(resp.Poc) == 1
	}, 5*time.Second, 100*time.Millisecond)
}
