package keeper_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// TestAddPointsRejects: every rejected AddPoints writes nothing and emits nothing.
func TestAddPointsRejects(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	alice := addr("alice", 1)
	f.add(types.CategoryPoC, alice, math.MaxUint64-5)

	for _, tc := range []struct {
		name     string
		category string
		account  sdk.AccAddress
		points   uint64
		opts     []types.PointsOption
		want     error
	}{
		{"unknown category", "gpu", alice, 10, nil, types.ErrUnknownCategory},
		{"empty category", "", alice, 10, nil, types.ErrUnknownCategory},
		{"zero points", types.CategoryPoC, alice, 0, nil, types.ErrInvalidPoints},
		{"nil account", types.CategoryPoC, nil, 10, nil, types.ErrInvalidAddress},
		{"empty account", types.CategoryPoC, sdk.AccAddress{}, 10, nil, types.ErrInvalidAddress},
		{"sum past MaxUint64", types.CategoryPoC, alice, 6, nil, types.ErrPointsOverflow},
		{"bonus past MaxUint64", types.CategoryData, addr("bob", 1), 1<<63 + 1<<62, []types.PointsOption{types.WithQuality(10_000)}, types.ErrPointsOverflow},
		// ⌊12297829382473034411 × 1.5⌋ = 2^64.
		{"bonus one past MaxUint64", types.CategoryData, addr("bob", 1), 12297829382473034411, []types.PointsOption{types.WithQuality(10_000)}, types.ErrPointsOverflow},
		{"speed bonus past MaxUint64", types.CategoryData, addr("bob", 1), math.MaxUint64 - 1, []types.PointsOption{types.WithLatency(0)}, types.ErrPointsOverflow},
	} {
		f.requireRejected(tc.want, func() error {
			_, err := f.k.AddPoints(f.ctx, tc.category, tc.account, tc.points, tc.opts...)
			return err
		}, tc.name)
	}
	// ⌊12297829382473034410 × 1.5⌋ = MaxUint64 exactly: credited.
	require.Equal(t, uint64(math.MaxUint64), f.add(types.CategoryData, addr("bob", 1), 12297829382473034410, types.WithQuality(10_000)))
	// The sum stops exactly at MaxUint64.
	require.Equal(t, uint64(5), f.add(types.CategoryPoC, alice, 5))
	pts, err := f.k.Points.Get(f.ctx, collections.Join3(alice, uint64(1), types.CategoryPoC))
	require.NoError(t, err)
	require.Equal(t, uint64(math.MaxUint64), pts)
	require.Equal(t, "18446744073709551615", cat(t, f.epoch(1), types.CategoryPoC).Points.String())
}

// TestAddPointsMultipliers: quality at the threshold, latency at the maximum,
// the first early_contributors accounts; bonuses multiply, each rounded down.
func TestAddPointsMultipliers(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { p.EarlyContributors = 2 }))
	a := []sdk.AccAddress{addr("acc", 0), addr("acc", 1), addr("acc", 2), addr("acc", 3), addr("acc", 4)}
	poc := types.CategoryPoC

	// a0 is poc's first contributor: 1000 → ×1.5 = 1500 → ×1.2 = 1800 → ×2 = 3600.
	require.Equal(t, uint64(3600), f.add(poc, a[0], 1000, types.WithQuality(9000), types.WithLatency(5)))
	require.Equal(t, []types.EventPointsAdded{{
		Category: poc, Account: f.bech(a[0]), Epoch: 1, BasePoints: 1000, Points: 3600, Bonuses: "quality,speed,early",
	}}, typedEvents[types.EventPointsAdded](f))
	// Just below the quality threshold and above the latency: early only.
	require.Equal(t, uint64(2000), f.add(poc, a[0], 1000, types.WithQuality(8999), types.WithLatency(6)))
	// a1, the second contributor: early.
	require.Equal(t, uint64(2000), f.add(poc, a[1], 1000))
	// a2, the third: no early bonus; quality alone.
	require.Equal(t, uint64(1500), f.add(poc, a[2], 1000, types.WithQuality(10_000)))
	// Floor at each step: 3 × 1.5 = 4.5 → 4, × 1.2 = 4.8 → 4 (not ⌊3 × 1.8⌋ = 5).
	require.Equal(t, uint64(4), f.add(poc, a[2], 3, types.WithQuality(9000), types.WithLatency(0)))
	// 7 × 1.5 = 10.5 → 10, × 1.2 = 12 … a1 is early: × 2 = 24 (not ⌊7 × 3.6⌋ = 25).
	require.Equal(t, uint64(24), f.add(poc, a[1], 7, types.WithQuality(9500), types.WithLatency(1)))
	// a3: speed alone.
	require.Equal(t, uint64(1200), f.add(poc, a[3], 1000, types.WithLatency(0)))
	// Early is per category: a2 is inference's first contributor.
	require.Equal(t, uint64(2000), f.add(types.CategoryInference, a[2], 1000))
	require.Equal(t, uint64(2000), f.add(types.CategoryInference, a[3], 1000))
	require.Equal(t, uint64(1000), f.add(types.CategoryInference, a[4], 1000))

	e := f.epoch(1)
	require.Equal(t, "10328", cat(t, e, poc).Points.String()) // 3600+2000+2000+1500+4+24+1200
	require.Equal(t, uint64(4), cat(t, e, poc).Participants)
	require.Equal(t, "5000", cat(t, e, types.CategoryInference).Points.String())
	require.Equal(t, uint64(3), cat(t, e, types.CategoryInference).Participants)
	require.Equal(t, []string{poc, types.CategoryInference}, []string{e.Categories[0].Category, e.Categories[1].Category})
	for acc, want := range map[int]uint64{0: 5600, 1: 2024, 2: 1504, 3: 1200} {
		got, err := f.k.Points.Get(f.ctx, collections.Join3(a[acc], uint64(1), poc))
		require.NoError(t, err)
		require.Equal(t, want, got, "a%d", acc)
	}
	for cat, n := range map[string]uint64{poc: 4, types.CategoryInference: 3} {
		got, err := f.k.ContributorCount.Get(f.ctx, cat)
		require.NoError(t, err)
		require.Equal(t, n, got, cat)
	}

	// Next epoch: contributor order persists (a0 still early, a new a5 not);
	// participants count afresh.
	f.closeEpoch()
	require.Equal(t, uint64(200), f.add(poc, a[0], 100))
	require.Equal(t, uint64(100), f.add(poc, addr("acc", 5), 100))
	require.Equal(t, uint64(2), cat(t, f.epoch(2), poc).Participants)
	idx, err := f.k.Contributors.Get(f.ctx, collections.Join(poc, sdk.AccAddress(addr("acc", 5))))
	require.NoError(t, err)
	require.Equal(t, uint64(4), idx)
}

// TestAddPointsStabilityBonus: a worker's run of passed epochs adds
// stability_bonus_bps_per_epoch per epoch up to stability_bonus_max_bps; no
// run, or a zero slope, adds nothing.
func TestAddPointsStabilityBonus(t *testing.T) {
	f := newFixture(t, withParams(noEarly)) // defaults: +1 % per epoch, at most +20 %
	a, poc := addr("acc", 0), types.CategoryPoC
	for _, c := range [][2]uint64{{0, 1000}, {1, 1010}, {19, 1190}, {20, 1200}, {21, 1200}, {math.MaxUint64, 1200}} {
		require.Equal(t, c[1], f.add(poc, a, 1000, types.WithPassStreak(c[0])), "a run of %d epochs", c[0])
	}
	events := typedEvents[types.EventPointsAdded](f)
	require.Equal(t, []string{"", "stability"}, []string{events[0].Bonuses, events[1].Bonuses})
	require.Equal(t, uint64(1515), f.add(poc, a, 1000, types.WithQuality(9000), types.WithPassStreak(1)), "⌊1000 × 1.5⌋ × 1.01")

	flat := newFixture(t, withParams(func(p *types.Params) { noEarly(p); p.StabilityBonusBpsPerEpoch = 0 }))
	require.Equal(t, uint64(1000), flat.add(poc, a, 1000, types.WithPassStreak(50)))
}

// TestAddPointsMaxUint64: MaxUint64 base points without a bonus are credited;
// any bonus on them overflows and writes nothing.
func TestAddPointsMaxUint64(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a := addr("big", 1)
	require.Equal(t, uint64(math.MaxUint64), f.add(types.CategoryTraining, a, math.MaxUint64, types.WithQuality(8999), types.WithLatency(6)))
	for _, opt := range []types.PointsOption{types.WithQuality(9000), types.WithLatency(5)} {
		f.requireRejected(types.ErrPointsOverflow, func() error {
			_, err := f.k.AddPoints(f.ctx, types.CategoryData, addr("big", 2), math.MaxUint64, opt)
			return err
		})
	}
	// Early bonus on MaxUint64 for a category's first contributor.
	g := newFixture(t)
	g.requireRejected(types.ErrPointsOverflow, func() error {
		_, err := g.k.AddPoints(g.ctx, types.CategoryData, a, math.MaxUint64)
		return err
	})
	// The rejected first credit did not take a contributor slot.
	_, err := g.k.ContributorCount.Get(g.ctx, types.CategoryData)
	require.ErrorIs(t, err, collections.ErrNotFound)
}
