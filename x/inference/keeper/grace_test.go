package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestQuorumRevealedSettlesAfterGrace (issue 17 M2): a worker that commits
// and then stays silent no longer holds the job (and the honest workers'
// slots) until the deadline. Once a quorum has revealed, the job settles
// reveal_grace_blocks later; the silent worker is penalised as before.
// Before the fix the job stayed REVEALING until its deadline (20 blocks).
func TestQuorumRevealedSettlesAfterGrace(t *testing.T) {
	const grace = 2
	f := newFixture(t, func(p *types.Params) { p.RevealGraceBlocks = grace })
	f.addWorkers(3)
	requester, jobID, ws := f.requestOne(3500)
	deadline := f.job(jobID).Deadline
	f.inBlock(f.commitResult, jobID, ws, "4")
	f.inBlock(f.revealResult, jobID, ws[:2], "4") // ws[2] stays silent
	quorumAt := f.height()
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status, "the grace period runs")

	f.advanceTo(quorumAt + grace - 1)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
	f.block(nil)
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status, "settled at the quorum + grace")
	require.Equal(t, quorumAt+grace, job.EndedHeight)
	require.Less(t, job.EndedHeight, deadline)
	require.Equal(t, "500", f.balance(requester).String(), "max_fee 3500 − fee 3000")
	require.False(t, job.Assignments[2].Agreed)
	require.Equal(t, uint32(4000), f.reputation(ws[2]), "the silent worker is penalised")
	for _, w := range ws {
		open, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: f.bech(w)})
		require.NoError(t, err)
		require.Zero(t, open.Stats.OpenJobs, "every slot is free")
	}
	// The silent worker's late reveal is refused: the job has ended.
	_, err := f.msg.RevealResult(f.ctx, revealMsg(f, ws[2], jobID, "4"))
	require.ErrorIs(t, err, types.ErrJobEnded)
}
