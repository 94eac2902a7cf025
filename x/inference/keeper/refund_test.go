package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestRefundRefusedGoesToTreasury (issue 17 M3): a refund x/bank refuses
// (here the requester became a blocked address after its request) can never succeed. The job
// still ends — FINALIZED with its workers paid, or FAILED — and what was
// due to the requester goes to the treasury ("dao") with
// EventRefundForfeited; nothing stays in escrow, nothing is retried. Before
// the fix the settlement failed, the deadline's fallback refund failed too,
// and the job was re-queued every reveal_blocks for ever, its escrow held.
func TestRefundRefusedGoesToTreasury(t *testing.T) {
	requester := addr("requester", 1)
	for _, tc := range []struct {
		name      string
		answer    bool
		status    types.JobStatus
		treasury  int64
		forfeited string
	}{
		{"finalized", true, types.JOB_STATUS_FINALIZED, 500, "500umesh"},
		{"nobody commits", false, types.JOB_STATUS_FAILED, 3500, "3500umesh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.addWorkers(3)
			_, jobID, ws := f.requestOne(3500)
			f.blockAddr(requester) // e.g. it became a module account
			var forfeits int
			count := func() { forfeits += len(f.events("mesh.inference.v1.EventRefundForfeited")) }
			if tc.answer {
				f.inBlock(f.commitResult, jobID, ws, "4")
				f.block(func() {
					for _, w := range ws {
						f.revealResult(w, jobID, "4")
					}
					count()
				})
			}
			for i := 0; i < 3*int(types.DefaultParams().CommitBlocks+types.DefaultParams().RevealBlocks); i++ {
				f.block(nil)
				count()
			}
			job := f.job(jobID)
			require.Equal(t, tc.status, job.Status, "the job ended")
			require.Equal(t, "0", f.balance(requester).String())
			require.Equal(t, tc.treasury, f.moduleBalance(types.TreasuryAccount).Int64(), "the refund went to the treasury")
			require.True(t, job.Refunded.IsZero())
			require.Equal(t, 1, forfeits, "EventRefundForfeited once")
			if tc.answer {
				for _, a := range job.Assignments {
					require.True(t, a.Paid.IsPositive(), "the workers are paid")
				}
			}
			// checkEscrow (run by every block) holds: nothing left in escrow.
			require.True(t, f.moduleBalance(types.ModuleName).IsZero())
		})
	}
}
