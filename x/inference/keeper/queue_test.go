package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/inference/types"
)

// serve has every assigned worker of job commit and reveal "4" (two blocks).
func serve(f *fixture, id uint64) {
	f.t.Helper()
	ws := f.assigned(id)
	f.inBlock(f.commitResult, id, ws, "4")
	f.inBlock(f.revealResult, id, ws, "4")
}

// Every request waits in its model's queue, escrowed, and is assigned in
// arrival order by the BeginBlocker of a later block, once its slots are free.
func TestBusyNetworkQueuesInOrder(t *testing.T) {
	f := newFixture(t, nil)
	for _, w := range f.addWorkers(3) {
		f.setVerifiedUnits(w.addr, 1) // one job at a time each
	}
	requester := addr("requester", 1)
	f.fund(requester, 4*3500)
	var ids []uint64
	f.block(func() {
		for i := 0; i < 4; i++ {
			ids = append(ids, f.request(f.requestMsg(requester)).JobId)
		}
		queued := f.events("mesh.inference.v1.EventJobQueued")
		require.Len(t, queued, 4)
		for i, e := range queued {
			require.Equal(t, []string{"1", "2", "3", "4"}[i], attr(e, "queue_length"))
		}
	})
	require.True(t, f.balance(requester).IsZero(), "every request escrowed")

	for i, id := range ids {
		j := f.job(id)
		require.Equal(t, types.JOB_STATUS_QUEUED, j.Status, "job %d", i)
		require.Empty(t, j.Assignments)
		freed := f.height() // the request's block, then the block that settled the job before
		f.block(nil)
		j = f.job(id)
		require.Equal(t, types.JOB_STATUS_COMMITTING, j.Status, "assigned in the block after its slots freed")
		require.Equal(t, freed+1, j.AssignedHeight)
		require.Len(t, j.Assignments, 3)
		for _, later := range ids[i+1:] {
			require.Equal(t, types.JOB_STATUS_QUEUED, f.job(later).Status, "first come, first served")
		}
		serve(f, id)
		require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(id).Status, "job %d", i)
	}
	n, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.Error(t, err, "queue empty: %d", n)
}

// A full queue refuses, with ErrNetworkAtCapacity and the queue length;
// nothing is escrowed or changed. The queue holds max_queued_per_model jobs
// beyond what the free slots take at the next block: three workers with one
// slot each take one redundancy-3 job, then two may wait.
func TestFullQueueRefuses(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MaxQueuedPerModel = 2 })
	for _, w := range f.addWorkers(3) {
		f.setVerifiedUnits(w.addr, 1)
	}
	requester := addr("requester", 1)
	f.fund(requester, 4*3500)
	f.block(func() {
		for i := 0; i < 2; i++ {
			f.request(f.requestMsg(requester))
		}
		var err error
		f.requireRejected(types.ErrNetworkAtCapacity, func() error {
			_, err = f.msg.RequestInference(f.ctx, f.requestMsg(requester))
			return err
		})
		require.ErrorContains(t, err, "2 requests are queued (max_queued_per_model 2)")
	})
	require.Equal(t, int64(2*3500), f.balance(requester).Int64())
	// One assigned, one waiting: the queue has room for one more again.
	f.block(func() {
		f.request(f.requestMsg(requester))
		f.requireRejected(types.ErrNetworkAtCapacity, func() error {
			_, err := f.msg.RequestInference(f.ctx, f.requestMsg(requester))
			return err
		})
	})
	require.Equal(t, int64(3500), f.balance(requester).Int64())
}

// With max_queued_per_model 0 no request waits for a busy network, but
// requests that the free slots take at the next block are all accepted,
// however many arrive in one block.
func TestNoQueueServesFreeSlots(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MaxQueuedPerModel = 0 })
	f.addWorkers(3) // 8 slots each: 8 redundancy-3 jobs
	requester := addr("requester", 1)
	f.fund(requester, 9*3500)
	var ids []uint64
	f.block(func() {
		for i := 0; i < 8; i++ {
			ids = append(ids, f.request(f.requestMsg(requester)).JobId)
		}
		f.requireRejected(types.ErrNetworkAtCapacity, func() error {
			_, err := f.msg.RequestInference(f.ctx, f.requestMsg(requester))
			return err
		})
	})
	f.block(nil)
	for _, id := range ids {
		require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(id).Status)
	}
	_, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.Error(t, err, "queue empty")
}

// A queued job's deadline counts: never assigned, it expires and the whole
// max_fee goes back; the queue forgets it.
func TestQueuedJobExpiresRefunded(t *testing.T) {
	f := newFixture(t, nil)
	for _, w := range f.addWorkers(3) {
		f.setVerifiedUnits(w.addr, 1)
	}
	requester := addr("requester", 1)
	f.fund(requester, 2*3500)
	var first, waiting uint64
	f.block(func() {
		msg := f.requestMsg(requester)
		msg.DeadlineBlocks = 100
		first = f.request(msg).JobId
		msg.DeadlineBlocks = 30
		waiting = f.request(msg).JobId
	})
	// The first job's workers commit and never reveal: busy until block 100.
	f.block(func() {
		for _, w := range f.assigned(first) {
			f.commitResult(w, first, "4")
		}
	})
	f.advanceTo(f.job(waiting).Deadline)
	require.Equal(t, types.JOB_STATUS_EXPIRED, f.job(waiting).Status)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(first).Status)
	require.Empty(t, f.job(waiting).Assignments)
	require.Equal(t, int64(3500), f.job(waiting).Refunded.Amount.Int64())
	require.Equal(t, int64(3500), f.balance(requester).Int64())
	has, err := f.k.WaitQueue.Has(f.ctx, collections.Join(modelID, waiting))
	require.NoError(t, err)
	require.False(t, has)
	_, err = f.k.QueueLength.Get(f.ctx, modelID)
	require.Error(t, err)
}

// A worker's concurrent-job cap follows its proven capacity.
func TestSlotsFollowVerifiedUnits(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MinRedundancy, p.DefaultRedundancy = 1, 1 })
	big, small := f.addWorker(modelID), f.addWorker(modelID)
	f.setVerifiedUnits(big.addr, 5)
	f.setVerifiedUnits(small.addr, 0) // not proven yet: one slot
	requester := addr("requester", 1)
	f.fund(requester, 10*3500)
	var ids []uint64
	f.block(func() {
		for i := 0; i < 8; i++ {
			msg := f.requestMsg(requester)
			msg.Redundancy = 1
			ids = append(ids, f.request(msg).JobId)
		}
	})
	f.block(nil)
	perWorker := map[string]int{}
	for _, id := range ids {
		for _, w := range f.assigned(id) {
			perWorker[f.bech(w)]++
		}
	}
	require.Equal(t, 5, perWorker[f.bech(big.addr)])
	require.Equal(t, 1, perWorker[f.bech(small.addr)])
	n, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.NoError(t, err)
	require.Equal(t, uint32(2), n)
}

// A request is never assigned in its own block, even with every worker
// free: its tx returns no workers and emits no EventJobAssigned, the block's
// EndBlocker leaves it QUEUED, and the next block's BeginBlocker draws its
// workers (with that block's seed, revealed after the request was committed).
func TestRequestAssignedInTheNextBlock(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 3500)
	var res *types.MsgRequestInferenceResponse
	f.block(func() {
		res = f.request(f.requestMsg(requester))
		require.Empty(t, res.Workers, "the response reveals no worker")
		require.Len(t, f.events("mesh.inference.v1.EventJobQueued"), 1)
		require.Empty(t, f.events("mesh.inference.v1.EventJobAssigned"), "no draw in the request's tx")
	})
	created := f.height()
	j := f.job(res.JobId)
	require.Equal(t, types.JOB_STATUS_QUEUED, j.Status, "its block's EndBlocker does not assign it either")
	require.Empty(t, j.Assignments)
	require.Empty(t, f.events("mesh.inference.v1.EventJobAssigned"))
	require.Equal(t, created, j.CreatedHeight)

	f.block(nil)
	j = f.job(res.JobId)
	require.Equal(t, types.JOB_STATUS_COMMITTING, j.Status)
	require.Equal(t, created+1, j.AssignedHeight)
	require.Len(t, j.Assignments, 3)
	assigned := f.events("mesh.inference.v1.EventJobAssigned")
	require.Len(t, assigned, 3)
	for i, e := range assigned {
		require.Equal(t, j.Assignments[i].Worker, attr(e, "worker"))
	}
	_, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.Error(t, err, "queue empty")
}

// The queue assigns a job only at a height above its creation and stops at
// the first job too young (first come, first served), even with free
// workers: a job created at h waits for h + 1, whoever runs the queue.
func TestTooYoungJobWaits(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 2*3500)
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)

	f.next()
	older := f.request(f.requestMsg(requester)).JobId
	n, err := f.k.AssignQueued(f.ctx, params)
	require.NoError(t, err)
	require.Zero(t, n, "created at this height")
	require.Equal(t, types.JOB_STATUS_QUEUED, f.job(older).Status)
	f.endBlock()

	// A job created at this height before the queue runs (as a caller
	// other than the BeginBlocker would see it) waits behind the older one.
	f.next()
	younger := f.request(f.requestMsg(requester)).JobId
	f.beginBlock()
	require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(older).Status)
	require.Equal(t, types.JOB_STATUS_QUEUED, f.job(younger).Status, "too young, although workers are free")
	require.Len(t, f.events("mesh.inference.v1.EventJobAssigned"), 3, "the older job's only")
	f.endBlock()

	f.block(nil)
	j := f.job(younger)
	require.Equal(t, types.JOB_STATUS_COMMITTING, j.Status)
	require.Equal(t, j.CreatedHeight+1, j.AssignedHeight)
}

// A job whose deadline comes before the queue can serve it is never
// assigned: with the minimum phases (1 + 1 blocks) and every slot taken, it
// expires at its deadline with a full refund, as a queued job always has.
func TestQueuedJobShortDeadlineExpires(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.CommitBlocks, p.RevealBlocks = 1, 1 })
	for _, w := range f.addWorkers(3) {
		f.setVerifiedUnits(w.addr, 1)
	}
	requester := addr("requester", 1)
	f.fund(requester, 2*3500)
	var served, starved uint64
	f.block(func() {
		served = f.request(f.requestMsg(requester)).JobId
		starved = f.request(f.requestMsg(requester)).JobId
	})
	require.Equal(t, f.height()+1+2, f.job(starved).Deadline)
	f.block(nil) // served takes every slot; it is assigned with its full phases
	s := f.job(served)
	require.Equal(t, types.JOB_STATUS_COMMITTING, s.Status)
	require.Equal(t, []int64{s.AssignedHeight + 1, s.AssignedHeight + 2}, []int64{s.CommitEnd, s.Deadline})
	f.advanceTo(f.job(starved).Deadline)
	j := f.job(starved)
	require.Equal(t, types.JOB_STATUS_EXPIRED, j.Status)
	require.Empty(t, j.Assignments)
	require.Equal(t, "3500umesh", j.Refunded.String())
	require.Equal(t, "7000", f.balance(requester).String(), "served failed (nobody committed) and starved expired: both refunded")
}
