package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sdk "github.com/cosmos/cosmos-sdk/types"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/sidecar"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// withSidecar gives e's loop a sidecar store served on loopback and returns
// a client of it, as the validator's meshd would dial it.
func withSidecar(e *env) abcitypes.SidecarClient {
	e.sidecar = sidecar.NewStore(e.addr)
	e.restart(nil)
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	addr, _, err := sidecar.Serve(ctx, "127.0.0.1:0", sidecar.NewServer(e.sidecar, nil), testLogger(e.t))
	require.NoError(e.t, err)
	conn, err := grpc.NewClient(addr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = conn.Close() })
	return abcitypes.NewSidecarClient(conn)
}

func ask(t *testing.T, c abcitypes.SidecarClient, height int64) *abcitypes.CommitmentsResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	res, err := c.Commitments(ctx, &abcitypes.CommitmentsRequest{Height: height})
	require.NoError(t, err)
	require.Empty(t, res.Poc)
	return res
}

// The commitment is served from the moment its record is on disk; once the
// vote extension carried it, the worker sends no commit of its own and
// stops serving it.
func TestSidecarServesResultUntilCommitted(t *testing.T) {
	e := newEnv(t)
	c := withSidecar(e)
	id := e.addJob(proposal)
	require.Empty(t, ask(t, c, 1).Results, "nothing pending")

	e.step() // computes and saves the record
	rec, found := e.record(id)
	require.True(t, found)
	res := ask(t, c, 1)
	require.Equal(t, []abcitypes.ResultCommitment{{Worker: e.addr, JobId: id, Commitment: rec.Commitment}}, res.Results)

	var applied int
	e.node.Do(func(n *chaintest.Node) { applied = n.ApplyVoteExtension(res) })
	require.Equal(t, 1, applied)
	before := e.node.Broadcasts
	e.step()
	require.Equal(t, before, e.node.Broadcasts, "no commit tx: it is on chain")
	require.Empty(t, ask(t, c, 1).Results)
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsCommitted))

	e.otherCommits(id, rec.Output)
	e.step()
	require.Positive(t, e.ours(id).RevealHeight)
}

// A commitment whose commit phase is over is no longer served.
func TestSidecarDropsResultWhenTheWindowCloses(t *testing.T) {
	e := newEnv(t)
	c := withSidecar(e)
	id := e.addJob(proposal)
	e.step()
	require.Len(t, ask(t, c, 9).Results, 1)

	e.node.SetHeight(10) // commit_end: nothing lands any more
	require.Empty(t, ask(t, c, 10).Results)
	e.step()
	require.Empty(t, ask(t, c, 0).Results)
	_, results := e.sidecar.Len()
	require.Zero(t, results)
	require.Empty(t, e.ours(id).Commitment)
}

// The vote extension carried the commitment into the chain after the
// worker's simulation, so CheckTx refuses its commit as already committed
// (code 20): that counts as done, and the worker reveals without waiting
// out a refusal.
func TestCommitRefusedAsAlreadyCommittedStillReveals(t *testing.T) {
	e := newEnv(t)
	c := withSidecar(e)
	id := e.addJob(proposal)
	e.step()
	e.node.Do(func(n *chaintest.Node) {
		n.BeforeBroadcast = func(n *chaintest.Node) {
			n.ApplyVoteExtension(ask(t, c, 0)) // (the node is locked: every height)
			n.RejectNext = &sdk.TxResponse{Codespace: inferencetypes.ModuleName, Code: inferencetypes.ErrAlreadyCommitted.ABCICode(),
				RawLog: "already committed"}
		}
	})
	e.step() // our commit is refused
	rec, _ := e.record(id)
	require.Equal(t, rec.Commitment, e.ours(id).Commitment)
	require.Empty(t, rec.CommitTx)
	require.Empty(t, e.st.Snapshot().LastError, "not an error")

	e.otherCommits(id, rec.Output)
	e.step() // same height: no refusal to wait out
	require.Positive(t, e.ours(id).RevealHeight)
	e.step()
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsCommitted))
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsRevealed))
	require.Equal(t, 1, e.node.ResultCommits, "the vote extension's")
}

// Our commit passed CheckTx, but the vote extension's landed first in the
// block, so our tx failed there with the same error: the commitment on
// chain is ours, and the worker reveals.
func TestCommitFailedInBlockStillReveals(t *testing.T) {
	e := newEnv(t)
	c := withSidecar(e)
	id := e.addJob(proposal)
	e.step()
	e.node.Do(func(n *chaintest.Node) {
		// (The node is locked: ask for every height.)
		n.BeforeBroadcast = func(n *chaintest.Node) { n.ApplyVoteExtension(ask(t, c, 0)) }
	})
	e.step() // our commit tx fails in its block
	rec, _ := e.record(id)
	require.Equal(t, rec.Commitment, e.ours(id).Commitment)
	require.NotEmpty(t, rec.CommitTx)
	res, err := e.client.TxResult(context.Background(), rec.CommitTx)
	require.NoError(t, err)
	require.ErrorIs(t, res.Err, inferencetypes.ErrAlreadyCommitted)

	e.otherCommits(id, rec.Output)
	e.step()
	require.Positive(t, e.ours(id).RevealHeight)
	require.Equal(t, 1, e.node.ResultCommits, "the vote extension's")
}

// With the sidecar on, the reveals and the commits of one poll leave in two
// txs, so a commit the vote extension beat cannot fail a reveal with it.
// Here the extension lands between the two: the commit's simulation says
// "already committed", which counts as done.
func TestSidecarSplitsRevealsFromCommits(t *testing.T) {
	e := newEnv(t)
	c := withSidecar(e)
	first := e.addJob(proposal)
	e.step()
	e.step() // first commits
	second := e.addJob("Fix typos in the governance documentation")
	e.step() // second's output is ready
	rec1, _ := e.record(first)
	e.otherCommits(first, rec1.Output) // first is REVEALING

	e.node.Do(func(n *chaintest.Node) {
		n.BeforeBroadcast = func(n *chaintest.Node) { n.ApplyVoteExtension(ask(t, c, 0)) }
	})
	before := e.node.Broadcasts
	e.step() // first's reveal, then second's commit
	require.Equal(t, before+1, e.node.Broadcasts, "the commit was refused in simulation, before broadcasting")
	require.Positive(t, e.ours(first).RevealHeight)
	rec1, _ = e.record(first)
	res, err := e.client.TxResult(context.Background(), rec1.RevealTx)
	require.NoError(t, err)
	require.NoError(t, res.Err, "the reveal's tx succeeded in its block")
	rec2, _ := e.record(second)
	require.Equal(t, rec2.Commitment, e.ours(second).Commitment)
	require.Empty(t, rec2.CommitTx)
	require.Empty(t, e.st.Snapshot().LastError)

	e.otherCommits(second, rec2.Output)
	e.step()
	require.Positive(t, e.ours(second).RevealHeight)
}
