package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// answerPoints is the call AddPoints gets for one agreed answer.
func answerPoints(provider sdk.AccAddress, latency uint64, qualityBps uint32) pointsCall {
	return pointsCall{
		rewardstypes.CategoryInference, string(provider), types.RewardPointsPerAnswer,
		measures(rewardstypes.WithLatency(latency), rewardstypes.WithQuality(qualityBps)),
	}
}

// TestAgreedAnswersCreditProviders: each agreeing worker's provider is
// credited once, measured by its commit latency and the share of revealed
// answers that agreed (2 of 3: ⌊20000 / 3⌋ = 6666); the outlier's provider
// and the workers themselves get nothing.
func TestAgreedAnswersCreditProviders(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	_, jobID, ws := f.requestOne(3500)
	created := f.height()
	f.block(func() { f.commitResult(ws[1], jobID, "4") }) // latency 1
	f.block(nil)
	f.block(func() { // latency 3
		f.commitResult(ws[0], jobID, "4")
		f.commitResult(ws[2], jobID, "5")
	})
	require.Empty(t, f.rewards.calls, "nothing before settlement")
	f.block(func() {
		for i, out := range []string{"4", "4", "5"} {
			f.revealResult(ws[i], jobID, out)
		}
		require.Len(t, f.events(fakePointsEvent), 2)
	})
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, created+3, job.Assignments[0].CommitHeight)
	require.Equal(t, created+1, job.Assignments[1].CommitHeight)

	require.Equal(t, []pointsCall{
		answerPoints(f.providerOf(ws[0]), 3, 6666),
		answerPoints(f.providerOf(ws[1]), 1, 6666),
	}, f.rewards.calls)
	for i, want := range []uint64{types.RewardPointsPerAnswer, types.RewardPointsPerAnswer, 0} {
		require.Equal(t, want, f.rewards.credited(f.ctx, rewardstypes.CategoryInference, f.providerOf(ws[i])), "provider %d", i)
		require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryInference, ws[i]), "worker %d", i)
	}
}

// TestSilentWorkerNotCredited: a worker that commits but never reveals is
// silent: the job settles at its deadline (in the EndBlocker), the two
// agreeing providers are credited with quality 2 of 2 revealed = 10000, and
// a second job credits the same providers again.
func TestSilentWorkerNotCredited(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester, jobID, ws := f.requestOne(7000)
	f.inBlock(f.commitResult, jobID, ws, "4")
	f.block(func() {
		f.revealResult(ws[0], jobID, "4")
		f.revealResult(ws[2], jobID, "4")
	})
	require.Empty(t, f.rewards.calls, "ws[1] may still reveal")
	f.advanceTo(f.job(jobID).Deadline)
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, []pointsCall{
		answerPoints(f.providerOf(ws[0]), 1, 10_000),
		answerPoints(f.providerOf(ws[2]), 1, 10_000),
	}, f.rewards.calls)

	// Same workers (one seat per provider, three providers), all agreeing.
	f.rewards.calls = nil
	var second uint64
	f.block(func() { second = f.request(f.requestMsg(requester)).JobId })
	f.block(nil) // assigned
	ws2 := f.assigned(second)
	f.inBlock(f.commitResult, second, ws2, "4")
	f.inBlock(f.revealResult, second, ws2, "4")
	require.Len(t, f.rewards.calls, 3)
	for i, w := range ws2 {
		require.Equal(t, answerPoints(f.providerOf(w), 1, 10_000), f.rewards.calls[i])
	}
	for _, w := range ws {
		want := 2 * types.RewardPointsPerAnswer
		if w.Equals(ws[1]) {
			want = types.RewardPointsPerAnswer
		}
		require.Equal(t, want, f.rewards.credited(f.ctx, rewardstypes.CategoryInference, f.providerOf(w)))
	}
}

// TestMedianQuality: in MEDIAN mode the quality counts every revealed
// answer, readable or not.
func TestMedianQuality(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 3500)
	msg := f.requestMsg(requester)
	msg.Mode, msg.Tolerance = types.CONSENSUS_MODE_MEDIAN, 5
	var jobID uint64
	f.block(func() { jobID = f.request(msg).JobId })
	f.block(nil) // assigned
	ws := f.assigned(jobID)
	answers := []string{"100", "103", "not a number"}
	f.inBlock(f.commitResult, jobID, ws, answers...)
	f.inBlock(f.revealResult, jobID, ws, answers...)
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(jobID).Status)
	require.Equal(t, []pointsCall{
		answerPoints(f.providerOf(ws[0]), 1, 6666),
		answerPoints(f.providerOf(ws[1]), 1, 6666),
	}, f.rewards.calls)
}

// TestNoQuorumCreditsNothing: a failed job (no quorum among the reveals) and
// an expired one (nobody revealed) record no points.
func TestNoQuorumCreditsNothing(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	requester := addr("requester", 1)
	f.fund(requester, 7000)
	var failed, expired uint64
	f.block(func() {
		failed = f.request(f.requestMsg(requester)).JobId
		expired = f.request(f.requestMsg(requester)).JobId
	})
	answers := []string{"3", "4", "5"}
	f.block(func() {
		for i, w := range f.assigned(failed) {
			f.commitResult(w, failed, answers[i])
		}
		for _, w := range f.assigned(expired) {
			f.commitResult(w, expired, "4")
		}
	})
	f.block(func() {
		for i, w := range f.assigned(failed) {
			f.revealResult(w, failed, answers[i])
		}
	})
	f.advanceTo(f.job(expired).Deadline)
	require.Equal(t, types.JOB_STATUS_FAILED, f.job(failed).Status)
	require.Equal(t, types.JOB_STATUS_EXPIRED, f.job(expired).Status)
	require.Empty(t, f.rewards.calls)
	require.Equal(t, "7000", f.balance(requester).String())
}

// TestPointsFailureKeepsSettlement: when x/rewards fails, its writes and
// events are dropped and the settlement (payouts, burn, protocol fee,
// refund, reputation) is exactly the one without the failure.
func TestPointsFailureKeepsSettlement(t *testing.T) {
	type outcome struct {
		paid                       []string
		refunded, burned, protocol string
		requester, pools           string
		reputation                 []uint32
	}
	run := func(fail bool) (outcome, *fixture, []sdk.AccAddress) {
		f := newFixture(t, nil)
		f.addWorkers(3)
		requester := addr("requester", 1)
		f.fund(requester, 3500)
		f.rewards.fail = fail
		var jobID uint64
		f.block(func() { jobID = f.request(f.requestMsg(requester)).JobId })
		f.block(nil) // assigned
		ws := f.assigned(jobID)
		answers := []string{"4", "4", "5"}
		f.inBlock(f.commitResult, jobID, ws, answers...)
		f.block(func() {
			for i, w := range ws {
				f.revealResult(w, jobID, answers[i])
			}
			require.Len(t, f.events("mesh.inference.v1.EventJobSettled"), 1)
		})
		job := f.job(jobID)
		require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
		o := outcome{
			refunded: job.Refunded.String(), burned: job.Burned.String(), protocol: job.ProtocolFee.String(),
			requester: f.balance(requester).String(), pools: f.moduleBalance("pool").String(),
		}
		for i, a := range job.Assignments {
			o.paid = append(o.paid, a.Paid.String())
			o.reputation = append(o.reputation, f.reputation(ws[i]))
		}
		return o, f, ws
	}

	want, _, _ := run(false)
	// Pools: 3 × 1,000,000 self-bond + 2550 paid − 10,000 slashed from the liar.
	require.Equal(t, outcome{
		paid:     []string{"1402umesh", "1148umesh", "0umesh"},
		refunded: "500umesh", burned: "150umesh", protocol: "300umesh",
		requester: "500", pools: "2992550",
		reputation: []uint32{6000, 6000, 4000},
	}, want)
	got, f, ws := run(true)
	require.Equal(t, want, got)
	require.Len(t, f.rewards.calls, 2, "both credits attempted")
	require.Empty(t, f.events(fakePointsEvent), "the failed calls' events are dropped")
	for _, w := range ws {
		require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryInference, f.providerOf(w)), "the failed calls' writes are dropped")
	}
}

// TestAnswerCarriesPassStreak: an agreed answer's points carry the answering
// worker's run of passed PoC epochs, for x/rewards' stability bonus.
func TestAnswerCarriesPassStreak(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	_, jobID, ws := f.requestOne(3500)
	w, err := f.compute.GetWorker(f.ctx, ws[0])
	require.NoError(t, err)
	w.PassStreak = 7
	require.NoError(t, f.compute.Workers.Set(f.ctx, ws[0], w))
	f.block(func() {
		for _, a := range ws {
			f.commitResult(a, jobID, "4")
		}
	})
	f.block(func() {
		for _, a := range ws {
			f.revealResult(a, jobID, "4")
		}
	})
	require.Equal(t, types.JOB_STATUS_FINALIZED, f.job(jobID).Status)
	streaks := map[string]uint64{}
	for _, c := range f.rewards.calls {
		streaks[c.account] = c.measures.PassStreak
	}
	require.Equal(t, map[string]uint64{string(f.providerOf(ws[0])): 7, string(f.providerOf(ws[1])): 0, string(f.providerOf(ws[2])): 0}, streaks)
}
