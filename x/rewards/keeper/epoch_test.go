package keeper_test

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/rewards/keeper"
	"github.com/llmesh/mesh/x/rewards/types"
)

// TestCloseEpoch: the pot is split by weight among the categories with
// points; rate and reserved round down; the shares of categories without
// points and the rounding remainders are carried; a second close with no
// inflow distributes the carried pot; a close without points reserves nothing.
func TestCloseEpoch(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a1, a2, a3, a4 := addr("a", 1), addr("a", 2), addr("a", 3), addr("a", 4)
	f.mintTo(types.ModuleName, coins(t, "1000000umesh,999ibc/XYZ"))
	f.add(types.CategoryPoC, a1, 100)
	f.add(types.CategoryPoC, a2, 200)
	f.add(types.CategoryInference, a3, 7)
	f.next() // height 2
	f.ctx = f.ctx.WithBlockHeight(40)

	s := f.closeEpoch()
	// poc (30 %, 300 points): 300,000umesh at 1000 per point, all reserved;
	// 299ibc at 0.996666666666666666 per point, reserved ⌊298.9999…⌋ = 298.
	// inference (30 %, 7 points): 300,000umesh at 42857.142857142857142857,
	// reserved 299,999; 299ibc at 42.714285714285714285, reserved 298.
	// training (25 %) and data (15 %) have no points: their share is carried.
	want := types.EpochSummary{
		Epoch: 1, StartHeight: 0, EndHeight: 40,
		Pot: coins(t, "999ibc/XYZ,1000000umesh"),
		Categories: []types.CategoryEpoch{
			{
				Category: types.CategoryPoC, Points: math.NewInt(300), Participants: 2,
				Allocated: coins(t, "299ibc/XYZ,300000umesh"),
				Rate: sdk.NewDecCoins(
					sdk.NewDecCoinFromDec(ibc, math.LegacyMustNewDecFromStr("0.996666666666666666")),
					sdk.NewDecCoinFromDec(denom, math.LegacyNewDec(1000))),
				Reserved: coins(t, "298ibc/XYZ,300000umesh"),
				Claimed:  sdk.NewCoins(),
			},
			{
				Category: types.CategoryInference, Points: math.NewInt(7), Participants: 1,
				Allocated: coins(t, "299ibc/XYZ,300000umesh"),
				Rate: sdk.NewDecCoins(
					sdk.NewDecCoinFromDec(ibc, math.LegacyMustNewDecFromStr("42.714285714285714285")),
					sdk.NewDecCoinFromDec(denom, math.LegacyMustNewDecFromStr("42857.142857142857142857"))),
				Reserved: coins(t, "298ibc/XYZ,299999umesh"),
				Claimed:  sdk.NewCoins(),
			},
		},
		Carried: coins(t, "403ibc/XYZ,400001umesh"),
	}
	requireSummary(t, want, s)
	requireSummary(t, want, f.epoch(1))
	requireCoins(t, coins(t, "596ibc/XYZ,599999umesh"), f.outstanding())
	requireCoins(t, coins(t, "403ibc/XYZ,400001umesh"), f.pot())
	require.Equal(t, uint64(2), f.current())
	require.Equal(t, types.EpochSummary{Epoch: 2, StartHeight: 40}, f.epoch(2))

	require.Equal(t, []types.EventCategoryRate{
		{Epoch: 1, Category: types.CategoryPoC, Points: "300", Allocated: "299ibc/XYZ,300000umesh",
			Rate: "0.996666666666666666ibc/XYZ,1000.000000000000000000umesh", Reserved: "298ibc/XYZ,300000umesh"},
		{Epoch: 1, Category: types.CategoryInference, Points: "7", Allocated: "299ibc/XYZ,300000umesh",
			Rate: "42.714285714285714285ibc/XYZ,42857.142857142857142857umesh", Reserved: "298ibc/XYZ,299999umesh"},
	}, typedEvents[types.EventCategoryRate](f))
	require.Equal(t, []types.EventEpochClosed{{
		Epoch: 1, Pot: "999ibc/XYZ,1000000umesh", Reserved: "596ibc/XYZ,599999umesh", Carried: "403ibc/XYZ,400001umesh", Categories: 2,
	}}, typedEvents[types.EventEpochClosed](f))

	// Epoch 2, no inflow: data (15 %) alone has points; the pot is what
	// epoch 1 carried.
	f.next()
	f.add(types.CategoryData, a4, 10)
	s = f.closeEpoch()
	requireCoins(t, coins(t, "403ibc/XYZ,400001umesh"), s.Pot)
	c := cat(t, s, types.CategoryData)
	requireCoins(t, coins(t, "60ibc/XYZ,60000umesh"), c.Allocated) // ⌊403 × 0.15⌋, ⌊400,001 × 0.15⌋
	require.Equal(t, "6.000000000000000000ibc/XYZ,6000.000000000000000000umesh", c.Rate.String())
	requireCoins(t, coins(t, "60ibc/XYZ,60000umesh"), c.Reserved)
	requireCoins(t, coins(t, "343ibc/XYZ,340001umesh"), s.Carried)
	requireCoins(t, coins(t, "656ibc/XYZ,659999umesh"), f.outstanding())
	requireCoins(t, coins(t, "343ibc/XYZ,340001umesh"), f.pot())

	// Epoch 3: no points at all. Nothing is reserved; the pot is carried whole.
	f.next()
	s = f.closeEpoch()
	require.Empty(t, s.Categories)
	requireCoins(t, coins(t, "343ibc/XYZ,340001umesh"), s.Pot)
	requireCoins(t, coins(t, "343ibc/XYZ,340001umesh"), s.Carried)
	requireCoins(t, coins(t, "656ibc/XYZ,659999umesh"), f.outstanding())
	require.Equal(t, []types.EventEpochClosed{{Epoch: 3, Pot: "343ibc/XYZ,340001umesh", Reserved: "", Carried: "343ibc/XYZ,340001umesh"}},
		typedEvents[types.EventEpochClosed](f))
	require.Empty(t, typedEvents[types.EventCategoryRate](f))
	require.Equal(t, uint64(4), f.current())

	// The module balance is always pot + Outstanding.
	requireCoins(t, f.pot().Add(f.outstanding()...), f.modBal(types.ModuleName))
}

// TestCloseEpochFewUnits: allocated × 10^18 < points gives a zero rate:
// the allocation is listed but nothing is reserved, and it all stays in the pot.
func TestCloseEpochFewUnits(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	f.mintTo(types.ModuleName, coins(t, "10umesh"))
	f.add(types.CategoryPoC, addr("a", 1), 1<<63)
	f.add(types.CategoryPoC, addr("a", 2), 1<<63)
	f.add(types.CategoryPoC, addr("a", 3), 1<<63) // 3 × 2^63 points: more than uint64
	s := f.closeEpoch()
	c := cat(t, s, types.CategoryPoC)
	require.Equal(t, "27670116110564327424", c.Points.String())
	requireCoins(t, coins(t, "3umesh"), c.Allocated)
	require.True(t, c.Rate.IsZero())
	require.True(t, c.Reserved.IsZero())
	requireCoins(t, coins(t, "10umesh"), s.Carried)
	require.True(t, f.outstanding().IsZero())

	// A claim of such points pays nothing and clears them.
	res := f.claim(addr("a", 1), addr("a", 1))
	require.True(t, res.Amount.IsZero())
	require.Equal(t, uint32(1), res.Epochs)
	require.True(t, f.bal(addr("a", 1)).IsZero())
	_, err := f.k.Claim(f.ctx, addr("a", 1), addr("a", 1))
	require.ErrorIs(t, err, types.ErrNothingToClaim)
}

// TestCloseEpochHugePot: a pot near the Int bound and one point: each
// category's allocation is capped at MaxAllocation; no panic; exact figures.
func TestCloseEpochHugePot(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	big255 := new(big.Int).Lsh(big.NewInt(1), 255)
	f.mintTo(authtypes.FeeCollectorName, sdk.NewCoins(sdk.NewCoin(denom, math.NewIntFromBigInt(big255))))
	f.next()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	pot := f.pot().AmountOf(denom)
	require.Equal(t, new(big.Int).Quo(new(big.Int).Mul(big255, big.NewInt(6)), big.NewInt(10)).String(), pot.String())

	one, three := addr("a", 1), addr("a", 3)
	f.add(types.CategoryPoC, one, 1)
	f.add(types.CategoryInference, three, 3)
	s := f.closeEpoch()

	poc := cat(t, s, types.CategoryPoC)
	requireCoins(t, sdk.NewCoins(sdk.NewCoin(denom, keeper.MaxAllocation)), poc.Allocated)
	require.Equal(t, math.LegacyNewDecFromInt(keeper.MaxAllocation).String(), poc.Rate.AmountOf(denom).String())
	requireCoins(t, sdk.NewCoins(sdk.NewCoin(denom, keeper.MaxAllocation)), poc.Reserved)

	// 3 points: rate ⌊2^200 × 10^18 / 3⌋ × 10^-18, reserved ⌊3 × rate⌋ = 2^200 − 1.
	inf := cat(t, s, types.CategoryInference)
	scaled := new(big.Int).Mul(keeper.MaxAllocation.BigInt(), keeper.RateScale)
	scaled.Quo(scaled, big.NewInt(3))
	require.Equal(t, math.LegacyNewDecFromBigIntWithPrec(scaled, 18).String(), inf.Rate.AmountOf(denom).String())
	requireCoins(t, sdk.NewCoins(sdk.NewCoin(denom, keeper.MaxAllocation.SubRaw(1))), inf.Reserved)

	reserved := keeper.MaxAllocation.MulRaw(2).SubRaw(1)
	require.Equal(t, reserved.String(), f.outstanding().AmountOf(denom).String())
	require.Equal(t, pot.Sub(reserved).String(), s.Carried.AmountOf(denom).String())

	// The claims pay exactly, and the summaries survive a genesis export.
	require.Equal(t, keeper.MaxAllocation.String(), f.claim(one, one).Amount.AmountOf(denom).String())
	require.Equal(t, keeper.MaxAllocation.SubRaw(1).String(), f.claim(three, three).Amount.AmountOf(denom).String())
	require.True(t, f.outstanding().IsZero())
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
}

// TestEpochHook: x/epochs' AfterEpochEnd closes the reward epoch only for
// params.epoch_identifier.
func TestEpochHook(t *testing.T) {
	f := newFixture(t)
	f.mintTo(types.ModuleName, coins(t, "1000umesh"))
	f.add(types.CategoryPoC, addr("a", 1), 5)
	hooks := f.k.EpochHooks()
	require.NoError(t, hooks.BeforeEpochStart(f.ctx, types.DefaultEpochIdentifier, 1))
	require.NoError(t, hooks.AfterEpochEnd(f.ctx, "day", 1))
	require.Equal(t, uint64(1), f.current())
	require.NoError(t, hooks.AfterEpochEnd(f.ctx, types.DefaultEpochIdentifier, 1))
	require.Equal(t, uint64(2), f.current())
	requireCoins(t, coins(t, "300umesh"), f.outstanding())
	require.Len(t, typedEvents[types.EventEpochClosed](f), 1)
}

// requireSummary compares summaries by value (coins by string).
func requireSummary(t testing.TB, want, got types.EpochSummary) {
	t.Helper()
	require.Equal(t, want.Epoch, got.Epoch)
	require.Equal(t, want.StartHeight, got.StartHeight)
	require.Equal(t, want.EndHeight, got.EndHeight)
	require.Equal(t, want.Pot.String(), got.Pot.String())
	require.Equal(t, want.Carried.String(), got.Carried.String())
	require.Len(t, got.Categories, len(want.Categories))
	for i, w := range want.Categories {
		g := got.Categories[i]
		require.Equal(t, w.Category, g.Category)
		require.Equal(t, w.Points.String(), g.Points.String(), w.Category)
		require.Equal(t, w.Participants, g.Participants, w.Category)
		require.Equal(t, w.Allocated.String(), g.Allocated.String(), w.Category)
		require.Equal(t, w.Rate.String(), g.Rate.String(), w.Category)
		require.Equal(t, w.Reserved.String(), g.Reserved.String(), w.Category)
		require.Equal(t, w.Claimed.String(), g.Claimed.String(), w.Category)
	}
}

// TestCloseEpochDroppedCategory: a category dropped from params while it has
// open points earns nothing at the close; its share stays in the pot, and a
// claim of its points pays nothing and clears them.
func TestCloseEpochDroppedCategory(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a, b := addr("a", 1), addr("a", 2)
	f.mintTo(types.ModuleName, coins(t, "10000umesh"))
	f.add(types.CategoryData, a, 10)
	f.add(types.CategoryPoC, b, 10)
	p := f.params()
	p.Categories = []types.CategoryWeight{{Name: types.CategoryPoC, WeightBps: 5000}, {Name: types.CategoryInference, WeightBps: 5000}}
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)

	s := f.closeEpoch()
	data := cat(t, s, types.CategoryData)
	require.Equal(t, "10", data.Points.String())
	require.True(t, data.Allocated.IsZero())
	require.True(t, data.Rate.IsZero())
	requireCoins(t, coins(t, "5000umesh"), cat(t, s, types.CategoryPoC).Reserved)
	requireCoins(t, coins(t, "5000umesh"), s.Carried)

	res := f.claim(a, a)
	require.True(t, res.Amount.IsZero())
	require.Equal(t, uint32(1), res.Epochs)
	require.True(t, f.bal(a).IsZero())
	requireCoins(t, coins(t, "5000umesh"), f.claim(b, b).Amount)
	require.True(t, f.outstanding().IsZero())
}
