package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/poc"
	"github.com/llmesh/mesh/x/compute/types"
)

// Capacity-bound challenges (issue 17): m follows the claimed GOPS, and
// verified GOPS, units and trusted VRAM come only from a pass.

// registerSpec authorises and registers worker under provider with spec.
func (f *fixture) registerSpec(provider, worker sdk.AccAddress, spec types.HardwareSpec) {
	f.t.Helper()
	if !f.pool.pools[string(provider)] {
		f.addProvider(provider)
	}
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(provider), Worker: f.bech(worker)})
	require.NoError(f.t, err)
	msg := &types.MsgRegisterWorker{Worker: f.bech(worker), Provider: f.bech(provider), Spec: spec, Models: []string{"m1"}}
	require.NoError(f.t, msg.ValidateBasic())
	_, err = f.msg.RegisterWorker(f.ctx, msg)
	require.NoError(f.t, err)
}

func gpuSpec(gops uint64, units, vram uint32) types.HardwareSpec {
	return types.HardwareSpec{GpuModel: "H100", VramGb: vram, Int8Gops: gops, ComputeUnits: units}
}

// TestChallengeRowsFollowClaim: m is poc.ChallengeRows of the claimed GOPS
// (int8_gops, else int8_tops × 1000) under the epoch's snapshot, whatever
// the units; the commitment stores m and the claim.
func TestChallengeRowsFollowClaim(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	small, big, tops := addr("small", 1), addr("big", 1), addr("tops", 1)
	f.registerSpec(addr("prov", 1), small, gpuSpec(3, 5, 80))
	f.registerSpec(addr("prov", 2), big, gpuSpec(30, 5, 80)) // same units, 10× the claim
	f.registerSpec(addr("prov", 3), tops, types.HardwareSpec{GpuModel: "cpu", Int8Tops: 1, ComputeUnits: 1})
	f.nextEpoch()
	e := f.currentEpoch()
	require.Equal(t, uint32(1), e.PocTargetFractionBps)
	require.Equal(t, uint32(1), e.PocCommitSeconds)

	rows := func(w sdk.AccAddress) uint32 {
		res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(w)})
		require.NoError(t, err)
		return res.M
	}
	// 3 GOPS · 10^9 / 2 · 1 s · 1/10000 = 150,000 MACs over n·p = 128: 1172 rows.
	require.Equal(t, uint32(1172), rows(small))
	require.Equal(t, uint32(11719), rows(big))
	require.Equal(t, poc.ChallengeRows(1000, 1, 1, 16, 8), rows(tops), "int8_tops × 1000")

	p := &prover{addr: big}
	f.block(false, func() { require.NoError(t, p.commit(f)) })
	c, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(e.Number, big))
	require.NoError(t, err)
	require.Equal(t, uint32(11719), c.Rows)
	require.Equal(t, uint64(30), c.ClaimedGops)
}

// TestChallengeSnapshot: a param change never alters a running challenge;
// the next epoch takes it.
func TestChallengeSnapshot(t *testing.T) {
	f := newFixture(t, smallParams)
	w := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, w)
	before := testRows(f.params(), 2)
	params := f.params()
	params.PocTargetFractionBps, params.PocCommitSeconds, params.PocMopsPerUnit = 2, 3, 7
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
	res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(w.addr)})
	require.NoError(t, err)
	require.Equal(t, before, res.M, "running epoch keeps its snapshot")
	require.Equal(t, e, f.currentEpoch())

	f.nextEpoch()
	e = f.currentEpoch()
	require.Equal(t, []uint64{2, 3, 7}, []uint64{uint64(e.PocTargetFractionBps), uint64(e.PocCommitSeconds), e.PocMopsPerUnit})
	res, err = f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(w.addr)})
	require.NoError(t, err)
	require.Equal(t, poc.ChallengeRows(2, 2, 3, 16, 8), res.M)
	require.Equal(t, uint32(4688), res.M, "⌈2·10^9·3·2 / (2·10^4·128)⌉")
}

// TestVerifiedCapacityOnlyFromPass: a new worker has proven nothing; a pass
// sets verified_gops = min(ProvenGOPS(m), claim), verified_units =
// min(units, verified_gops / poc_mops_per_unit) and trusted_vram_gb =
// min(vram, verified_gops × vram_gb_per_verified_tops / 1000); an update
// only lowers them; a fraud or a miss zeroes them.
func TestVerifiedCapacityOnlyFromPass(t *testing.T) {
	f := newFixture(t, func(p *types.Params) {
		smallParams(p)
		p.PocMopsPerUnit = 4000
		p.VramGbPerVerifiedTops = 1000 // 1 GB per verified GOPS
	})
	f.block(true, nil)
	honest, capped, wrong := &prover{addr: addr("honest", 1)}, &prover{addr: addr("capped", 1)}, &prover{addr: addr("wrong", 1), correct: func(int) bool { return false }}
	f.registerSpec(addr("prov", 1), honest.addr, gpuSpec(10, 5, 80))  // 10/4 = 2 units, 10 GB
	f.registerSpec(addr("prov", 2), capped.addr, gpuSpec(100, 3, 24)) // 25 units → 3, 100 GB → 24
	f.registerSpec(addr("prov", 3), wrong.addr, gpuSpec(10, 5, 80))
	for _, p := range []*prover{honest, capped, wrong} {
		w := f.worker(p.addr)
		require.Zero(t, w.VerifiedGops+uint64(w.VerifiedUnits)+uint64(w.TrustedVramGb), "registration proves nothing")
	}
	f.nextEpoch()
	e := f.currentEpoch()
	f.block(false, func() {
		for _, p := range []*prover{honest, capped, wrong} {
			require.NoError(t, p.commit(f))
		}
	})
	f.at(e.CommitEnd+1, func() {
		honest.mustReveal(f, types.PROOF_OUTCOME_PASS)
		ev := f.events("mesh.compute.v1.EventPoCResult")
		require.Len(t, ev, 1)
		attrs := map[string]string{}
		for _, a := range ev[0].Attributes {
			attrs[a.Key] = a.Value
		}
		require.Equal(t, `"10"`, attrs["verified_gops"])
		require.Equal(t, "10", attrs["trusted_vram_gb"])
		capped.mustReveal(f, types.PROOF_OUTCOME_PASS)
		wrong.mustReveal(f, types.PROOF_OUTCOME_FRAUD)
	})
	h := f.worker(honest.addr)
	require.Equal(t, []uint64{10, 2, 10}, []uint64{h.VerifiedGops, uint64(h.VerifiedUnits), uint64(h.TrustedVramGb)})
	require.GreaterOrEqual(t, e.ProvenGOPS(testRowsFor(f, 10)), uint64(10), "the challenge proves at least the claim")
	c := f.worker(capped.addr)
	require.Equal(t, []uint64{100, 3, 24}, []uint64{c.VerifiedGops, uint64(c.VerifiedUnits), uint64(c.TrustedVramGb)})
	wr := f.worker(wrong.addr)
	require.Zero(t, wr.VerifiedGops+uint64(wr.VerifiedUnits)+uint64(wr.TrustedVramGb), "fraud proves nothing")

	// An update lowers, never raises, verified capacity.
	_, err := f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(honest.addr), Spec: gpuSpec(6, 1, 8), Models: []string{"m1"}})
	require.NoError(t, err)
	h = f.worker(honest.addr)
	require.Equal(t, []uint64{6, 1, 8}, []uint64{h.VerifiedGops, uint64(h.VerifiedUnits), uint64(h.TrustedVramGb)})
	_, err = f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(honest.addr), Spec: gpuSpec(1000, 9, 80), Models: []string{"m1"}})
	require.NoError(t, err)
	h = f.worker(honest.addr)
	require.Equal(t, []uint64{6, 1, 8}, []uint64{h.VerifiedGops, uint64(h.VerifiedUnits), uint64(h.TrustedVramGb)}, "a bigger claim is not verified by an update")

	// The capped worker stays silent next epoch: MISS zeroes everything.
	f.nextEpoch()
	f.advanceTo(f.currentEpoch().RevealEnd)
	c = f.worker(capped.addr)
	require.EqualValues(t, 1, c.Missed)
	require.Zero(t, c.VerifiedGops+uint64(c.VerifiedUnits)+uint64(c.TrustedVramGb), "a miss proves nothing")
}

// testRowsFor is m in the current epoch for a claim of gops.
func testRowsFor(f *fixture, gops uint64) uint32 {
	e := f.currentEpoch()
	return poc.ChallengeRows(gops, e.PocTargetFractionBps, e.PocCommitSeconds, e.PocDim, e.PocCols)
}

// timedProver is a worker whose hardware computes realGOPS: in a commit
// window of poc_commit_seconds it gets through at most
// ChallengeRows(realGOPS, 10000 bps, …) rows (the whole window at its real
// throughput). A challenge larger than that cannot be finished before the
// window closes: it commits nothing.
type timedProver struct {
	prover
	realGOPS uint64
}

func (p *timedProver) tryCommit(f *fixture) bool {
	f.t.Helper()
	res, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(p.addr)})
	require.NoError(f.t, err)
	e := f.currentEpoch()
	if res.M > poc.ChallengeRows(p.realGOPS, types.MaxTargetFractionBps, e.PocCommitSeconds, res.N, res.P) {
		return false // still proving when the window closes
	}
	require.NoError(f.t, p.commit(f))
	return true
}

// TestOverClaimMisses: two workers with the same 1 GOPS hardware; the
// honest one claims 1 GOPS, the other 10. With poc_target_fraction_bps =
// 2000 the honest challenge takes a fifth of the window and is committed
// and passed, with verified_gops = its claim; the over-claimer's takes
// twice the window, so it commits nothing, misses (verified 0) and is
// jailed after max_missed epochs by the existing rule.
func TestOverClaimMisses(t *testing.T) {
	f := newFixture(t, func(p *types.Params) {
		p.SampleRows, p.CommitWindow, p.RevealWindow = 8, 3, 3
		p.PocTargetFractionBps, p.PocCommitSeconds, p.PocMopsPerUnit = 2000, 1, 1000
		p.MaxMissed, p.MissedWindow = 2, 10
	})
	f.block(true, nil)
	honest := &timedProver{prover: prover{addr: addr("honest", 1)}, realGOPS: 1}
	liar := &timedProver{prover: prover{addr: addr("liar", 1)}, realGOPS: 1}
	f.registerSpec(addr("prov", 1), honest.addr, gpuSpec(1, 1, 80))
	f.registerSpec(addr("prov", 2), liar.addr, gpuSpec(10, 10, 80))
	for epoch := 0; epoch < 2; epoch++ {
		f.nextEpoch()
		e := f.currentEpoch()
		f.block(false, func() {
			require.True(t, honest.tryCommit(f), "the honest challenge fits the window")
			require.False(t, liar.tryCommit(f), "10× the claim cannot be proved in the window")
		})
		f.at(e.CommitEnd+1, func() { honest.mustReveal(f, types.PROOF_OUTCOME_PASS) })
		f.advanceTo(e.RevealEnd)
		h, l := f.worker(honest.addr), f.worker(liar.addr)
		require.Equal(t, uint64(1), h.VerifiedGops, "verified = the honest claim")
		require.Equal(t, uint32(1), h.VerifiedUnits)
		require.Zero(t, l.VerifiedGops+uint64(l.VerifiedUnits)+uint64(l.TrustedVramGb))
		require.EqualValues(t, epoch+1, l.Missed)
	}
	require.Equal(t, types.WORKER_STATUS_JAILED, f.worker(liar.addr).Status, "max_missed misses jail the over-claimer")
	require.Equal(t, types.WORKER_STATUS_ACTIVE, f.worker(honest.addr).Status)
	// The honest challenge is about ProvenGOPS = its claim (m rounded up).
	m := testRowsFor(f, 1)
	require.Equal(t, uint32(6104), m) // 1e8 MACs / 16384
	require.Equal(t, uint64(1), f.currentEpoch().ProvenGOPS(m))
}

// TestLegacyEpochKeepsRowsPerUnit: an epoch started before the v2 upgrade
// (no capacity snapshot) keeps m = units × poc_rows_per_unit and verified
// units = m / poc_rows_per_unit, proving no GOPS.
func TestLegacyEpochKeepsRowsPerUnit(t *testing.T) {
	f := newFixture(t, smallParams)
	p := &prover{addr: addr("work", 1)}
	e := startedEpoch(t, f, p)
	e.PocTargetFractionBps, e.PocCommitSeconds, e.PocMopsPerUnit = 0, 0, 0
	require.NoError(t, e.Validate())
	require.NoError(t, f.k.Epoch.Set(f.ctx, e))
	f.block(false, func() { require.NoError(t, p.commit(f)) })
	c, err := f.k.Commitments.Get(f.ctx, collectionsJoinEpoch(e.Number, p.addr))
	require.NoError(t, err)
	require.Equal(t, uint32(2*8), c.Rows)
	f.at(e.CommitEnd+1, func() { p.mustReveal(f, types.PROOF_OUTCOME_PASS) })
	w := f.worker(p.addr)
	require.Equal(t, uint32(2), w.VerifiedUnits)
	require.Zero(t, w.VerifiedGops+uint64(w.TrustedVramGb))
}

// TestMigrate1to2CapacityParams: the v2 migration gives the capacity params
// their defaults (a v1 chain has zeros, which Validate refuses) and leaves
// workers' verified GOPS at 0.
func TestMigrate1to2CapacityParams(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	f.register(addr("prov", 1), addr("work", 1), 2)
	v1 := f.params()
	v1.PocTargetFractionBps, v1.PocCommitSeconds, v1.PocMopsPerUnit, v1.VramGbPerVerifiedTops = 0, 0, 0, 0
	require.Error(t, v1.Validate())
	require.NoError(t, f.k.Params.Set(f.ctx, v1))
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))
	got, d := f.params(), types.DefaultParams()
	require.NoError(t, got.Validate())
	require.Equal(t, []uint64{uint64(d.PocTargetFractionBps), uint64(d.PocCommitSeconds), d.PocMopsPerUnit, uint64(d.VramGbPerVerifiedTops)},
		[]uint64{uint64(got.PocTargetFractionBps), uint64(got.PocCommitSeconds), got.PocMopsPerUnit, uint64(got.VramGbPerVerifiedTops)})
	require.Equal(t, []uint64{5000, 50, 1_000_000, 1},
		[]uint64{uint64(got.PocTargetFractionBps), uint64(got.PocCommitSeconds), got.PocMopsPerUnit, uint64(got.VramGbPerVerifiedTops)})
	w := f.worker(addr("work", 1))
	require.Zero(t, w.VerifiedGops+uint64(w.TrustedVramGb))
}

// TestClaimChangeBeforeReveal: a pass verifies at most the claim at commit
// (a bigger claim sent before the reveal is not verified by the smaller
// challenge) and at most the claim at reveal (a smaller one sent after the
// commit caps it).
func TestClaimChangeBeforeReveal(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	up, down := &prover{addr: addr("up", 1)}, &prover{addr: addr("down", 1)}
	f.registerSpec(addr("prov", 1), up.addr, gpuSpec(10, 10, 80))
	f.registerSpec(addr("prov", 2), down.addr, gpuSpec(10, 10, 80))
	f.nextEpoch()
	e := f.currentEpoch()
	f.block(false, func() {
		require.NoError(t, up.commit(f))
		require.NoError(t, down.commit(f))
	})
	for w, gops := range map[*prover]uint64{up: 100, down: 6} {
		_, err := f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(w.addr), Spec: gpuSpec(gops, 10, 80), Models: []string{"m1"}})
		require.NoError(t, err)
	}
	f.at(e.CommitEnd+1, func() {
		up.mustReveal(f, types.PROOF_OUTCOME_PASS)
		down.mustReveal(f, types.PROOF_OUTCOME_PASS)
	})
	require.Equal(t, uint64(10), f.worker(up.addr).VerifiedGops, "the claim at commit")
	require.Equal(t, uint64(6), f.worker(down.addr).VerifiedGops, "the claim now")
	require.Equal(t, uint32(6), f.worker(down.addr).VerifiedUnits)
}
