package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

func TestShareMathAndExchangeRateAfterSlash(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	require.Equal(t, math.LegacyNewDec(300_000_000), f.delegate(alice, provider, 300_000_000))

	// Slash 10 %: 40 MESH of 400 leave; shares are untouched, so the rate is 0.9.
	supply := f.supply()
	slashed, err := f.k.Slash(f.ctx, provider, math.LegacyMustNewDecFromStr("0.1"), "fraud", 1)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(40_000_000), slashed)
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventSlashed"))
	pool := f.pool(provider)
	require.Equal(t, math.NewInt(360_000_000), pool.Tokens)
	require.Equal(t, math.LegacyNewDec(400_000_000), pool.Shares)
	require.Equal(t, supply.Sub(slashed), f.supply(), "burned")
	require.Equal(t, math.NewInt(360_000_000), f.moduleBalance())

	self, err := f.k.SelfStake(f.ctx, provider)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(90_000_000), self)
	// 100 MESH self-stake needed, 90 left: no longer eligible.
	ok, err := f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)

	// A new delegation buys shares at the new rate, rounded down: 9 / 0.9 = 10.
	require.Equal(t, math.LegacyNewDec(10), f.delegate(bob, provider, 9))
	// Its token value is floor(10 × 360000009 / 400000010) = 9.
	q, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(provider), Delegator: f.str(bob)})
	require.NoError(t, err)
	require.Equal(t, math.NewInt(9), q.Tokens)

	// Undelegating 1 token burns ceil(1 / 0.9) shares, never fewer: the pool
	// never pays more than the shares are worth.
	before := f.pool(provider)
	res := f.undelegate(bob, provider, 1)
	require.Equal(t, sdk.NewInt64Coin(denom, 1), res.Amount)
	after := f.pool(provider)
	burned := before.Shares.Sub(after.Shares)
	require.True(t, burned.MulInt(before.Tokens).Quo(before.Shares).GTE(math.LegacyOneDec()), "burned %s shares", burned)
	require.Equal(t, before.Tokens.SubRaw(1), after.Tokens)
	// The rate for everyone left did not fall.
	require.True(t, after.Tokens.ToLegacyDec().Quo(after.Shares).GTE(before.Tokens.ToLegacyDec().Quo(before.Shares)))

	// Bob leaves with his full token value: the dust shares go with him and
	// the delegation closes.
	q, err = f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(provider), Delegator: f.str(bob)})
	require.NoError(t, err)
	f.undelegate(bob, provider, q.Tokens.Int64())
	_, err = f.k.GetDelegation(f.ctx, provider, bob)
	require.ErrorIs(t, err, types.ErrDelegationNotFound)
	pool = f.pool(provider)
	dels, err := f.qs.DelegatorDelegations(f.ctx, &types.QueryDelegatorDelegationsRequest{Delegator: f.str(bob)})
	require.NoError(t, err)
	require.Empty(t, dels.Delegations)
	require.Equal(t, math.LegacyNewDec(400_000_000), pool.Shares, "only provider and alice remain")
}

func TestSlashReachesUnbondingsFromInfractionHeight(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 1_000_000)

	// Unbondings at heights 10, 20 and 30.
	ids := map[int64]uint64{}
	for _, h := range []int64{10, 20, 30} {
		f.ctx = f.ctx.WithBlockHeight(h)
		ids[h] = f.undelegate(alice, provider, 100_001).UnbondingId
	}
	f.ctx = f.ctx.WithBlockHeight(40)

	// Slash a third for an infraction at height 20: the pool and the entries
	// created at 20 and 30 pay; the one created at 10 left before it.
	fraction := math.LegacyNewDecWithPrec(1, 0).QuoInt64(3)
	poolBefore := f.pool(provider)
	supply := f.supply()
	total, err := f.k.Slash(f.ctx, provider, fraction, "bad", 20)
	require.NoError(t, err)

	// Amounts round up: ceil(tokens / 3) and ceil(100001 / 3) = 33334.
	fromPool := fraction.MulInt(poolBefore.Tokens).Ceil().TruncateInt()
	require.Equal(t, poolBefore.Tokens.Sub(fromPool), f.pool(provider).Tokens)
	for h, want := range map[int64]int64{10: 100_001, 20: 66_667, 30: 66_667} {
		e, found, err := f.k.GetUnbonding(f.ctx, ids[h])
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, math.NewInt(want), e.Balance, "entry at height %d", h)
		require.Equal(t, math.NewInt(100_001), e.InitialBalance)
	}
	require.Equal(t, fromPool.AddRaw(2*33_334), total)
	require.Equal(t, supply.Sub(total), f.supply())

	// A second slash (fraction 0.9 of initial = 90001 > balance) is capped at
	// each entry's balance.
	total2, err := f.k.Slash(f.ctx, provider, math.LegacyMustNewDecFromStr("0.9"), "again", 30)
	require.NoError(t, err)
	e30, _, _ := f.k.GetUnbonding(f.ctx, ids[30])
	require.True(t, e30.Balance.IsZero())
	e20, _, _ := f.k.GetUnbonding(f.ctx, ids[20])
	require.Equal(t, math.NewInt(66_667), e20.Balance)
	require.True(t, total2.GT(math.NewInt(66_667)))

	// Module balance still backs exactly tokens + unbonding balances.
	sum := f.pool(provider).Tokens
	for _, id := range ids {
		e, _, _ := f.k.GetUnbonding(f.ctx, id)
		sum = sum.Add(e.Balance)
	}
	require.Equal(t, sum, f.moduleBalance())

	// The fully slashed entry pays nothing and closes; the others pay their balance.
	f.nextBlock(types.DefaultUnbondingPeriod)
	aliceBefore := f.balance(alice)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, aliceBefore.AddRaw(100_001+66_667), f.balance(alice))
	require.Equal(t, f.pool(provider).Tokens, f.moduleBalance())
}

func TestSlashToTreasuryAndBadInputs(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	p := types.DefaultParams()
	p.SlashDestination = types.SLASH_DESTINATION_TREASURY
	require.NoError(t, f.k.SetParams(f.ctx, p))

	supply := f.supply()
	total, err := f.k.Slash(f.ctx, provider, math.LegacyMustNewDecFromStr("0.25"), "x", 1)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(25_000_000), total)
	require.Equal(t, supply, f.supply(), "nothing burned")
	require.Equal(t, total, f.balance(f.ak.GetModuleAddress(types.TreasuryModuleName)))

	zero, err := f.k.Slash(f.ctx, provider, math.LegacyZeroDec(), "x", 1)
	require.NoError(t, err)
	require.True(t, zero.IsZero())

	bad := map[string]struct {
		addr     sdk.AccAddress
		fraction math.LegacyDec
		height   int64
		want     error
	}{
		"fraction above one": {provider, math.LegacyMustNewDecFromStr("1.01"), 1, types.ErrInvalidSlashFraction},
		"negative fraction":  {provider, math.LegacyMustNewDecFromStr("-0.1"), 1, types.ErrInvalidSlashFraction},
		"nil fraction":       {provider, math.LegacyDec{}, 1, types.ErrInvalidSlashFraction},
		"future height":      {provider, math.LegacyMustNewDecFromStr("0.1"), 2, types.ErrInvalidHeight},
		"negative height":    {provider, math.LegacyMustNewDecFromStr("0.1"), -1, types.ErrInvalidHeight},
		"no pool":            {stranger, math.LegacyMustNewDecFromStr("0.1"), 1, types.ErrPoolNotFound},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			f.requireFailsCleanly(tc.want, func() error {
				_, err := f.k.Slash(f.ctx, tc.addr, tc.fraction, "x", tc.height)
				return err
			})
		})
	}
}
