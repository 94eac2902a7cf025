package keeper_test

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestLifecycleExact runs request → assignment → commits → reveals →
// settlement with three honest workers and checks every balance to the unit.
//
// price 1000, r = 3 → fee F = 3000, max_fee 3500:
// burned 150 (5 %), workers ⌊3000 × 85 %⌋ = 2550, protocol 3000 − 150 − 2550 = 300;
// fastest ⌊2550 × 1.1 / 3⌋ = 935, others ⌊(2550 − 935) / 2⌋ = 807 each, dust 1 → protocol 301;
// refund 500.
func TestLifecycleExact(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	supply0 := f.supply()
	poolModule0 := f.moduleBalance("pool")

	var jobID uint64
	f.block(func() {
		res := f.request(f.requestMsg(requester))
		jobID = res.JobId
		require.Equal(t, uint64(1), jobID)
		require.Empty(t, res.Workers, "queued: drawn in a later block")
		require.Len(t, f.events("mesh.inference.v1.EventInferenceRequested"), 1)
		require.Len(t, f.events("mesh.inference.v1.EventJobQueued"), 1)
		require.Empty(t, f.events("mesh.inference.v1.EventJobAssigned"))
	})
	created := f.height()
	require.Equal(t, types.JOB_STATUS_QUEUED, f.job(jobID).Status)
	f.block(nil) // its BeginBlocker assigns the job
	require.Len(t, f.events("mesh.inference.v1.EventJobAssigned"), 3)
	require.Equal(t, "6500", f.balance(requester).String())
	require.Equal(t, "3500", f.moduleBalance(types.ModuleName).String())
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_COMMITTING, job.Status)
	require.Equal(t, created+1, job.AssignedHeight)
	// The deadline counts from the first block that may assign the job:
	// assigned then, it has the full commit_blocks 10 and reveal_blocks 10.
	require.Equal(t, created+1+10, job.CommitEnd)
	require.Equal(t, created+1+20, job.Deadline)
	require.Equal(t, "3000umesh", job.Fee.String())
	require.Equal(t, types.Digest([]byte("2+2?")), job.InputDigest)
	ws := f.assigned(jobID)
	for _, w := range ws {
		s, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: f.bech(w)})
		require.NoError(t, err)
		require.Equal(t, uint32(1), s.Stats.OpenJobs)
	}

	// ws[1] commits first: it earns the speed bonus.
	f.block(func() {
		f.commitResult(ws[1], jobID, "4")
		f.commitResult(ws[0], jobID, "4")
		require.Equal(t, types.JOB_STATUS_COMMITTING, f.job(jobID).Status)
		f.commitResult(ws[2], jobID, "4")
		require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status, "all committed: reveals open at once")
		require.Len(t, f.events("mesh.inference.v1.EventResultCommitted"), 3)
	})
	f.block(func() {
		f.revealResult(ws[0], jobID, "4")
		f.revealResult(ws[2], jobID, "4")
		require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
		f.revealResult(ws[1], jobID, "4")

		settled := f.events("mesh.inference.v1.EventJobSettled")
		require.Len(t, settled, 1)
		require.Equal(t, "JOB_STATUS_FINALIZED", attr(settled[0], "status"))
		require.Equal(t, "2549umesh", attr(settled[0], "paid"))
		require.Equal(t, "150umesh", attr(settled[0], "burned"))
		require.Equal(t, "301umesh", attr(settled[0], "protocol_fee"))
		require.Equal(t, "500umesh", attr(settled[0], "refunded"))
		require.Equal(t, hex.EncodeToString(types.Digest([]byte("4"))), attr(settled[0], "result_digest"))
		require.Len(t, f.events("mesh.inference.v1.EventResultRevealed"), 3)
		require.Empty(t, f.events("mesh.inference.v1.EventWorkerPenalized"))
	})

	job = f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, []byte("4"), job.Result)
	require.Equal(t, f.height(), job.EndedHeight)
	require.Equal(t, "500umesh", job.Refunded.String())
	require.Equal(t, "150umesh", job.Burned.String())
	require.Equal(t, "301umesh", job.ProtocolFee.String())
	wantPaid := []int64{807, 935, 807}
	for i, a := range job.Assignments {
		require.True(t, a.Agreed)
		require.Equal(t, sdk.NewInt64Coin(denom, wantPaid[i]), a.Paid, "worker %d", i)
	}
	require.Equal(t, uint32(2), job.Assignments[0].CommitOrder)
	require.Equal(t, uint32(1), job.Assignments[1].CommitOrder)

	// Balances, exact to the unit.
	require.Equal(t, "7000", f.balance(requester).String(), "paid 3000, refunded 500")
	require.Equal(t, "0", f.moduleBalance(types.ModuleName).String())
	require.Equal(t, "301", f.moduleBalance(types.ProtocolFeeAccount).String())
	require.Equal(t, supply0.SubRaw(150).String(), f.supply().String(), "150 burned")
	require.Equal(t, poolModule0.AddRaw(2549).String(), f.moduleBalance("pool").String())
	// Each provider's pool: 10 % commission, the rest to its delegators' index.
	for i, w := range ws {
		p := f.providerOf(w)
		require.Equal(t, math.LegacyNewDec(wantPaid[i]).QuoInt64(10).String(), f.poolCommission(p).String(), "pool %d", i)
	}

	// Reputation up, stats recorded, the worker queues empty.
	for _, w := range ws {
		require.Equal(t, uint32(6000), f.reputation(w))
		s, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: f.bech(w)})
		require.NoError(t, err)
		require.Equal(t, types.WorkerStats{
			Worker: f.bech(w), JobsServed: 1, JobsAgreed: 1, TotalLatencyBlocks: 1, RecentLatencyBlocks: []int64{1},
		}, s.Stats)
		require.Equal(t, uint32(10_000), s.AgreementRateBps)
		require.Equal(t, int64(1), s.MedianLatencyBlocks)
		open, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: f.bech(w), OpenOnly: true})
		require.NoError(t, err)
		require.Empty(t, open.Jobs)
		all, err := f.q.Jobs(f.ctx, &types.QueryJobsRequest{Worker: f.bech(w)})
		require.NoError(t, err)
		require.Len(t, all.Jobs, 1)
	}
	f.block(nil) // nothing left for the EndBlocker
	f.advanceTo(job.Deadline + 1)
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(jobID).Status)
}

// providerOf returns a worker's provider from x/compute.
func (f *fixture) providerOf(w sdk.AccAddress) sdk.AccAddress {
	cw, err := f.compute.GetWorker(f.ctx, w)
	require.NoError(f.t, err)
	p, err := f.ac.StringToBytes(cw.Provider)
	require.NoError(f.t, err)
	return p
}

// TestLiarOneOfThree: one of three workers reveals a different answer. The
// two agreeing workers are paid (the earlier committer with the bonus), the
// liar loses reputation and, the model being deterministic, its pool is
// slashed liar_slash_fraction (1 %) at its reveal height.
func TestLiarOneOfThree(t *testing.T) {
	for _, deterministic := range []bool{true, false} {
		t.Run(map[bool]string{true: "deterministic", false: "non-deterministic"}[deterministic], func(t *testing.T) {
			f := newFixture(t, nil)
			if !deterministic {
				m := testModel(modelID, false)
				require.NoError(t, f.k.UpdateModel(f.ctx, f.authority, m))
			}
			f.addWorkers(3)
			requester := addr("requester", 1)
			f.fund(requester, 3500)
			supply0 := f.supply()

			var jobID uint64
			f.block(func() { jobID = f.request(f.requestMsg(requester)).JobId })
			f.block(nil) // assigned
			ws := f.assigned(jobID)
			liar := ws[2]
			liarPool := f.providerOf(liar)
			tokens0 := f.poolTokens(liarPool)
			f.block(func() {
				f.commitResult(ws[0], jobID, "4")
				f.commitResult(liar, jobID, "5")
				f.commitResult(ws[1], jobID, "4")
			})
			revealHeight := f.height() + 1
			f.block(func() {
				f.revealResult(liar, jobID, "5")
				f.revealResult(ws[0], jobID, "4")
				f.revealResult(ws[1], jobID, "4")
				pen := f.events("mesh.inference.v1.EventWorkerPenalized")
				require.Len(t, pen, 1)
				require.Equal(t, "outlier", attr(pen[0], "reason"))
				require.Equal(t, f.bech(liar), attr(pen[0], "worker"))
				if deterministic {
					require.Equal(t, "10000", attr(pen[0], "slashed"))
					require.Len(t, f.events("mesh.pool.v1.EventSlashed"), 1)
				} else {
					require.Equal(t, "0", attr(pen[0], "slashed"))
				}
			})
			require.Equal(t, revealHeight, f.height())

			job := f.job(jobID)
			require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
			// 2 agreeing: fastest ⌊2550 × 1.1 / 2⌋ = 1402, other 1148, dust 0.
			require.Equal(t, int64(1402), job.Assignments[0].Paid.Amount.Int64())
			require.Equal(t, int64(1148), job.Assignments[1].Paid.Amount.Int64())
			require.True(t, job.Assignments[2].Paid.IsZero())
			require.False(t, job.Assignments[2].Agreed)
			require.Equal(t, "500", f.balance(requester).String())
			require.Equal(t, "300", f.moduleBalance(types.ProtocolFeeAccount).String())

			require.Equal(t, uint32(6000), f.reputation(ws[0]))
			require.Equal(t, uint32(4000), f.reputation(liar))
			slashed := int64(0)
			if deterministic {
				slashed = selfBond / 100
			}
			require.Equal(t, tokens0.SubRaw(slashed).String(), f.poolTokens(liarPool).String())
			require.Equal(t, supply0.SubRaw(150+slashed).String(), f.supply().String(), "fee burn + slash burn")

			s, err := f.q.WorkerStats(f.ctx, &types.QueryWorkerStatsRequest{Worker: f.bech(liar)})
			require.NoError(t, err)
			require.Equal(t, uint64(1), s.Stats.JobsServed)
			require.Equal(t, uint64(0), s.Stats.JobsAgreed)
			require.Equal(t, uint32(0), s.AgreementRateBps)
		})
	}
}

// TestCollusionTrustLimit documents the protocol's trust limit: a
// colluding ⌈2r/3⌉ majority decides the result. Two workers that agree on
// a wrong answer outvote the honest third, who is treated as the outlier.
func TestCollusionTrustLimit(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	_, jobID, ws := f.requestOne(3500)
	honest := ws[0]
	honestPool := f.providerOf(honest)
	tokens0 := f.poolTokens(honestPool)
	f.block(func() {
		f.commitResult(honest, jobID, "4")
		f.commitResult(ws[1], jobID, "1337")
		f.commitResult(ws[2], jobID, "1337")
	})
	f.block(func() {
		f.revealResult(honest, jobID, "4")
		f.revealResult(ws[1], jobID, "1337")
		f.revealResult(ws[2], jobID, "1337")
	})
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, []byte("1337"), job.Result, "the colluding pair decides")
	require.False(t, job.Assignments[0].Agreed)
	require.True(t, job.Assignments[1].Agreed && job.Assignments[2].Agreed)
	require.Equal(t, tokens0.SubRaw(selfBond/100).String(), f.poolTokens(honestPool).String(), "the honest worker is slashed as the outlier")
}

// TestMedian: numeric answers within the tolerance of the (lower) median agree.
func TestMedian(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 7000)
	msg := f.requestMsg(requester)
	msg.Mode, msg.Tolerance = types.CONSENSUS_MODE_MEDIAN, 5

	var ok, failed uint64
	f.block(func() {
		ok = f.request(msg).JobId
		failed = f.request(msg).JobId
	})
	answers := map[uint64][]string{ok: {"100", "103", "250"}, failed: {"100", "200", "-300"}}
	f.block(func() {
		for _, id := range []uint64{ok, failed} {
			for i, w := range f.assigned(id) {
				f.commitResult(w, id, answers[id][i])
			}
		}
	})
	f.block(func() {
		for _, id := range []uint64{ok, failed} {
			for i, w := range f.assigned(id) {
				f.revealResult(w, id, answers[id][i])
			}
		}
	})
	job := f.job(ok)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, []byte("103"), job.Result)
	require.Equal(t, types.Digest([]byte("103")), job.ResultDigest)
	require.Equal(t, []bool{true, true, false}, []bool{job.Assignments[0].Agreed, job.Assignments[1].Agreed, job.Assignments[2].Agreed})

	job = f.job(failed)
	require.Equal(t, types.JOB_STATUS_FAILED, job.Status, "100, 200, −300: no two within 5")
	require.Equal(t, "3500umesh", job.Refunded.String())
	require.Equal(t, "4000", f.balance(requester).String(), "7000 − 3000 charged for one job; the other refunded in full")
}

// TestURIOutputs: outputs too large for the chain are revealed by digest and
// URI and compared by digest; the result carries the digest only.
func TestURIOutputs(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	_, jobID, ws := f.requestOne(3500)
	digest := types.Digest([]byte("a 10 MB answer"))
	f.block(func() {
		for _, w := range ws {
			_, err := f.msg.CommitResult(f.ctx, &types.MsgCommitResult{
				Worker: f.bech(w), JobId: jobID, Commitment: types.Commitment(jobID, w, digest, salt(w)),
			})
			require.NoError(t, err)
		}
	})
	f.block(func() {
		for _, w := range ws {
			_, err := f.msg.RevealResult(f.ctx, &types.MsgRevealResult{
				Worker: f.bech(w), JobId: jobID, OutputDigest: digest, OutputUri: "ipfs://answer-" + f.bech(w)[:12], Salt: salt(w),
			})
			require.NoError(t, err)
		}
	})
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, digest, job.ResultDigest)
	require.Empty(t, job.Result)
	require.Equal(t, "ipfs://answer-"+f.bech(ws[0])[:12], job.Assignments[0].OutputUri)
}
