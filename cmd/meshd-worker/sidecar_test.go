package main

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// TestStartServesSidecar runs `start --sidecar-listen` against a fake node
// whose mempool refuses every commit, so that only the validator's vote
// extension can commit: before each block the test asks the sidecar, as
// meshd's ExtendVote does, and applies the answer. The worker still
// reveals, for its PoC epochs and for an inference job. (It holds its
// commit txs for the default --sidecar-grace-blocks 2; the few it sends
// anyway, near the end of a commit window or after a slow poll, are
// refused.)
func TestStartServesSidecar(t *testing.T) {
	sidecarAddr := freePort(t)
	// Retry the connection fast: the first blocks come before the worker listens.
	conn, err := grpc.NewClient(sidecarAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6,
			MaxDelay: 50 * time.Millisecond}, MinConnectTimeout: time.Second}))
	require.NoError(t, err)
	defer conn.Close()
	client := abcitypes.NewSidecarClient(conn)

	var id uint64
	var applied atomic.Int64
	w := startWorker(t, func(w *worker) {
		w.node.Do(func(n *chaintest.Node) { n.RefuseCommits = true })
		w.node.AddModel(inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: embedded.WeightsDigest,
			Deterministic: true, Status: inferencetypes.MODEL_STATUS_ACTIVE})
		id = w.addJob(embedded.ModelID)
		w.beforeBlock = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
			defer cancel()
			res, err := client.Commitments(ctx, &abcitypes.CommitmentsRequest{Height: w.node.Height()})
			if err != nil {
				return // not listening yet
			}
			w.node.Do(func(n *chaintest.Node) { applied.Add(int64(n.ApplyVoteExtension(res))) })
		}
	}, "--sidecar-listen", sidecarAddr)

	require.Equal(t, embeddedAnswer(t), string(w.waitFinalized(t, id).Result))
	var snap health.Snapshot
	require.Eventually(t, func() bool {
		if json.Unmarshal(get(t, "http://"+w.listen+"/healthz"), &snap) != nil {
			return false
		}
		return snap.LastEpochRevealed >= 1 && snap.LastOutcome == "PROOF_OUTCOME_PASS"
	}, 20*time.Second, 20*time.Millisecond, "last status: %+v", snap)
	require.Contains(t, string(get(t, "http://"+w.listen+"/metrics")), "meshd_worker_sidecar_requests_total")
	w.stop(t)
	require.GreaterOrEqual(t, applied.Load(), int64(2), "a root and a result commitment, from the vote extension")
	w.node.Do(func(n *chaintest.Node) { t.Logf("commit txs broadcast (and refused): %d", n.CommitBroadcasts) })
}

// TestStartSidecarFallsBackToCommitTxs runs `start --sidecar-listen` with
// nobody asking the sidecar (a node without [mesh] worker_sidecar): after
// the grace the worker sends its commit txs, and the epoch passes and the
// job finalizes as without the sidecar.
func TestStartSidecarFallsBackToCommitTxs(t *testing.T) {
	var id uint64
	w := startWorker(t, func(w *worker) {
		w.node.AddModel(inferencetypes.Model{Id: embedded.ModelID, Runtime: "int8-embedded", WeightsDigest: embedded.WeightsDigest,
			Deterministic: true, Status: inferencetypes.MODEL_STATUS_ACTIVE})
		id = w.addJob(embedded.ModelID)
	}, "--sidecar-listen", freePort(t), "--sidecar-grace-blocks", "3")

	require.Equal(t, embeddedAnswer(t), string(w.waitFinalized(t, id).Result))
	var snap health.Snapshot
	require.Eventually(t, func() bool {
		if json.Unmarshal(get(t, "http://"+w.listen+"/healthz"), &snap) != nil {
			return false
		}
		return snap.LastEpochRevealed >= 1 && snap.LastOutcome == "PROOF_OUTCOME_PASS"
	}, 20*time.Second, 20*time.Millisecond, "last status: %+v", snap)
	w.stop(t)
	var commits int
	w.node.Do(func(n *chaintest.Node) { commits = n.CommitBroadcasts })
	require.GreaterOrEqual(t, commits, 2, "a PoC commit and a result commit, by tx")
}

func TestStartRefusesNegativeSidecarGrace(t *testing.T) {
	home, _ := initHome(t)
	_, err := run(t, context.Background(), "", "start", "--home", home, "--listen", "", "--sidecar-grace-blocks", "-1")
	require.ErrorContains(t, err, "--sidecar-grace-blocks -1")
}
