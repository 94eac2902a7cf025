package app_test

import (
	"slices"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/llmesh/mesh/app"
	v2 "github.com/llmesh/mesh/app/upgrades/v2"
	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// TestUpgradeV2: a chain in v1 state — no fee burn, no stability or loyalty
// params, a "rewards" account without the Burner permission — burns no fee.
// The v2 handler runs x/rewards' and x/pool's 1→2 migrations; from the next
// block half of every fee is burned, and the new params are the defaults.
func TestUpgradeV2(t *testing.T) {
	f := testutil.SetupWithGenesis(t, 2, sdkmath.NewInt(1_000_000_000), noInflation)
	from, to := f.Accounts[0], f.Accounts[1]
	f.NextBlock(t)
	// Between blocks, writes to the uncached store land in the next commit.
	between := func() sdk.Context {
		h := f.App.LastBlockHeight()
		return f.App.NewUncachedContext(false, cmtproto.Header{ChainID: testutil.ChainID, Height: h})
	}

	// The v1 state.
	ctx := between()
	rp, err := f.App.RewardsKeeper.Params.Get(ctx)
	require.NoError(t, err)
	rp.FeeBurnBps, rp.StabilityBonusBpsPerEpoch, rp.StabilityBonusMaxBps = 0, 0, 0
	require.NoError(t, f.App.RewardsKeeper.Params.Set(ctx, rp))
	pp, err := f.App.PoolKeeper.Params.Get(ctx)
	require.NoError(t, err)
	pp.LoyaltyThreshold, pp.LoyaltyBpsPerDay, pp.LoyaltyMaxBps = 0, 0, 0
	require.NoError(t, f.App.PoolKeeper.Params.Set(ctx, pp))
	acc := f.App.AccountKeeper.GetModuleAccount(ctx, rewardstypes.ModuleName).(*authtypes.ModuleAccount)
	v1acc := *acc
	v1acc.Permissions = slices.DeleteFunc(slices.Clone(acc.Permissions), func(p string) bool { return p == authtypes.Burner })
	f.App.AccountKeeper.SetModuleAccount(ctx, &v1acc)
	cp, err := f.App.ComputeKeeper.Params.Get(ctx)
	require.NoError(t, err)
	cp.VoteExtensionMaxBytes, cp.BeaconMissWindow, cp.BeaconMaxMisses, cp.BeaconJailSeconds = 0, 0, 0, 0
	require.NoError(t, f.App.ComputeKeeper.Params.Set(ctx, cp))

	supply := func() sdkmath.Int { return f.App.BankKeeper.GetSupply(f.Ctx(), app.BondDenom).Amount }
	fee := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 10_001))
	send := banktypes.NewMsgSend(from.Address, to.Address, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	f.NextBlock(t)
	before := supply()
	testutil.RequireTxsOK(t, f.NextBlock(t, f.SignTxWithFee(t, from, 0, fee, send)))
	require.Equal(t, before, supply(), "v1 burns no fee")

	// The upgrade, as x/upgrade runs it at the plan's height.
	ctx = between()
	fromVM := f.App.ModuleManager.GetVersionMap()
	require.Equal(t, uint64(2), fromVM[pooltypes.ModuleName])
	require.Equal(t, uint64(2), fromVM[rewardstypes.ModuleName])
	require.Equal(t, uint64(2), fromVM[computetypes.ModuleName])
	fromVM[pooltypes.ModuleName], fromVM[rewardstypes.ModuleName], fromVM[computetypes.ModuleName] = 1, 1, 1
	handler := v2.Upgrade.CreateHandler(f.App.ModuleManager, f.App.Configurator())
	toVM, err := handler(ctx, upgradetypes.Plan{Name: v2.Name, Height: ctx.BlockHeight()}, fromVM)
	require.NoError(t, err)
	require.Equal(t, f.App.ModuleManager.GetVersionMap(), toVM)

	rp, err = f.App.RewardsKeeper.Params.Get(ctx)
	require.NoError(t, err)
	d := rewardstypes.DefaultParams()
	require.Equal(t, []uint32{d.FeeBurnBps, d.StabilityBonusBpsPerEpoch, d.StabilityBonusMaxBps},
		[]uint32{rp.FeeBurnBps, rp.StabilityBonusBpsPerEpoch, rp.StabilityBonusMaxBps})
	pp, err = f.App.PoolKeeper.Params.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, pooltypes.DefaultLoyaltyThreshold, pp.LoyaltyThreshold)
	require.Equal(t, pooltypes.DefaultLoyaltyBpsPerDay, pp.LoyaltyBpsPerDay)
	require.Equal(t, pooltypes.DefaultLoyaltyMaxBps, pp.LoyaltyMaxBps)
	cp, err = f.App.ComputeKeeper.Params.Get(ctx)
	require.NoError(t, err)
	require.NoError(t, cp.Validate(), "x/compute 1→2 gives the vote-extension params their defaults")
	require.Equal(t, computetypes.DefaultParams().VoteExtensionMaxBytes, cp.VoteExtensionMaxBytes)
	upgraded := f.App.AccountKeeper.GetModuleAccount(ctx, rewardstypes.ModuleName)
	require.True(t, upgraded.HasPermission(authtypes.Burner))
	require.Equal(t, acc.GetAccountNumber(), upgraded.GetAccountNumber(), "the same account, one permission more")

	// v2: half of the fee is burned.
	f.NextBlock(t)
	before = supply()
	testutil.RequireTxsOK(t, f.NextBlock(t, f.SignTxWithFee(t, from, 1, fee, send)))
	require.Equal(t, before.SubRaw(5_000), supply(), "⌊10,001 × 50 %⌋ burned after the upgrade")
}
