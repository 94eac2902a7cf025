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

// TestBlockRewardSplit: the fee collector's coins go ⌊× compute⌋ to x/rewards
// and ⌊× treasury⌋ to the DAO, the rest stays for x/distribution to the unit,
// and the protocol fee account is swept whole into x/rewards.
func TestBlockRewardSplit(t *testing.T) {
	f := newFixture(t)
	f.mintTo(authtypes.FeeCollectorName, coins(t, "1000003umesh,7ibc/XYZ"))
	f.mintTo(types.ProtocolFeeAccount, coins(t, "500umesh,3ibc/XYZ"))
	f.next()

	require.NoError(t, f.k.BeginBlocker(f.ctx))

	// 60 % of 1,000,003 = 600,001.8 → 600,001; 20 % = 200,000.6 → 200,000.
	requireCoins(t, coins(t, "7ibc/XYZ,600501umesh"), f.modBal(types.ModuleName))
	requireCoins(t, coins(t, "1ibc/XYZ,200000umesh"), f.modBal(types.TreasuryModuleName))
	requireCoins(t, coins(t, "2ibc/XYZ,200002umesh"), f.modBal(authtypes.FeeCollectorName))
	require.True(t, f.modBal(types.ProtocolFeeAccount).IsZero())
	require.Equal(t, []types.EventBlockRewardSplit{{
		Collected:    "7ibc/XYZ,1000003umesh",
		Compute:      "4ibc/XYZ,600001umesh",
		Treasury:     "1ibc/XYZ,200000umesh",
		Validators:   "2ibc/XYZ,200002umesh",
		ProtocolFees: "3ibc/XYZ,500umesh",
	}}, typedEvents[types.EventBlockRewardSplit](f))

	// The next block splits what is left again (x/distribution did not run here).
	f.next()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	requireCoins(t, coins(t, "8ibc/XYZ,720502umesh"), f.modBal(types.ModuleName)) // + ⌊200,002 × 0.6⌋, ⌊2 × 0.6⌋
	requireCoins(t, coins(t, "1ibc/XYZ,240000umesh"), f.modBal(types.TreasuryModuleName))
	requireCoins(t, coins(t, "1ibc/XYZ,40001umesh"), f.modBal(authtypes.FeeCollectorName))
}

// TestBlockRewardSplitShares runs the split under several share params.
func TestBlockRewardSplitShares(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		compute, treasury         uint32
		toRewards, toDAO, toValid string
	}{
		{"all to compute", 10000, 0, "7ibc/XYZ,1000003umesh", "", ""},
		{"all to treasury", 0, 10000, "", "7ibc/XYZ,1000003umesh", ""},
		{"all to validators", 0, 0, "", "", "7ibc/XYZ,1000003umesh"},
		{"thirds", 3333, 3333, "2ibc/XYZ,333300umesh", "2ibc/XYZ,333300umesh", "3ibc/XYZ,333403umesh"},
		{"one bps", 1, 9999, "100umesh", "6ibc/XYZ,999902umesh", "1ibc/XYZ,1umesh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withParams(func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = tc.compute, tc.treasury }))
			f.mintTo(authtypes.FeeCollectorName, coins(t, "1000003umesh,7ibc/XYZ"))
			f.next()
			require.NoError(t, f.k.BeginBlocker(f.ctx))
			requireCoins(t, coins(t, tc.toRewards), f.modBal(types.ModuleName))
			requireCoins(t, coins(t, tc.toDAO), f.modBal(types.TreasuryModuleName))
			requireCoins(t, coins(t, tc.toValid), f.modBal(authtypes.FeeCollectorName))
			ev := typedEvents[types.EventBlockRewardSplit](f)
			require.Len(t, ev, 1)
			require.Equal(t, coins(t, tc.toRewards).String(), ev[0].Compute)
			require.Equal(t, coins(t, tc.toDAO).String(), ev[0].Treasury)
			require.Equal(t, coins(t, tc.toValid).String(), ev[0].Validators)
			require.Equal(t, "", ev[0].ProtocolFees)
		})
	}
}

// TestBlockRewardSplitEmpty: nothing collected and no protocol fees → no
// event and no write; protocol fees alone are swept.
func TestBlockRewardSplitEmpty(t *testing.T) {
	f := newFixture(t)
	f.next()
	before := f.snapshot()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	require.Equal(t, before, f.snapshot())
	require.Empty(t, f.ctx.EventManager().Events())

	f.mintTo(types.ProtocolFeeAccount, coins(t, "9umesh"))
	f.next()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	requireCoins(t, coins(t, "9umesh"), f.modBal(types.ModuleName))
	require.True(t, f.modBal(types.TreasuryModuleName).IsZero())
	require.Equal(t, []types.EventBlockRewardSplit{{ProtocolFees: "9umesh"}}, typedEvents[types.EventBlockRewardSplit](f))

	// One unit: 60 % and 20 % of 1 round to nothing; it stays for validators.
	f.mintTo(authtypes.FeeCollectorName, coins(t, "1umesh"))
	f.next()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	requireCoins(t, coins(t, "1umesh"), f.modBal(authtypes.FeeCollectorName))
	requireCoins(t, coins(t, "9umesh"), f.modBal(types.ModuleName))
	require.Equal(t, []types.EventBlockRewardSplit{{Collected: "1umesh", Validators: "1umesh"}}, typedEvents[types.EventBlockRewardSplit](f))
}

// TestBlockRewardSplitNearIntBound: 2^255 and 2^256−1 units split without a
// panic, exactly as big.Int arithmetic says.
func TestBlockRewardSplitNearIntBound(t *testing.T) {
	f := newFixture(t)
	big255 := new(big.Int).Lsh(big.NewInt(1), 255)
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	collected := sdk.NewCoins(sdk.NewCoin(denom, math.NewIntFromBigInt(big255)), sdk.NewCoin(ibc, math.NewIntFromBigInt(max256)))
	f.mintTo(authtypes.FeeCollectorName, collected)
	f.next()
	require.NoError(t, f.k.BeginBlocker(f.ctx))
	require.Len(t, typedEvents[types.EventBlockRewardSplit](f), 1)

	share := func(x *big.Int, bps int64) math.Int {
		y := new(big.Int).Mul(x, big.NewInt(bps))
		return math.NewIntFromBigInt(y.Quo(y, big.NewInt(10_000)))
	}
	toRewards := sdk.NewCoins(sdk.NewCoin(denom, share(big255, 6000)), sdk.NewCoin(ibc, share(max256, 6000)))
	toDAO := sdk.NewCoins(sdk.NewCoin(denom, share(big255, 2000)), sdk.NewCoin(ibc, share(max256, 2000)))
	requireCoins(t, toRewards, f.modBal(types.ModuleName))
	requireCoins(t, toDAO, f.modBal(types.TreasuryModuleName))
	requireCoins(t, collected.Sub(toRewards...).Sub(toDAO...), f.modBal(authtypes.FeeCollectorName))
	require.Equal(t, toRewards, keeper.MulBpsFloor(collected, 6000))
}
