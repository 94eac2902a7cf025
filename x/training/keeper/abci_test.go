package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/training/types"
)

// TestEndBlockerCap: five rounds reach commit_end in the same block; with
// max_rounds_per_block 2 they end over three blocks, lowest task id first.
func TestEndBlockerCap(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	f.fund(f.creator, 5*tfBudget)
	var ids []uint64
	for range 5 {
		ids = append(ids, f.openTask(f.createMsg(1, 1, 1), ws))
	}
	f.next()
	f.endBlock() // all five start here
	f.params.MaxRoundsPerBlock = 2
	require.NoError(t, f.k.SetParams(f.ctx, f.params))
	end := f.round(ids[0], 1).CommitEnd
	require.Equal(t, end, f.round(ids[4], 1).CommitEnd)
	require.Len(t, f.deadlines(), 5)

	status := func() []types.TaskStatus {
		var out []types.TaskStatus
		for _, id := range ids {
			out = append(out, f.task(id).Status)
		}
		return out
	}
	running, failed := types.TASK_STATUS_RUNNING, types.TASK_STATUS_FAILED
	f.advanceTo(end - 1)
	require.Equal(t, []types.TaskStatus{running, running, running, running, running}, status())
	f.advanceTo(end)
	require.Equal(t, []types.TaskStatus{failed, failed, running, running, running}, status())
	require.Equal(t, [][2]int64{{end, 3}, {end, 4}, {end, 5}}, f.deadlines())
	require.Len(t, tfEvents[types.EventTaskEnded](f), 2)
	f.advanceTo(end + 1)
	require.Equal(t, []types.TaskStatus{failed, failed, failed, failed, running}, status())
	f.advanceTo(end + 2)
	require.Equal(t, []types.TaskStatus{failed, failed, failed, failed, failed}, status())
	require.Empty(t, f.deadlines())
	require.Equal(t, int64(tfFunds+5*tfBudget), f.balance(f.creator))
}

// TestEndBlockerSkipsBrokenTask: a task whose round cannot end (here its
// refund: a corrupt creator) keeps its state and leaves the queue; the
// other tasks of the block go on and the EndBlocker returns no error.
func TestEndBlockerSkipsBrokenTask(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	broken := f.openTask(f.createMsg(1, 1, 1), ws)
	ok := f.openTask(f.createMsg(1, 1, 1), ws)
	f.next()
	f.endBlock() // both start here
	task := f.task(broken)
	task.Creator = "not-an-address"
	require.NoError(t, f.k.Tasks.Set(f.ctx, broken, task))
	before := f.round(broken, 1)

	f.advanceTo(before.CommitEnd)
	require.Equal(t, task, f.task(broken))
	require.Equal(t, before, f.round(broken, 1))
	require.Equal(t, types.TASK_STATUS_FAILED, f.task(ok).Status)
	require.Empty(t, f.deadlines())
	require.Len(t, tfEvents[types.EventTaskEnded](f), 1)
	require.Equal(t, int64(tfBudget), f.escrow(), "the broken task's budget stays escrowed")
}

// TestEndBlockerStaleEntries: entries of unknown tasks or of a height that
// is not the round's phase end are dropped without touching anything.
func TestEndBlockerStaleEntries(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	id := f.startTask(f.createMsg(1, 1, 1), ws)
	r := f.round(id, 1)
	f.next()
	h := f.height()
	require.NoError(t, f.k.RoundDeadlines.Set(f.ctx, collections.Join(h, uint64(99))))
	require.NoError(t, f.k.RoundDeadlines.Set(f.ctx, collections.Join(h, id)))
	f.endBlock()
	require.Equal(t, [][2]int64{{r.CommitEnd, int64(id)}}, f.deadlines())
	require.Equal(t, r, f.round(id, 1))
	require.Equal(t, types.TASK_STATUS_RUNNING, f.task(id).Status)
	require.Empty(t, f.ctx.EventManager().Events())
}

// TestEndBlockerNoParams: without params (a broken store) the EndBlocker
// logs and returns no error.
func TestEndBlockerNoParams(t *testing.T) {
	f := newTaskFixture(t)
	require.NoError(t, f.k.Params.Remove(f.ctx))
	require.NoError(t, f.k.EndBlocker(f.ctx))
}

// TestEndBlockerLateKeepsPhaseLength: a commit phase closed late (the
// EndBlocker's cap) past its planned reveal_end still gets reveal_blocks.
func TestEndBlockerLateKeepsPhaseLength(t *testing.T) {
	f := newTaskFixture(t, func(p *types.Params) { p.MaxRoundsPerBlock, p.RevealBlocks = 1, 1 })
	ws := f.addWorkers(1)
	first := f.startTask(f.createMsg(1, 1, 1), ws)
	late := f.startTask(f.createMsg(1, 1, 1), ws)
	f.commit(ws[0], late, 1, tfUpdate(ws[0], 1, 1))
	// Its only participant committed: the reveal phase opened at once. Put
	// it back in COMMIT until commit_end, as if one more participant lagged.
	r := f.round(late, 1)
	end := f.round(first, 1).CommitEnd
	r.Phase, r.CommitEnd, r.RevealEnd, r.AggregateEnd = types.ROUND_PHASE_COMMIT, end, end+1, end+1+f.params.AggregateBlocks
	require.NoError(t, f.k.Rounds.Set(f.ctx, collections.Join(late, uint32(1)), r))
	require.NoError(t, f.k.RoundDeadlines.Clear(f.ctx, nil))
	require.NoError(t, f.k.RoundDeadlines.Set(f.ctx, collections.Join(end, first)))
	require.NoError(t, f.k.RoundDeadlines.Set(f.ctx, collections.Join(end, late)))

	f.advanceTo(end)
	require.Equal(t, types.TASK_STATUS_FAILED, f.task(first).Status)
	require.Equal(t, types.ROUND_PHASE_COMMIT, f.round(late, 1).Phase, "capped")
	f.advanceTo(end + 1)
	r = f.round(late, 1)
	require.Equal(t, types.ROUND_PHASE_REVEAL, r.Phase)
	require.Equal(t, end+2, r.RevealEnd, "one more reveal block from the late close")
	require.Equal(t, [][2]int64{{end + 2, int64(late)}}, f.deadlines())
	f.next()
	f.reveal(ws[0], late, 1, tfUpdate(ws[0], 1, 1))
	require.Equal(t, types.ROUND_PHASE_AGGREGATE, f.round(late, 1).Phase)
}

// TestSettlementFailureLeftToDeadline: when the last aggregate cannot end
// the round at once (here the task's refund fails), the submission stands,
// nothing else is kept, and the round stays due at aggregate_end.
func TestSettlementFailureLeftToDeadline(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	id := f.startTask(f.createMsg(1, 1, 1), ws)
	f.commit(ws[0], id, 1, tfUpdate(ws[0], 1, 1))
	f.reveal(ws[0], id, 1, tfUpdate(ws[0], 1, 1))
	task := f.task(id)
	task.Creator = "not-an-address"
	require.NoError(t, f.k.Tasks.Set(f.ctx, id, task))
	f.pool.failPay[string(ws[0].provider)] = true // so that something is left to refund
	deadlines := f.deadlines()

	f.aggregate(ws[0], id, 1, tfSha("c"), 1)
	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_AGGREGATE, r.Phase)
	require.Equal(t, tfSha("c"), r.Aggregates[0].Digest)
	require.Equal(t, task, f.task(id))
	require.Equal(t, deadlines, f.deadlines())
	require.Equal(t, int64(0), f.paidOut())
	require.Empty(t, tfEvents[types.EventRoundEnded](f))
}
