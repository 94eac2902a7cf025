package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	pooltypes "github.com/llmesh/mesh/x/pool/types"
	"github.com/llmesh/mesh/x/rewards/types"
)

// TestClaim: a claim pays ⌊points × rate⌋ per denom, once; the epoch's
// claimed and Outstanding follow; errors move nothing.
func TestClaim(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a1, a2, a3 := addr("a", 1), addr("a", 2), addr("a", 3)

	f.requireRejected(types.ErrNothingToClaim, func() error { _, err := f.k.Claim(f.ctx, a1, a1); return err }, "no points")
	f.mintTo(types.ModuleName, coins(t, "1000000umesh,999ibc/XYZ"))
	f.add(types.CategoryPoC, a1, 100)
	f.add(types.CategoryPoC, a2, 200)
	f.add(types.CategoryInference, a3, 7)
	f.requireRejected(types.ErrNothingToClaim, func() error { _, err := f.k.Claim(f.ctx, a1, a1); return err }, "open epoch only")
	f.closeEpoch() // rates as in TestCloseEpoch
	f.next()

	// a1: 100 × 1000 = 100,000umesh; ⌊100 × 0.996666666666666666⌋ = 99ibc.
	res := f.claim(a1, a1)
	require.Equal(t, &types.MsgClaimRewardsResponse{
		Amount: coins(t, "99ibc/XYZ,100000umesh"), Epochs: 1, Withdrawn: sdk.NewCoins(),
	}, res)
	requireCoins(t, coins(t, "99ibc/XYZ,100000umesh"), f.bal(a1))
	require.Equal(t, []types.EventRewardsClaimed{{
		Claimant: f.bech(a1), Account: f.bech(a1), Amount: "99ibc/XYZ,100000umesh", Epochs: 1, FirstEpoch: 1, LastEpoch: 1,
	}}, typedEvents[types.EventRewardsClaimed](f))
	requireCoins(t, coins(t, "99ibc/XYZ,100000umesh"), cat(t, f.epoch(1), types.CategoryPoC).Claimed)
	requireCoins(t, coins(t, "497ibc/XYZ,499999umesh"), f.outstanding())
	has, err := f.k.Points.Has(f.ctx, collections.Join3(a1, uint64(1), types.CategoryPoC))
	require.NoError(t, err)
	require.False(t, has)

	// A second claim: nothing.
	f.requireRejected(types.ErrNothingToClaim, func() error { _, err := f.k.Claim(f.ctx, a1, a1); return err }, "second claim")
	// Someone else for a1, which runs no pool: refused.
	f.requireRejected(types.ErrUnauthorized, func() error { _, err := f.k.Claim(f.ctx, a2, a3); return err }, "third party")

	// a2: 200,000umesh and ⌊199.3333333333333332⌋ = 199ibc; a3: 299,999umesh, 298ibc.
	requireCoins(t, coins(t, "199ibc/XYZ,200000umesh"), f.claim(a2, a2).Amount)
	requireCoins(t, coins(t, "298ibc/XYZ,299999umesh"), f.claim(a3, a3).Amount)
	requireCoins(t, coins(t, "199ibc/XYZ,200000umesh"), f.bal(a2))
	requireCoins(t, coins(t, "298ibc/XYZ,299999umesh"), f.bal(a3))
	e := f.epoch(1)
	for _, c := range e.Categories {
		requireCoins(t, c.Reserved, c.Claimed, c.Category)
	}
	require.True(t, f.outstanding().IsZero())
	requireCoins(t, coins(t, "403ibc/XYZ,400001umesh"), f.modBal(types.ModuleName)) // the carried pot
}

// TestClaimDust: the sum of claims never exceeds reserved; the rounding dust
// stays owed in the module account.
func TestClaimDust(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	f.mintTo(types.ModuleName, coins(t, "20umesh"))
	accs := []sdk.AccAddress{addr("d", 1), addr("d", 2), addr("d", 3)}
	for _, a := range accs {
		f.add(types.CategoryTraining, a, 1)
	}
	s := f.closeEpoch()
	// training: ⌊20 × 0.25⌋ = 5 for 3 points: rate 1.666666666666666666,
	// reserved ⌊4.999999999999999998⌋ = 4; each point pays 1.
	c := cat(t, s, types.CategoryTraining)
	require.Equal(t, "1.666666666666666666umesh", c.Rate.String())
	requireCoins(t, coins(t, "4umesh"), c.Reserved)
	for _, a := range accs {
		requireCoins(t, coins(t, "1umesh"), f.claim(a, a).Amount)
	}
	c = cat(t, f.epoch(1), types.CategoryTraining)
	requireCoins(t, coins(t, "3umesh"), c.Claimed)
	requireCoins(t, coins(t, "1umesh"), f.outstanding()) // the dust stays owed
	requireCoins(t, coins(t, "17umesh"), f.modBal(types.ModuleName))
	requireCoins(t, coins(t, "16umesh"), f.pot())
}

// TestClaimMaxEpochs: a claim pays at most max_epochs_per_claim epochs,
// oldest first, and says more; the next claim pays the rest.
func TestClaimMaxEpochs(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { noEarly(p); p.MaxEpochsPerClaim = 2 }))
	a, other := addr("a", 1), addr("a", 2)
	var want []sdk.Coins
	for i := int64(1); i <= 3; i++ {
		f.mintTo(types.ModuleName, sdk.NewCoins(sdk.NewInt64Coin(denom, 1000*i)))
		f.add(types.CategoryPoC, a, 1)
		f.add(types.CategoryPoC, other, 2)
		s := f.closeEpoch()
		want = append(want, pay(1, cat(t, s, types.CategoryPoC).Rate))
		f.next()
	}
	f.add(types.CategoryPoC, a, 5) // open epoch 4
	// Pots 1000, 700 carried + 2000, 1890 carried + 3000; poc gets 30 % of
	// each for 3 points: rates 100, 270, 489.
	requireCoins(t, coins(t, "100umesh"), want[0])
	requireCoins(t, coins(t, "270umesh"), want[1])
	requireCoins(t, coins(t, "489umesh"), want[2])

	res := f.claim(a, a)
	require.Equal(t, uint32(2), res.Epochs)
	require.True(t, res.More)
	requireCoins(t, want[0].Add(want[1]...), res.Amount)
	ev := typedEvents[types.EventRewardsClaimed](f)
	require.Len(t, ev, 1)
	require.Equal(t, [3]any{uint64(1), uint64(2), true}, [3]any{ev[0].FirstEpoch, ev[0].LastEpoch, ev[0].More})

	res = f.claim(a, a)
	require.Equal(t, uint32(1), res.Epochs)
	require.False(t, res.More)
	requireCoins(t, want[2], res.Amount)
	requireCoins(t, want[0].Add(want[1]...).Add(want[2]...), f.bal(a))
	// The open epoch's points are not paid.
	f.requireRejected(types.ErrNothingToClaim, func() error { _, err := f.k.Claim(f.ctx, a, a); return err })
	pts, err := f.k.Points.Get(f.ctx, collections.Join3(a, uint64(4), types.CategoryPoC))
	require.NoError(t, err)
	require.Equal(t, uint64(5), pts)
}

// TestClaimPool: anyone may claim for a provider that runs a pool; the coins
// go into the pool (commission, then the delegators' index). The provider
// claiming for itself also withdraws what x/pool's Claim pays.
func TestClaimPool(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	prov, prov2, anyone, delegator := addr("prov", 1), addr("prov", 2), addr("anyone", 1), addr("del", 1)
	f.createPool(prov, "0.1")
	f.createPool(prov2, "0.1")
	f.fundAccount(delegator, coins(t, "1000000umesh"))
	_, err := f.pool.Delegate(f.ctx, delegator, prov2, sdk.NewInt64Coin(denom, 1_000_000))
	require.NoError(t, err)
	// 1000 points each in poc, from a pot that pays each exactly 1000umesh and 10ibc.
	f.mintTo(types.ModuleName, coins(t, "6667umesh,67ibc/XYZ"))
	f.add(types.CategoryPoC, prov, 1000)
	f.add(types.CategoryPoC, prov2, 1000)
	s := f.closeEpoch()
	requireCoins(t, coins(t, "20ibc/XYZ,2000umesh"), cat(t, s, types.CategoryPoC).Reserved) // ⌊6667 × 0.3⌋ = 2000, ⌊67 × 0.3⌋ = 20
	f.next()

	// A third party claims for prov: 1000umesh + 10ibc into the pool; 10 %
	// commission (100umesh, 1ibc), the rest over 1,000,000 shares.
	poolBefore := f.modBal(pooltypes.ModuleName)
	f.requireRejected(types.ErrUnauthorized, func() error { _, err := f.k.Claim(f.ctx, anyone, delegator); return err }, "delegator runs no pool")
	res := f.claim(anyone, prov)
	require.Equal(t, &types.MsgClaimRewardsResponse{Amount: coins(t, "10ibc/XYZ,1000umesh"), Epochs: 1, ToPool: true, Withdrawn: sdk.NewCoins()}, res)
	requireCoins(t, poolBefore.Add(coins(t, "10ibc/XYZ,1000umesh")...), f.modBal(pooltypes.ModuleName))
	require.True(t, f.bal(anyone).IsZero())
	require.True(t, f.bal(prov).IsZero())
	p := f.getPool(prov)
	require.Equal(t, "1.000000000000000000ibc/XYZ,100.000000000000000000umesh", p.Commission.String())
	require.Equal(t, "0.000009000000000000ibc/XYZ,0.000900000000000000umesh", p.RewardPerShare.String())
	require.Equal(t, []types.EventRewardsClaimed{{
		Claimant: f.bech(anyone), Account: f.bech(prov), Amount: "10ibc/XYZ,1000umesh", Epochs: 1, FirstEpoch: 1, LastEpoch: 1, ToPool: true,
	}}, typedEvents[types.EventRewardsClaimed](f))
	// prov withdraws through x/pool: commission + self-delegation = all 1000.
	paid, err := f.pool.Claim(f.ctx, prov, prov)
	require.NoError(t, err)
	requireCoins(t, coins(t, "10ibc/XYZ,1000umesh"), paid)
	requireCoins(t, coins(t, "10ibc/XYZ,1000umesh"), f.bal(prov))

	// prov2 claims for itself: into its pool (half its shares are the
	// delegator's), then withdrawn: commission 100 + ⌊900 / 2⌋ = 550umesh;
	// 1 + ⌊9 / 2⌋ = 5ibc.
	cc, _ := f.ctx.CacheContext()
	require.NoError(t, f.pool.AddRewards(cc, types.ModuleName, prov2, coins(t, "10ibc/XYZ,1000umesh")))
	oracle, err := f.pool.Claim(cc, prov2, prov2)
	require.NoError(t, err)
	res = f.claim(prov2, prov2)
	require.True(t, res.ToPool)
	requireCoins(t, coins(t, "10ibc/XYZ,1000umesh"), res.Amount)
	requireCoins(t, oracle, res.Withdrawn)
	requireCoins(t, coins(t, "5ibc/XYZ,550umesh"), res.Withdrawn)
	requireCoins(t, res.Withdrawn, f.bal(prov2))
	ev := typedEvents[types.EventRewardsClaimed](f)
	require.Equal(t, "5ibc/XYZ,550umesh", ev[len(ev)-1].Withdrawn)
	// The delegator's half waits in the pool.
	p2 := f.getPool(prov2)
	del, err := f.pool.GetDelegation(f.ctx, prov2, delegator)
	require.NoError(t, err)
	pending, err := f.pool.PendingRewards(f.ctx, p2, del, false)
	require.NoError(t, err)
	requireCoins(t, coins(t, "4ibc/XYZ,450umesh"), pending)

	require.True(t, f.outstanding().IsZero())
	requireCoins(t, f.pot(), f.modBal(types.ModuleName))
}

// TestClaimMsgServer: MsgClaimRewards with an empty account claims for the
// claimant; bad addresses are ErrInvalidAddress, from ValidateBasic and the
// msg server alike.
func TestClaimMsgServer(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a := addr("a", 1)
	f.mintTo(types.ModuleName, coins(t, "1000umesh"))
	f.add(types.CategoryPoC, a, 3)
	f.closeEpoch()
	for _, msg := range []*types.MsgClaimRewards{
		{Claimant: ""},
		{Claimant: "cosmos1invalid"},
		{Claimant: f.bech(a), Account: "nope"},
	} {
		require.ErrorIs(t, msg.ValidateBasic(), types.ErrInvalidAddress, msg) // refused in CheckTx
		f.requireRejected(types.ErrInvalidAddress, func() error { _, err := f.msg.ClaimRewards(f.ctx, msg); return err }, msg)
	}
	f.requireRejected(types.ErrUnauthorized, func() error {
		_, err := f.msg.ClaimRewards(f.ctx, &types.MsgClaimRewards{Claimant: f.bech(addr("b", 1)), Account: f.bech(a)})
		return err
	})
	res, err := f.msg.ClaimRewards(f.ctx, &types.MsgClaimRewards{Claimant: f.bech(a)})
	require.NoError(t, err)
	requireCoins(t, coins(t, "300umesh"), res.Amount)
	requireCoins(t, coins(t, "300umesh"), f.bal(a))
}

// A stake added to a pool just before its provider's rewards are claimed
// cannot take part of them: x/pool's BeforeSharesChange hook pays the
// provider's closed epochs into the pool at the shares that earned them.
func TestDelegationCannotSnipePoolRewards(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	prov, sniper := addr("prov", 1), addr("sniper", 1)
	f.createPool(prov, "0.1")
	f.mintTo(types.ModuleName, coins(t, "6667umesh"))
	f.add(types.CategoryPoC, prov, 1000)
	f.closeEpoch() // prov is owed ⌊6667 × 0.3⌋ = 2000umesh
	f.next()

	// The sniper delegates 100× the pool's stake; the hook settles first.
	f.fundAccount(sniper, coins(t, "100000000umesh"))
	_, err := f.pool.Delegate(f.ctx, sniper, prov, sdk.NewInt64Coin(denom, 100*selfBond))
	require.NoError(t, err)
	ev := typedEvents[types.EventRewardsClaimed](f)
	require.Len(t, ev, 1)
	require.Equal(t, types.EventRewardsClaimed{Account: f.bech(prov), Amount: "2000umesh", Epochs: 1, FirstEpoch: 1, LastEpoch: 1, ToPool: true}, ev[0])
	require.True(t, f.outstanding().IsZero())

	p := f.getPool(prov)
	del, err := f.pool.GetDelegation(f.ctx, prov, sniper)
	require.NoError(t, err)
	pending, err := f.pool.PendingRewards(f.ctx, p, del, false)
	require.NoError(t, err)
	require.True(t, pending.IsZero(), "nothing for the sniper")
	// Everything is the provider's: 10 % commission + its self-delegation's 90 %.
	paid, err := f.pool.Claim(f.ctx, prov, prov)
	require.NoError(t, err)
	requireCoins(t, coins(t, "2000umesh"), paid)
	f.requireRejected(types.ErrNothingToClaim, func() error { _, err := f.k.Claim(f.ctx, prov, prov); return err }, "settled by the hook")
}
