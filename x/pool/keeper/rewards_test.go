package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

func (f *fixture) addRewards(p sdk.AccAddress, amt sdk.Coins) {
	f.t.Helper()
	require.NoError(f.t, f.bk.MintCoins(f.ctx, "mint", amt))
	require.NoError(f.t, f.bk.SendCoinsFromModuleToModule(f.ctx, "mint", rewardSource, amt))
	require.NoError(f.t, f.k.AddRewards(f.ctx, rewardSource, p, amt))
}

func (f *fixture) claim(d, p sdk.AccAddress) sdk.Coins {
	f.t.Helper()
	res, err := f.ms.Claim(f.ctx, &types.MsgClaim{Delegator: f.str(d), Provider: f.str(p)})
	require.NoError(f.t, err)
	return res.Amount
}

func (f *fixture) pending(d, p sdk.AccAddress) sdk.Coins {
	f.t.Helper()
	q, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(p), Delegator: f.str(d)})
	require.NoError(f.t, err)
	return q.PendingRewards
}

func TestRewardsIndexCommissionAndLazyClaim(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1") // 1e8 shares
	f.delegate(alice, provider, 200_000_000)   // 2e8 shares

	// 1000 umesh + 10 uatom: commission 10 % = 100 umesh + 1 uatom; the rest
	// raises the index by 900/3e8 and 9/3e8 per share.
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1000), sdk.NewInt64Coin("uatom", 10)))
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventRewardsAdded"))
	pool := f.pool(provider)
	require.Equal(t, sdk.NewDecCoins(sdk.NewInt64DecCoin(denom, 100), sdk.NewInt64DecCoin("uatom", 1)), pool.Commission)

	// Bob joins after: he earns nothing from the rewards already added.
	f.delegate(bob, provider, 300_000_000)
	require.True(t, f.pending(bob, provider).IsZero())

	// Queries show what a claim pays: provider 300 + 100 commission, alice 600;
	// uatom: provider 3 + 1, alice 6.
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 400), sdk.NewInt64Coin("uatom", 4)), f.pending(provider, provider))
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 600), sdk.NewInt64Coin("uatom", 6)), f.pending(alice, provider))

	// Second reward with bob in: 6000 umesh, 600 commission, 5400 over 6e8 shares.
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 6000)))

	before := f.balance(alice)
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 600+1800), sdk.NewInt64Coin("uatom", 6)), f.claim(alice, provider))
	require.Equal(t, before.AddRaw(2400), f.balance(alice))
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 2700)), f.claim(bob, provider))
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 400+900+600), sdk.NewInt64Coin("uatom", 4)), f.claim(provider, provider))
	require.Equal(t, 3, f.countEvents("mesh.pool.v1.EventRewardsClaimed"))

	// Claiming again pays nothing; everything added was paid out exactly.
	require.True(t, f.claim(alice, provider).IsZero())
	require.Equal(t, f.pool(provider).Tokens, f.moduleBalance())
	require.True(t, f.bk.GetBalance(f.ctx, f.ak.GetModuleAddress(types.ModuleName), "uatom").IsZero())
}

func TestRewardsDustIsKept(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.delegate(alice, provider, 200_000_000)

	// 1 umesh: commission 0.1, delegators 0.9 → provider 0.3, alice 0.6.
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1)))
	require.True(t, f.claim(alice, provider).IsZero())
	require.True(t, f.claim(provider, provider).IsZero())
	del, err := f.k.GetDelegation(f.ctx, provider, alice)
	require.NoError(t, err)
	require.Equal(t, sdk.NewDecCoins(sdk.NewDecCoinFromDec(denom, math.LegacyMustNewDecFromStr("0.6"))), del.PendingRewards)
	require.Equal(t, sdk.NewDecCoins(sdk.NewDecCoinFromDec(denom, math.LegacyMustNewDecFromStr("0.1"))), f.pool(provider).Commission)

	// 1 more: alice reaches 1.2 → paid 1, keeps 0.2. Provider 0.6 + 0.2 → 0.
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1)))
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 1)), f.claim(alice, provider))
	require.True(t, f.claim(provider, provider).IsZero())
	del, err = f.k.GetDelegation(f.ctx, provider, alice)
	require.NoError(t, err)
	require.Equal(t, sdk.NewDecCoins(sdk.NewDecCoinFromDec(denom, math.LegacyMustNewDecFromStr("0.2"))), del.PendingRewards)

	// Paid never exceeds added: 2 added, 1 paid, 1 still owed in decimals.
	require.Equal(t, f.pool(provider).Tokens.AddRaw(1), f.moduleBalance())

	// Share changes settle first: alice's delegation grows but keeps her dust.
	f.delegate(alice, provider, 1)
	del, err = f.k.GetDelegation(f.ctx, provider, alice)
	require.NoError(t, err)
	require.Equal(t, sdk.NewDecCoins(sdk.NewDecCoinFromDec(denom, math.LegacyMustNewDecFromStr("0.2"))), del.PendingRewards)
	require.Equal(t, f.pool(provider).RewardPerShare, del.RewardPerSharePaid)
}

func TestRewardsClosingDelegationPaysOut(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 100_000_000)
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1001)))

	// Alice leaves entirely: her 500.5 earned pays 500 now; 0.5 stays as dust.
	before := f.balance(alice)
	f.undelegate(alice, provider, 100_000_000)
	require.Equal(t, before.AddRaw(500), f.balance(alice))
	_, err := f.k.GetDelegation(f.ctx, provider, alice)
	require.ErrorIs(t, err, types.ErrDelegationNotFound)
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 500)), f.claim(provider, provider))
}

func TestAddRewardsEdgeCases(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.2")

	require.NoError(t, f.k.AddRewards(f.ctx, rewardSource, provider, sdk.NewCoins()))
	require.ErrorIs(t, f.k.AddRewards(f.ctx, rewardSource, stranger, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))), types.ErrPoolNotFound)
	require.ErrorIs(t, f.k.AddRewards(f.ctx, rewardSource, provider, sdk.Coins{sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}}), types.ErrInvalidAmount)
	require.ErrorIs(t, f.k.AddRewards(f.ctx, types.ModuleName, provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))), types.ErrInvalidAddress)
	// The source module must hold the coins.
	require.Error(t, f.k.AddRewards(f.ctx, rewardSource, provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1))))

	// A pool whose every share has left pays all rewards to the provider's commission.
	f.undelegate(provider, provider, 100_000_000)
	require.True(t, f.pool(provider).Shares.IsZero())
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 70)))
	require.Equal(t, sdk.NewCoins(sdk.NewInt64Coin(denom, 70)), f.claim(provider, provider))
}
