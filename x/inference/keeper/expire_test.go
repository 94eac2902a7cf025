package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestNobodyReveals: every worker commits, none reveals. At the deadline the
// job expires, max_fee is refunded in full and each worker is penalised as silent.
func TestNobodyReveals(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 3500)
	supply0 := f.supply()
	var jobID uint64
	f.block(func() { jobID = f.request(f.requestMsg(requester)).JobId })
	f.block(nil) // assigned
	ws := f.assigned(jobID)
	f.inBlock(f.commitResult, jobID, ws, "4")
	job := f.job(jobID)
	f.advanceTo(job.Deadline - 1)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
	require.Equal(t, "0", f.balance(requester).String())

	f.block(nil) // the deadline's EndBlock
	require.Equal(t, job.Deadline, f.height())
	settled := f.events("mesh.inference.v1.EventJobSettled")
	require.Len(t, settled, 1)
	require.Equal(t, "JOB_STATUS_EXPIRED", attr(settled[0], "status"))
	require.Equal(t, "3500umesh", attr(settled[0], "refunded"))
	pen := f.events("mesh.inference.v1.EventWorkerPenalized")
	require.Len(t, pen, 3)
	for _, e := range pen {
		require.Equal(t, "silent", attr(e, "reason"))
		require.Equal(t, "0", attr(e, "slashed"))
	}
	job = f.job(jobID)
	require.Equal(t, types.JOB_STATUS_EXPIRED, job.Status)
	require.Equal(t, "3500", f.balance(requester).String())
	require.Equal(t, supply0.String(), f.supply().String(), "nothing burned")
	require.Equal(t, "0", f.moduleBalance(types.ProtocolFeeAccount).String())
	for _, w := range ws {
		require.Equal(t, uint32(4000), f.reputation(w))
		s, err := f.k.WorkerStats.Get(f.ctx, w)
		require.NoError(t, err)
		require.Equal(t, uint64(1), s.JobsMissed)
		require.Equal(t, uint32(0), s.OpenJobs)
	}
}

// TestNobodyCommits: without a quorum of commitments the job cannot succeed;
// it fails at the end of its commit phase and is refunded then.
func TestNobodyCommits(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester, jobID, ws := f.requestOne(3500)
	f.block(func() { f.commitResult(ws[0], jobID, "4") }) // 1 < quorum 2
	job := f.job(jobID)
	f.advanceTo(job.CommitEnd)
	job = f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FAILED, job.Status)
	require.Equal(t, job.CommitEnd, job.EndedHeight)
	require.Equal(t, "3500", f.balance(requester).String())
	require.Len(t, f.events("mesh.inference.v1.EventWorkerPenalized"), 2, "the two that never committed")
	require.Equal(t, uint32(5000), f.reputation(ws[0]), "the committer is not judged")
	require.Equal(t, uint32(4000), f.reputation(ws[1]))
}

// TestTwoOfThreeCommit: the third worker is silent; the two others reveal,
// agree and settle the job at once (every committed worker revealed).
func TestTwoOfThreeCommit(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester, jobID, ws := f.requestOne(3500)
	f.block(func() {
		f.commitResult(ws[0], jobID, "4")
		f.commitResult(ws[1], jobID, "4")
	})
	job := f.job(jobID)
	f.advanceTo(job.CommitEnd)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
	f.block(func() {
		f.revealResult(ws[1], jobID, "4")
		f.revealResult(ws[0], jobID, "4")
	})
	job = f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, int64(1402), job.Assignments[0].Paid.Amount.Int64(), "first committer")
	require.Equal(t, int64(1148), job.Assignments[1].Paid.Amount.Int64())
	require.Equal(t, uint32(4000), f.reputation(ws[2]), "silent")
	require.Equal(t, "500", f.balance(requester).String())
}

// TestLazyCommitClose: when the EndBlocker's batch is full, a job past its
// commit phase is closed by the first reveal instead.
func TestLazyCommitClose(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 7000)
	var a, b uint64
	f.block(func() {
		a = f.request(f.requestMsg(requester)).JobId
		b = f.request(f.requestMsg(requester)).JobId
	})
	f.block(func() { // both assigned in its BeginBlock
		for _, id := range []uint64{a, b} {
			ws := f.assigned(id)
			f.commitResult(ws[0], id, "4")
			f.commitResult(ws[1], id, "4")
		}
	})
	require.Equal(t, f.job(a).CommitEnd, f.job(b).CommitEnd)
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.MaxExpirationsPerBlock = 1
	require.NoError(t, f.k.Params.Set(f.ctx, params))
	f.advanceTo(f.job(a).CommitEnd)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(a).Status)
	require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(b).Status, "batch of 1: b waits")
	f.next()
	ws := f.assigned(b)
	f.revealResult(ws[0], b, "4")
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(b).Status)
	f.revealResult(ws[1], b, "4")
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(b).Status)
	f.endBlock()
}

// TestMassExpiry: 5,000 jobs expire in the same block. The EndBlocker ends
// at most max_expirations_per_block (100) per block, oldest first, and
// refunds every escrow exactly.
func TestMassExpiry(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 jobs")
	}
	const n = 5000
	f := newFixture(t, func(p *types.Params) {
		p.MaxOpenJobsPerWorker = n
		p.MinRedundancy = 1
		p.DefaultRedundancy = 1
		p.MaxExpirationsPerBlock = n // all assigned in one BeginBlock
	})
	for _, w := range f.addWorkers(4) {
		f.setVerifiedUnits(w.addr, n) // n concurrent jobs each
	}
	requester := addr("requester", 1)
	f.fund(requester, n*1000)
	msg := f.requestMsg(requester)
	msg.Redundancy, msg.MaxFee.Amount = 1, msg.MaxFee.Amount.SubRaw(2500) // 1000 each
	f.next()
	ids := make([]uint64, 0, n)
	for i := 0; i < n; i++ {
		res, err := f.msg.RequestInference(f.ctx, msg)
		require.NoError(t, err)
		ids = append(ids, res.JobId)
	}
	f.endBlock()
	require.Equal(t, "0", f.balance(requester).String())
	require.Equal(t, int64(n*1000), f.moduleBalance(types.ModuleName).Int64())
	f.next()
	f.beginBlock()
	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.MaxExpirationsPerBlock = 100
	require.NoError(t, f.k.Params.Set(f.ctx, params))
	for _, id := range ids {
		w := f.assigned(id)[0]
		_, err := f.msg.CommitResult(f.ctx, commitMsg(f, w, id, "4"))
		require.NoError(t, err)
	}
	f.endBlock()
	deadline := f.job(ids[0]).Deadline
	require.Equal(t, deadline, f.job(ids[n-1]).Deadline)
	f.advanceTo(deadline - 1)

	blocks := 0
	for f.moduleBalance(types.ModuleName).IsPositive() {
		f.block(nil)
		blocks++
		ended := len(f.events("mesh.inference.v1.EventJobSettled"))
		require.LessOrEqual(t, ended, 100)
		require.Positive(t, ended)
		require.Less(t, blocks, 100)
	}
	require.Equal(t, n/100, blocks)
	require.Equal(t, int64(n*1000), f.balance(requester).Int64(), "every escrow refunded")
	for _, id := range []uint64{ids[0], ids[n/2], ids[n-1]} {
		j := f.job(id)
		require.Equal(t, types.JOB_STATUS_EXPIRED, j.Status)
		require.Equal(t, "1000umesh", j.Refunded.String())
	}
	for i := 1; i <= 4; i++ {
		s, err := f.k.WorkerStats.Get(f.ctx, addr("worker", i))
		require.NoError(t, err)
		require.Equal(t, uint32(0), s.OpenJobs)
	}
}

// TestPrune: an ended job is deleted job_retention_blocks after it ended.
func TestPrune(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.JobRetentionBlocks = 5 })
	f.addWorkers(3)
	requester, jobID, _ := f.requestOne(3500)
	job := f.job(jobID)
	f.advanceTo(job.CommitEnd) // nobody commits: FAILED now
	ended := f.job(jobID).EndedHeight
	f.advanceTo(ended + 4)
	_, err := f.k.GetJob(f.ctx, jobID)
	require.NoError(t, err)
	f.block(nil)
	_, err = f.k.GetJob(f.ctx, jobID)
	require.ErrorIs(t, err, types.ErrJobNotFound)
	res, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Requester: f.bech(requester)})
	require.NoError(t, err)
	require.Empty(t, res.Jobs, "index entries pruned too")
	// Only params, the model, the job sequence and the worker stats remain.
	it := f.ctx.KVStore(f.keys[types.StoreKey]).Iterator(nil, nil)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		require.Contains(t, []byte{0, 1, 3, 11}, it.Key()[0], "key %x left", it.Key())
	}
}

// TestDeregisteredWorkerStillPaysItsPool: a worker that left x/compute before
// the settlement is still paid into the pool that backed it when it was drawn
// (and a liar would still be slashed there): leaving is not a way out.
func TestDeregisteredWorkerStillPaysItsPool(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester, jobID, ws := f.requestOne(3500)
	f.inBlock(f.commitResult, jobID, ws, "4")
	f.block(func() {
		_, err := f.compute.DeregisterWorker(f.ctx, ws[2], ws[2])
		require.NoError(t, err)
		for _, w := range ws {
			f.revealResult(w, jobID, "4")
		}
	})
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	// The provider recorded at assignment is paid even though the worker left.
	require.NotEmpty(t, job.Assignments[2].Provider)
	require.Equal(t, "807umesh", job.Assignments[2].Paid.String())
	require.Equal(t, "500umesh", job.Refunded.String(), "only the unspent part of max_fee")
	require.Equal(t, "500", f.balance(requester).String())
}

// TestBrokenJobSkipped: a job whose settlement and refund both fail (here a
// corrupted worker address; a refund refused to a corrupted requester goes
// to the treasury instead, see TestRefundRefusedGoesToTreasury) is re-queued
// with an event; the other jobs of the batch end normally and the block goes on.
func TestBrokenJobSkipped(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 7000)
	var broken, fine uint64
	f.block(func() {
		broken = f.request(f.requestMsg(requester)).JobId
		fine = f.request(f.requestMsg(requester)).JobId
	})
	f.block(func() {
		for _, id := range []uint64{broken, fine} {
			for _, w := range f.assigned(id) {
				f.commitResult(w, id, "4")
			}
		}
		j := f.job(broken)
		j.Assignments[0].Worker = "corrupted"
		require.NoError(t, f.k.Jobs.Set(f.ctx, broken, j))
	})
	deadline := f.job(fine).Deadline
	f.advanceTo(deadline)
	require.Len(t, f.events("mesh.inference.v1.EventJobSettlementFailed"), 2, "settlement, then the plain refund")
	require.Equal(t, types.JOB_STATUS_EXPIRED, f.job(fine).Status)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(broken).Status)
	has, err := f.k.DeadlineQueue.Has(f.ctx, collections.Join(deadline+10, broken))
	require.NoError(t, err)
	require.True(t, has, "re-queued reveal_blocks later")
	require.Equal(t, "3500", f.balance(requester).String())
}
