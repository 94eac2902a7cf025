package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/types"
)

// TestEligibility: only ACTIVE workers serving the model, with enough VRAM,
// whose pool is eligible (unjailed, self-stake at its minimum), under the
// open-job cap get jobs. Weight = self-stake × reputation × max(verified, 1).
func TestEligibility(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.MaxOpenJobsPerWorker, p.MinRedundancy, p.DefaultRedundancy = 1, 1, 1 })
	good := f.addWorker(modelID)
	f.addWorker("other-model")
	jailed := f.addWorker(modelID)
	require.NoError(t, f.pool.Jail(f.ctx, jailed.provider, 1_000))
	poor := f.addWorker(modelID)
	// Self-stake 1000 < minimum 1000 + 10 × 1 unit: the pool is ineligible.
	_, err := f.pool.Undelegate(f.ctx, poor.provider, poor.provider, sdk.NewInt64Coin(denom, selfBond-1000))
	require.NoError(t, err)
	big := testModel("big-model", true)
	big.MinVramGb = 81
	require.NoError(t, f.k.RegisterModel(f.ctx, f.authority, big))

	addrs, weights, err := f.k.EligibleWeights(f.ctx, modelID)
	require.NoError(t, err)
	require.Equal(t, []sdk.AccAddress{good.addr}, addrs)
	require.Equal(t, []string{math.NewInt(selfBond).MulRaw(5000 * testVerifiedUnits).String()}, weights, "stake × reputation 5000 × verified units")
	addrs, _, err = f.k.EligibleWeights(f.ctx, big.Id)
	require.NoError(t, err)
	require.Empty(t, addrs, "80 GB workers cannot serve a model needing 81")

	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	var first, second uint64
	f.block(func() {
		msg := f.requestMsg(requester)
		msg.Redundancy = 2
		f.requireRejected(types.ErrNotEnoughWorkers, func() error { _, err := f.msg.RequestInference(f.ctx, msg); return err })
		msg.Redundancy = 1
		res := f.request(msg)
		require.Empty(t, res.Workers, "drawn in a later block")
		first = res.JobId
		second = f.request(msg).JobId
	})
	f.block(nil)
	require.Equal(t, []sdk.AccAddress{good.addr}, f.assigned(first))
	// The only worker is now at max_open_jobs_per_worker = 1: the second
	// job waits in the queue.
	require.Equal(t, types.JOB_STATUS_QUEUED, f.job(second).Status)
	require.Empty(t, f.job(second).Assignments)
}

// TestDrawWeighted: draws follow the weights and never repeat a worker.
func TestDrawWeighted(t *testing.T) {
	a, b, c := addr("a", 1), addr("b", 1), addr("c", 1)
	counts := map[string]int{}
	const n = 4000
	for i := 0; i < n; i++ {
		seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		got := keeper.DrawWorkers(seed[:], []sdk.AccAddress{a, b}, []int64{1, 3}, 1)
		counts[string(got[0])]++
	}
	// Expected 1000 / 3000; 5 standard deviations ≈ 137.
	require.InDelta(t, 1000, counts[string(a)], 137)

	for i := 0; i < 100; i++ {
		seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		got := keeper.DrawWorkers(seed[:], []sdk.AccAddress{a, b, c}, []int64{1, 1_000_000, 1}, 3)
		require.Len(t, got, 3)
		require.ElementsMatch(t, []sdk.AccAddress{a, b, c}, got, "without replacement")
		require.Equal(t, b, got[0], "the heavy worker first (overwhelmingly)")
		require.Equal(t, got, keeper.DrawWorkers(seed[:], []sdk.AccAddress{a, b, c}, []int64{1, 1_000_000, 1}, 3), "deterministic")
	}
}

// TestAssignmentSeeded: the draw uses x/compute's Seed("inference", be64(id))
// of the block that assigns: the same block and id give the same workers;
// another block hash another draw.
func TestAssignmentSeeded(t *testing.T) {
	draw := func(hash byte) []string {
		f := newFixture(t, func(p *types.Params) { p.MinRedundancy, p.DefaultRedundancy = 1, 1 })
		f.addWorkers(7)
		requester := addr("requester", 1)
		f.fund(requester, 1_000_000)
		msg := f.requestMsg(requester)
		msg.MaxFee = sdk.NewInt64Coin(denom, 1000)
		msg.Redundancy = 1
		var ids []uint64
		f.block(func() {
			for i := 0; i < 20; i++ {
				ids = append(ids, f.request(msg).JobId)
			}
		})
		f.next()
		f.ctx = f.ctx.WithHeaderHash([]byte{hash})
		f.beginBlock()
		var out []string
		for _, id := range ids {
			for _, w := range f.assigned(id) {
				out = append(out, f.bech(w))
			}
		}
		require.Len(t, out, 20)
		return out
	}
	require.Equal(t, draw(1), draw(1))
	require.NotEqual(t, draw(1), draw(2))
}

func TestSplitWorkerFee(t *testing.T) {
	for _, tc := range []struct {
		w, n              int64
		bonus             uint32
		first, each, dust int64
	}{
		{2550, 3, 1000, 935, 807, 1},
		{2550, 2, 1000, 1402, 1148, 0},
		{2550, 1, 1000, 2550, 0, 0},
		{100, 3, 0, 33, 33, 1},
		{100, 2, 10_000, 100, 0, 0},
		{7, 7, 1000, 1, 1, 0},
	} {
		first, each, dust := keeper.SplitWorkerFee(math.NewInt(tc.w), int(tc.n), tc.bonus)
		require.Equal(t, []int64{tc.first, tc.each, tc.dust}, []int64{first.Int64(), each.Int64(), dust.Int64()}, "%+v", tc)
		require.Equal(t, tc.w, first.Int64()+each.Int64()*(tc.n-1)+dust.Int64(), "exact split")
	}
}

// TestOneSeatPerProvider: workers of one provider never share a job, and a
// provider's many workers do not multiply its chance of a seat.
func TestOneSeatPerProvider(t *testing.T) {
	a1, a2, a3, b := addr("a", 1), addr("a", 2), addr("a", 3), addr("b", 1)
	provA, provB := "provider-a", "provider-b"
	cands := []keeper.Candidate{
		{Addr: a1, Provider: provA, Weight: 100}, {Addr: a2, Provider: provA, Weight: 100},
		{Addr: a3, Provider: provA, Weight: 100}, {Addr: b, Provider: provB, Weight: 100},
	}
	for i := 0; i < 200; i++ {
		seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		got := keeper.DrawCandidates(seed[:], cands, 2)
		require.Len(t, got, 2)
		require.Contains(t, got, b, "the second seat must go to the other provider")
	}
	// With only one provider, a redundancy-2 draw yields one seat.
	seed := sha256.Sum256([]byte("x"))
	require.Len(t, keeper.DrawCandidates(seed[:], cands[:3], 2), 1)
}

// TestSpeedBonusNeverInverts (issue 17 L1): the earliest agreeing committer
// never gets less than any other agreeing worker, whatever the rounding, and
// the split is exact. Before the fix, 2 umesh among 3 workers with the
// default 10 % bonus gave the first 0 and each other 1.
func TestSpeedBonusNeverInverts(t *testing.T) {
	for _, bonus := range []uint32{0, 1, 500, 1000, 5000, 10_000} {
		for n := 2; n <= 8; n++ {
			for w := int64(0); w <= 300; w++ {
				first, each, dust := keeper.SplitWorkerFee(math.NewInt(w), n, bonus)
				require.True(t, first.GTE(each), "w %d n %d bonus %d: first %s < each %s", w, n, bonus, first, each)
				require.False(t, dust.IsNegative(), "w %d n %d bonus %d: dust %s", w, n, bonus, dust)
				require.Equal(t, w, first.Int64()+each.Int64()*int64(n-1)+dust.Int64(), "exact split")
			}
		}
	}
}
