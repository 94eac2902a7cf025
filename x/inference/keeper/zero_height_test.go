package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// A zero-height export moves every job's heights back by the export height
// L and rebuilds the height-ordered queues to match. On the restarted chain
// (heights from 1) a job in its reveal phase finalizes with the reveals it
// gets, a job nobody committed to fails and is refunded when its commit
// phase ends — as many blocks after the restart as it had left, not before —
// and an ended job is pruned on schedule.
func TestPrepareForZeroHeight(t *testing.T) {
	f := newFixture(t, nil)
	ws := f.addWorkers(3)
	requester := func(i int) sdk.AccAddress { return addr("requester", i) }
	for i := 1; i <= 4; i++ {
		f.fund(requester(i), 10_000)
	}
	var ended, revealing, committing, queued uint64
	f.block(func() { ended = f.request(f.requestMsg(requester(1))).JobId })
	f.block(nil) // assigned
	f.inBlock(f.commitResult, ended, f.assigned(ended), "4")
	f.inBlock(f.revealResult, ended, f.assigned(ended), "4")
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(ended).Status)
	f.advanceTo(30)
	f.block(func() { revealing = f.request(f.requestMsg(requester(2))).JobId })
	f.block(nil) // assigned
	f.inBlock(f.commitResult, revealing, f.assigned(revealing), "4")
	f.block(func() { committing = f.request(f.requestMsg(requester(3))).JobId })
	// committing is assigned in the last block; queued, requested there, is not.
	f.block(func() { queued = f.request(f.requestMsg(requester(4))).JobId })
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(revealing).Status)
	require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(committing).Status)
	require.Equal(t, types.JOB_STATUS_QUEUED, f.job(queued).Status)

	last := f.height()
	before := map[uint64]types.Job{ended: f.job(ended), revealing: f.job(revealing), committing: f.job(committing), queued: f.job(queued)}
	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)

	c := f.job(committing)
	require.Equal(t, []int64{0, before[committing].CommitEnd - last, before[committing].Deadline - last},
		[]int64{c.CreatedHeight, c.CommitEnd, c.Deadline})
	q := f.job(queued)
	require.Equal(t, []int64{0, 0, 0, before[queued].Deadline - last}, []int64{q.CreatedHeight, q.AssignedHeight, q.CommitEnd, q.Deadline})
	r := f.job(revealing)
	require.Equal(t, []int64{0, before[revealing].CommitEnd - last, before[revealing].Deadline - last}, []int64{r.CreatedHeight, r.CommitEnd, r.Deadline})
	for _, a := range r.Assignments {
		require.Zero(t, a.CommitHeight, "committed before the restart")
	}
	e := f.job(ended)
	require.Equal(t, int64(1), e.EndedHeight)
	keys := func(q collections.KeySet[collections.Pair[int64, uint64]]) []collections.Pair[int64, uint64] {
		iter, err := q.Iterate(f.ctx, nil)
		require.NoError(t, err)
		ks, err := iter.Keys()
		require.NoError(t, err)
		return ks
	}
	require.Equal(t, []collections.Pair[int64, uint64]{collections.Join(c.CommitEnd, committing)}, keys(f.k.CommitQueue))
	require.ElementsMatch(t, []collections.Pair[int64, uint64]{
		collections.Join(c.Deadline, committing), collections.Join(r.Deadline, revealing), collections.Join(q.Deadline, queued)},
		keys(f.k.DeadlineQueue))
	require.Equal(t, []collections.Pair[int64, uint64]{collections.Join(1+params.JobRetentionBlocks, ended)}, keys(f.k.PruneQueue))
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())

	// The new chain: block 1 follows the export; its BeginBlocker assigns
	// the queued job (created at 0, before it).
	f.ctx = f.ctx.WithBlockHeight(0)
	f.inBlock(f.revealResult, revealing, f.assigned(revealing), "4")
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(revealing).Status)
	q = f.job(queued)
	require.Equal(t, types.JOB_STATUS_COMMITTING, q.Status)
	require.Equal(t, int64(1), q.AssignedHeight)
	fee := f.job(revealing).Fee.Amount
	require.Equal(t, math.NewInt(10_000).Sub(fee), f.balance(requester(2)), "paid the fee, the rest refunded")

	f.advanceTo(c.CommitEnd - 1)
	require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(committing).Status, "its commit phase runs on")
	f.advanceTo(c.CommitEnd)
	require.Equal(t, types.JOB_STATUS_FAILED, f.job(committing).Status)
	require.Equal(t, math.NewInt(10_000), f.balance(requester(3)), "refunded in full")
	f.advanceTo(q.CommitEnd)
	require.Equal(t, types.JOB_STATUS_FAILED, f.job(queued).Status, "nobody committed")
	require.Equal(t, math.NewInt(10_000), f.balance(requester(4)), "refunded in full")
	require.Equal(t, math.ZeroInt(), f.moduleBalance(types.ModuleName))
	for _, w := range ws {
		stats, err := f.k.WorkerStats.Get(f.ctx, w.addr)
		require.NoError(t, err)
		require.EqualValues(t, 2, stats.JobsAgreed, "both answered jobs agreed")
	}
}

// Heights already past at the export clamp in order: a job whose commit
// phase and deadline were both due (left for a later block by the
// per-block limit) ends in the first blocks of the new chain, and the
// exported state still validates.
func TestPrepareForZeroHeightClampsPastHeights(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	var id uint64
	f.block(func() { id = f.request(f.requestMsg(requester)).JobId })
	f.block(nil) // assigned
	j := f.job(id)
	require.Equal(t, types.JOB_STATUS_COMMITTING, j.Status)
	// The chain moved on far past the job's deadline without ending it.
	f.ctx = f.ctx.WithBlockHeight(j.Deadline + 50)
	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	got := f.job(id)
	require.Equal(t, []int64{0, 0, 1, 2}, []int64{got.CreatedHeight, got.AssignedHeight, got.CommitEnd, got.Deadline},
		"created, assigned, commit_end, deadline")
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())

	f.ctx = f.ctx.WithBlockHeight(0)
	f.block(nil)
	require.Equal(t, types.JOB_STATUS_FAILED, f.job(id).Status, "no commitment by commit_end 1")
	require.Equal(t, math.NewInt(10_000), f.balance(requester), "refunded in full")
}
