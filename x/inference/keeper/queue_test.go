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

// When every worker is busy a request waits in its model's queue, escrowed,
// and is assigned in arrival order in the EndBlock of the block its slots free.
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
		require.Len(t, queued, 3)
		for i, e := range queued {
			require.Equal(t, []string{"1", "2", "3"}[i], attr(e, "queue_length"))
		}
	})
	require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(ids[0]).Status)
	for _, id := range ids[1:] {
		j := f.job(id)
		require.Equal(t, types.JOB_STATUS_QUEUED, j.Status)
		require.Empty(t, j.Assignments)
	}
	require.True(t, f.balance(requester).IsZero(), "every request escrowed")

	for i, id := range ids {
		serve(f, id)
		require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(id).Status, "job %d", i)
		if i+1 < len(ids) {
			next := f.job(ids[i+1])
			require.Equal(t, types.JOB_STATUS_COMMITTING, next.Status, "assigned in the block its slots freed")
			require.Equal(t, f.height(), next.AssignedHeight)
			require.Len(t, next.Assignments, 3)
			for _, later := range ids[i+2:] {
				require.Equal(t, types.JOB_STATUS_QUEUED, f.job(later).Status, "first come, first served")
			}
		}
	}
	n, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.Error(t, err, "queue empty: %d", n)
}

// Only a full queue refuses, with ErrNetworkAtCapacity and the queue length;
// nothing is escrowed or changed.
func TestFullQueueRefuses(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MaxQueuedPerModel = 2 })
	for _, w := range f.addWorkers(3) {
		f.setVerifiedUnits(w.addr, 1)
	}
	requester := addr("requester", 1)
	f.fund(requester, 4*3500)
	f.block(func() {
		for i := 0; i < 3; i++ {
			f.request(f.requestMsg(requester))
		}
		var err error
		f.requireRejected(types.ErrNetworkAtCapacity, func() error {
			_, err = f.msg.RequestInference(f.ctx, f.requestMsg(requester))
			return err
		})
		require.ErrorContains(t, err, "2 requests are queued (max_queued_per_model 2)")
	})
	require.Equal(t, int64(3500), f.balance(requester).Int64())
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
	perWorker := map[string]int{}
	f.block(func() {
		for i := 0; i < 8; i++ {
			msg := f.requestMsg(requester)
			msg.Redundancy = 1
			res := f.request(msg)
			for _, w := range res.Workers {
				perWorker[w]++
			}
		}
	})
	require.Equal(t, 5, perWorker[f.bech(big.addr)])
	require.Equal(t, 1, perWorker[f.bech(small.addr)])
	n, err := f.k.QueueLength.Get(f.ctx, modelID)
	require.NoError(t, err)
	require.Equal(t, uint32(2), n)
}
