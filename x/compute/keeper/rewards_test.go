package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/llmesh/mesh/x/compute"
	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// pocPoints is what a passed proof of units verified units earns its provider.
func pocPoints(units uint64) uint64 { return units * types.RewardPointsPerUnit }

// TestPassCreditsProviderPoints: each passed proof credits the worker's
// provider (never the worker) units × 1000 PoC points, measured by the
// worker's reputation after the pass.
func TestPassCreditsProviderPoints(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	small, big := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}
	provSmall, provBig := addr("prov", 1), addr("prov", 2)
	f.register(provSmall, small.addr, 1)
	f.register(provBig, big.addr, 3)
	alpha := f.params().ReputationAlphaBps

	rep := uint32(types.InitialReputationBps)
	for epoch := 1; epoch <= 2; epoch++ {
		f.nextEpoch()
		e := f.currentEpoch()
		f.block(false, func() {
			require.NoError(t, small.commit(f))
			require.NoError(t, big.commit(f))
		})
		calls0 := len(f.rewards.calls)
		f.at(e.CommitEnd+1, func() {
			for _, p := range []*prover{small, big} {
				p.mustReveal(f, types.PROOF_OUTCOME_PASS)
			}
			require.Len(t, f.events(fakePointsEvent), 2, "the credits' writes and events are kept")
		})
		rep = keeper.NextReputation(rep, alpha, types.MaxReputationBps)
		require.Equal(t, rep, f.worker(small.addr).ReputationBps)
		require.Equal(t, []pointsCall{
			{rewardstypes.CategoryPoC, string(provSmall), pocPoints(1), measures(rewardstypes.WithQuality(rep), rewardstypes.WithPassStreak(uint64(epoch)))},
			{rewardstypes.CategoryPoC, string(provBig), pocPoints(3), measures(rewardstypes.WithQuality(rep), rewardstypes.WithPassStreak(uint64(epoch)))},
		}, f.rewards.calls[calls0:], "epoch %d", e.Number)
		require.Equal(t, uint64(epoch), f.worker(small.addr).PassStreak, "a run of %d passed epochs", epoch)
	}
	require.Equal(t, uint32(6800), rep, "5000 → 6000 → 6800")
	require.Equal(t, 2*pocPoints(1), f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, provSmall))
	require.Equal(t, 2*pocPoints(3), f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, provBig))
	require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, small.addr), "the worker earns nothing itself")
	require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, big.addr))
}

// TestFraudAndMissCreditNoPoints: a wrong proof, an unrevealed commitment
// and no commitment at all earn no points.
func TestFraudAndMissCreditNoPoints(t *testing.T) {
	f := newFixture(t, smallParams)
	wrong := &prover{addr: addr("work", 1), correct: func(int) bool { return false }}
	withheld, silent := &prover{addr: addr("work", 2)}, &prover{addr: addr("work", 3)}
	e := startedEpoch(t, f, wrong, withheld, silent)
	f.block(false, func() {
		require.NoError(t, wrong.commit(f))
		require.NoError(t, withheld.commit(f))
	})
	f.at(e.CommitEnd+1, func() {
		wrong.mustReveal(f, types.PROOF_OUTCOME_FRAUD)
	})
	f.advanceTo(e.RevealEnd)
	require.True(t, f.currentEpoch().Settled)
	require.Equal(t, uint64(1), f.worker(wrong.addr).Frauds)
	require.Equal(t, uint64(1), f.worker(withheld.addr).Missed)
	require.Equal(t, uint64(1), f.worker(silent.addr).Missed)
	for _, p := range []*prover{wrong, withheld, silent} {
		require.Zero(t, f.worker(p.addr).PassStreak)
	}

	require.Empty(t, f.rewards.calls)
	for i := range 3 {
		require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, addr("prov", i)))
	}
}

// TestPointsFailureKeepsPass: when x/rewards fails or panics, whatever it
// wrote is dropped and the reveal still passes with the worker credited.
// Running out of gas is not swallowed: the transaction fails as it should.
func TestPointsFailureKeepsPass(t *testing.T) {
	for name, breakIt := range map[string]func(*fakeRewards){
		"error": func(r *fakeRewards) { r.fail = true },
		"panic": func(r *fakeRewards) { r.panicWith = "rewards bug" },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, smallParams)
			honest := &prover{addr: addr("work", 1)}
			e := startedEpoch(t, f, honest)
			f.block(false, func() { require.NoError(t, honest.commit(f)) })
			breakIt(f.rewards)
			f.at(e.CommitEnd+1, func() {
				honest.mustReveal(f, types.PROOF_OUTCOME_PASS)
				require.Len(t, f.events("mesh.compute.v1.EventPoCResult"), 1)
				require.Empty(t, f.events(fakePointsEvent), "the failed call's events are dropped")
			})
			require.Equal(t, []pointsCall{
				{rewardstypes.CategoryPoC, string(addr("prov", 0)), pocPoints(2), measures(rewardstypes.WithQuality(6000), rewardstypes.WithPassStreak(1))},
			}, f.rewards.calls, "attempted once")
			require.Zero(t, f.rewards.credited(f.ctx, rewardstypes.CategoryPoC, addr("prov", 0)), "the failed call's writes are dropped")

			w := f.worker(honest.addr)
			require.Equal(t, uint32(2), w.VerifiedUnits)
			require.Equal(t, uint64(1), w.Passed)
			require.Equal(t, e.Number, w.LastPassedEpoch)
			require.Equal(t, uint32(6000), w.ReputationBps)
			c, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(e.Number, honest.addr))
			require.NoError(t, err)
			require.Equal(t, types.PROOF_OUTCOME_PASS, c.Outcome)
			f.advanceTo(e.RevealEnd)
			require.Zero(t, f.worker(honest.addr).Missed)
		})
	}

	t.Run("out of gas", func(t *testing.T) {
		f := newFixture(t, smallParams)
		honest := &prover{addr: addr("work", 1)}
		e := startedEpoch(t, f, honest)
		f.block(false, func() { require.NoError(t, honest.commit(f)) })
		oog := storetypes.ErrorOutOfGas{Descriptor: "rewards"}
		f.rewards.panicWith = oog
		f.at(e.CommitEnd+1, func() {
			require.PanicsWithValue(t, oog, func() { _, _ = f.msg.RevealPoC(f.ctx, honest.revealMsg(f)) })
		})
	})
}

// TestNilRewardsKeeper: a keeper built without x/rewards records no points.
func TestNilRewardsKeeper(t *testing.T) {
	f := newFixture(t, smallParams)
	enc := moduletestutil.MakeTestEncodingConfig(compute.AppModule{})
	f.k = keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(f.key), f.ak, f.pool, nil, f.epochs, f.authority)
	f.msg, f.q = keeper.NewMsgServerImpl(f.k), keeper.NewQuerier(f.k)
	honest := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, honest)
	f.block(false, func() { require.NoError(t, honest.commit(f)) })
	f.at(e.CommitEnd+1, func() {
		honest.mustReveal(f, types.PROOF_OUTCOME_PASS)
	})
	require.Equal(t, uint32(2), f.worker(honest.addr).VerifiedUnits)
	require.Empty(t, f.rewards.calls)
}

// TestPassStreakResetsOnMiss: each passed epoch extends the worker's run
// (x/rewards' stability bonus grows with it); a missed epoch starts it again.
func TestPassStreakResetsOnMiss(t *testing.T) {
	f := newFixture(t, smallParams)
	p := &prover{addr: addr("work", 1)}
	pass := func(e types.EpochInfo) {
		f.block(false, func() { require.NoError(t, p.commit(f)) })
		f.at(e.CommitEnd+1, func() { p.mustReveal(f, types.PROOF_OUTCOME_PASS) })
		f.advanceTo(e.RevealEnd)
	}
	pass(startedEpoch(t, f, p))
	f.nextEpoch()
	pass(f.currentEpoch())
	require.Equal(t, uint64(2), f.worker(p.addr).PassStreak)

	f.nextEpoch()
	f.advanceTo(f.currentEpoch().RevealEnd) // no commit: a miss
	require.Equal(t, uint64(1), f.worker(p.addr).Missed)
	require.Zero(t, f.worker(p.addr).PassStreak)

	f.nextEpoch()
	pass(f.currentEpoch())
	require.Equal(t, uint64(1), f.worker(p.addr).PassStreak)
	last := f.rewards.calls[len(f.rewards.calls)-1]
	require.Equal(t, measures(rewardstypes.WithQuality(f.worker(p.addr).ReputationBps), rewardstypes.WithPassStreak(1)), last.measures)
}
