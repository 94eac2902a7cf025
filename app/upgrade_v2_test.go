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

	icahosttypes "github.com/cosmos/ibc-go/v11/modules/apps/27-interchain-accounts/host/types"

	"github.com/llmesh/mesh/app"
	v2 "github.com/llmesh/mesh/app/upgrades/v2"
	"github.com/llmesh/mesh/testutil"
	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// TestUpgradeV2: a chain in v1 state — no fee burn, no stability or loyalty
// params, a "rewards" account without the Burner permission, an ICA host
// that executes any message ("*") — burns no fee. The v2 handler runs
// x/rewards' and x/pool's 1→2 migrations and narrows the ICA host allow
// list; x/inference 1→2 moves a v1 model's single price into its prices.
// From the next block half of every fee is burned, and the new params are
// the defaults.
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
	// A v1 model: one price, no list.
	v1Price := sdk.NewInt64Coin(app.BondDenom, 1000)
	v1Model := inferencetypes.Model{
		Id: "v1-model", Runtime: inferencetypes.RuntimeInt8Embedded, Deterministic: true,
		Price: &v1Price, Status: inferencetypes.MODEL_STATUS_ACTIVE, //nolint:staticcheck // the v1 field
	}
	require.NoError(t, f.App.InferenceKeeper.Models.Set(ctx, v1Model.Id, v1Model))
	// ibc-go's default ICA host allow list, which v1's genesis wrote.
	f.App.ICAHostKeeper.SetParams(ctx, icahosttypes.DefaultParams())
	require.Equal(t, []string{"*"}, f.App.ICAHostKeeper.GetParams(ctx).AllowMessages)

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
	require.Equal(t, uint64(2), fromVM[inferencetypes.ModuleName])
	fromVM[pooltypes.ModuleName], fromVM[rewardstypes.ModuleName], fromVM[computetypes.ModuleName] = 1, 1, 1
	fromVM[inferencetypes.ModuleName] = 1
	handler := v2.Upgrade.CreateHandler(f.App.ModuleManager, f.App.Configurator(), f.App.UpgradeDeps())
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
	migrated, err := f.App.InferenceKeeper.GetModel(ctx, v1Model.Id)
	require.NoError(t, err)
	require.Nil(t, migrated.Price, "x/inference 1→2 clears the deprecated price") //nolint:staticcheck // the v1 field
	require.Equal(t, sdk.NewCoins(v1Price), migrated.Prices, "and moves it into prices")
	require.Equal(t, inferencetypes.MODEL_STATUS_ACTIVE, migrated.Status)
	upgraded := f.App.AccountKeeper.GetModuleAccount(ctx, rewardstypes.ModuleName)
	require.True(t, upgraded.HasPermission(authtypes.Burner))
	require.Equal(t, acc.GetAccountNumber(), upgraded.GetAccountNumber(), "the same account, one permission more")
	hp := f.App.ICAHostKeeper.GetParams(ctx)
	require.True(t, hp.HostEnabled)
	require.Equal(t, app.ICAHostAllowMessages(), hp.AllowMessages, "\"*\" narrowed to meshd's list")

	// v2: half of the fee is burned.
	f.NextBlock(t)
	before = supply()
	testutil.RequireTxsOK(t, f.NextBlock(t, f.SignTxWithFee(t, from, 1, fee, send)))
	require.Equal(t, before.SubRaw(5_000), supply(), "⌊10,001 × 50 %⌋ burned after the upgrade")
}

// TestUpgradeV2ICAHostAllowList: the v2 handler replaces only an allow list
// of exactly ["*"]; a list chosen by operators or governance — narrower,
// wider, or empty (a host that executes nothing) — and host_enabled are
// kept. "*" next to other entries is not a valid list (ibc-go refuses it).
func TestUpgradeV2ICAHostAllowList(t *testing.T) {
	chosen := []string{"/cosmos.bank.v1beta1.MsgSend", "/cosmos.staking.v1beta1.MsgDelegate"}
	for _, tc := range []struct {
		name   string
		before icahosttypes.Params
		after  icahosttypes.Params
	}{
		{"star", icahosttypes.NewParams(true, []string{"*"}), icahosttypes.NewParams(true, app.ICAHostAllowMessages())},
		{"star, host disabled", icahosttypes.NewParams(false, []string{"*"}), icahosttypes.NewParams(false, app.ICAHostAllowMessages())},
		{"chosen list", icahosttypes.NewParams(true, chosen), icahosttypes.NewParams(true, chosen)},
		{"empty list", icahosttypes.NewParams(true, []string{}), icahosttypes.NewParams(true, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testutil.Setup(t, 1, sdkmath.NewInt(1_000_000))
			ctx := f.Ctx()
			f.App.ICAHostKeeper.SetParams(ctx, tc.before)
			handler := v2.Upgrade.CreateHandler(f.App.ModuleManager, f.App.Configurator(), f.App.UpgradeDeps())
			// Every module already at its version: only the ICA step acts.
			_, err := handler(ctx, upgradetypes.Plan{Name: v2.Name, Height: ctx.BlockHeight()}, f.App.ModuleManager.GetVersionMap())
			require.NoError(t, err)
			got := f.App.ICAHostKeeper.GetParams(ctx)
			require.Equal(t, tc.after.HostEnabled, got.HostEnabled)
			if len(tc.after.AllowMessages) == 0 {
				require.Empty(t, got.AllowMessages)
				return
			}
			require.Equal(t, tc.after.AllowMessages, got.AllowMessages)
		})
	}
}
