package jobs

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// withSidecarGrace is withSidecar with commit txs held for grace blocks.
func withSidecarGrace(e *env, grace int64) abcitypes.SidecarClient {
	e.grace = grace
	return withSidecar(e)
}

// block makes the next block; with c, meshd first carries what the sidecar
// answers for the current height in its vote extension, and the chain
// applies it before the block's txs.
func (e *env) block(c abcitypes.SidecarClient) {
	if c != nil {
		res := ask(e.t, c, e.node.Height())
		e.node.Do(func(n *chaintest.Node) { n.ApplyVoteExtension(res) })
	}
	e.node.Advance(1)
}

func (e *env) commitTxs() (n int) {
	e.node.Do(func(node *chaintest.Node) { n = node.CommitBroadcasts })
	return n
}

// finalizes steps the job (assigned to the worker alone) through its
// reveal to FINALIZED.
func (e *env) finalizes(id uint64) {
	e.t.Helper()
	e.step() // REVEALING: reveals
	require.Positive(e.t, e.ours(id).RevealHeight)
	e.step()
	require.Equal(e.t, inferencetypes.JOB_STATUS_FINALIZED, e.node.Job(id).Status)
	require.Equal(e.t, expected(e.t), e.node.Job(id).Result)
	require.Equal(e.t, 1.0, testutil.ToFloat64(e.m.JobsCommitted))
	require.Equal(e.t, 1.0, testutil.ToFloat64(e.m.JobsRevealed))
}

// (a) The validator's vote extension carries the commitment into the next
// block: the worker never broadcasts MsgCommitResult, stops serving it and
// reveals.
func TestGraceResultLandsFromTheVoteExtension(t *testing.T) {
	e := newEnv(t)
	c := withSidecarGrace(e, 2)
	id := e.addJob(proposal, e.client.Address())
	e.step() // computes, saves, publishes
	e.step() // holds the tx
	require.Zero(t, e.commitTxs())
	require.Len(t, ask(t, c, 1).Results, 1)

	e.block(c)
	require.Len(t, e.ours(id).Commitment, 32, "applied from the vote extension")
	require.Equal(t, inferencetypes.JOB_STATUS_REVEALING, e.node.Job(id).Status)
	e.finalizes(id)
	require.Empty(t, ask(t, c, 0).Results)
	require.Zero(t, e.commitTxs(), "no commit tx: the extension carried it")
	require.Equal(t, 1, e.node.ResultCommits, "the extension's")
}

// (b) Nobody carries the commitment: after the grace the worker broadcasts
// MsgCommitResult itself, and the job finalizes.
func TestGraceCommitResultAfterTheGrace(t *testing.T) {
	e := newEnv(t)
	c := withSidecarGrace(e, 2)
	id := e.addJob(proposal, e.client.Address())
	e.step()
	e.step() // height 1: held
	e.block(nil)
	e.step() // 2: held
	require.Zero(t, e.commitTxs())
	require.Equal(t, "committing", e.st.Snapshot().Jobs[0].Phase)
	e.block(nil)
	e.step() // 3: the grace is over
	require.Equal(t, 1, e.commitTxs())
	rec, _ := e.record(id)
	require.Equal(t, rec.Commitment, e.ours(id).Commitment)
	require.NotEmpty(t, rec.CommitTx)
	e.finalizes(id)
	require.Empty(t, ask(t, c, 0).Results)
	require.Equal(t, 1, e.commitTxs(), "sent once")
}

// (c) The commit phase is nearly over: the tx goes out at once; (d)
// without the sidecar it always does, whatever the grace.
func TestGraceCommitResultAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		height    int64
		sidecarOn bool
		grace     int64
	}{
		{"two blocks left, grace 2", 8, true, 2},
		{"one block left", 9, true, 2},
		{"grace 0", 1, true, 0},
		{"sidecar off", 1, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.sidecarOn {
				withSidecarGrace(e, tc.grace)
			} else {
				e.grace = tc.grace
				e.restart(nil)
			}
			e.node.SetHeight(tc.height)
			id := e.addJob(proposal, e.client.Address())
			e.step()
			e.step()
			require.Equal(t, 1, e.commitTxs())
			require.Len(t, e.ours(id).Commitment, 32)
			e.finalizes(id)
		})
	}
}

// Each job has its own grace, counted from the poll that first held it;
// a held commit holds up no other job.
func TestGraceHoldsEachJobApart(t *testing.T) {
	e := newEnv(t)
	withSidecarGrace(e, 2)
	first := e.addJob(proposal, e.client.Address())
	e.step()
	e.step() // 1: first held
	e.block(nil)
	second := e.addJob("Fix typos in the governance documentation", e.client.Address())
	e.step()
	e.step() // 2: first and second held
	require.Zero(t, e.commitTxs())
	e.block(nil)
	e.step() // 3: first's grace is over, second's is not
	require.Equal(t, 1, e.commitTxs())
	require.Len(t, e.ours(first).Commitment, 32)
	require.Empty(t, e.ours(second).Commitment)
	e.block(nil)
	e.step() // 4: first reveals, second commits
	require.Positive(t, e.ours(first).RevealHeight)
	require.Len(t, e.ours(second).Commitment, 32)
	require.Equal(t, 2, e.commitTxs())
	e.step()
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, e.node.Job(first).Status)
	require.Positive(t, e.ours(second).RevealHeight)
}
