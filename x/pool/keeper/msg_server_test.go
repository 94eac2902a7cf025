package keeper_test

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/llmesh/mesh/x/pool/types"
)

// maxInt is the largest math.Int (2^256 − 1): far above any balance.
var maxInt = math.NewIntFromBigInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)))

func TestCreatePool(t *testing.T) {
	f := newFixture(t)
	f.fund(provider, 150_000_000)
	res, err := f.ms.CreatePool(f.ctx, &types.MsgCreatePool{
		Provider: f.str(provider), SelfBond: sdk.NewInt64Coin(denom, 120_000_000), CommissionRate: math.LegacyMustNewDecFromStr("0.05"),
	})
	require.NoError(t, err)
	require.Equal(t, math.LegacyNewDec(120_000_000), res.Shares)
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventPoolCreated"))

	pool := f.pool(provider)
	require.Equal(t, f.str(provider), pool.Provider)
	require.Equal(t, math.NewInt(120_000_000), pool.Tokens)
	require.Equal(t, math.LegacyNewDec(120_000_000), pool.Shares)
	require.Equal(t, int64(1), pool.CreatedHeight)
	require.Equal(t, math.NewInt(30_000_000), f.balance(provider))
	require.Equal(t, math.NewInt(120_000_000), f.moduleBalance())

	self, err := f.k.SelfStake(f.ctx, provider)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(120_000_000), self)
	ok, err := f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestCreatePoolBadInputs(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.fund(alice, 500_000_000)
	rate := math.LegacyMustNewDecFromStr("0.05")
	msg := func(p sdk.AccAddress, c sdk.Coin, r math.LegacyDec) func() error {
		return func() error {
			_, err := f.ms.CreatePool(f.ctx, &types.MsgCreatePool{Provider: f.str(p), SelfBond: c, CommissionRate: r})
			return err
		}
	}
	coin := func(amt math.Int) sdk.Coin { return sdk.Coin{Denom: denom, Amount: amt} }
	cases := map[string]struct {
		fn   func() error
		want error
	}{
		"zero amount":        {msg(alice, coin(math.ZeroInt()), rate), types.ErrInvalidAmount},
		"negative amount":    {msg(alice, coin(math.NewInt(-5)), rate), types.ErrInvalidAmount},
		"nil amount":         {msg(alice, sdk.Coin{Denom: denom}, rate), types.ErrInvalidAmount},
		"overflowing amount": {msg(alice, coin(maxInt), rate), sdkerrors.ErrInsufficientFunds},
		"wrong denom":        {msg(alice, sdk.NewInt64Coin("uatom", 200_000_000), rate), types.ErrInvalidDenom},
		"invalid denom":      {msg(alice, sdk.Coin{Denom: "1x", Amount: math.NewInt(200_000_000)}, rate), types.ErrInvalidDenom},
		"below base min":     {msg(alice, coin(math.NewInt(99_999_999)), rate), types.ErrSelfBondTooLow},
		"double create":      {msg(provider, coin(math.NewInt(100_000_000)), rate), types.ErrPoolExists},
		"commission above max": {
			msg(alice, coin(math.NewInt(100_000_000)), math.LegacyMustNewDecFromStr("0.51")), types.ErrInvalidCommission,
		},
		"commission above one":  {msg(alice, coin(math.NewInt(100_000_000)), math.LegacyNewDec(2)), types.ErrInvalidCommission},
		"negative commission":   {msg(alice, coin(math.NewInt(100_000_000)), math.LegacyNewDec(-1)), types.ErrInvalidCommission},
		"missing commission":    {msg(alice, coin(math.NewInt(100_000_000)), math.LegacyDec{}), types.ErrInvalidCommission},
		"more than the balance": {msg(alice, coin(math.NewInt(500_000_001)), rate), sdkerrors.ErrInsufficientFunds},
		"bad address": {func() error {
			_, err := f.ms.CreatePool(f.ctx, &types.MsgCreatePool{Provider: "mesh1nope", SelfBond: coin(math.NewInt(100_000_000)), CommissionRate: rate})
			return err
		}, types.ErrInvalidAddress},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}
}

func TestDelegateBadInputs(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.fund(alice, 1_000)
	del := func(p sdk.AccAddress, c sdk.Coin) func() error {
		return func() error {
			_, err := f.ms.Delegate(f.ctx, &types.MsgDelegate{Delegator: f.str(alice), Provider: f.str(p), Amount: c})
			return err
		}
	}
	cases := map[string]struct {
		fn   func() error
		want error
	}{
		"zero amount":        {del(provider, sdk.NewInt64Coin(denom, 0)), types.ErrInvalidAmount},
		"negative amount":    {del(provider, sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}), types.ErrInvalidAmount},
		"nil amount":         {del(provider, sdk.Coin{Denom: denom}), types.ErrInvalidAmount},
		"overflowing amount": {del(provider, sdk.Coin{Denom: denom, Amount: maxInt}), sdkerrors.ErrInsufficientFunds},
		"more than balance":  {del(provider, sdk.NewInt64Coin(denom, 1_001)), sdkerrors.ErrInsufficientFunds},
		"wrong denom":        {del(provider, sdk.NewInt64Coin("uatom", 10)), types.ErrInvalidDenom},
		"no pool":            {del(stranger, sdk.NewInt64Coin(denom, 10)), types.ErrPoolNotFound},
		"bad provider": {func() error {
			_, err := f.ms.Delegate(f.ctx, &types.MsgDelegate{Delegator: f.str(alice), Provider: "x", Amount: sdk.NewInt64Coin(denom, 10)})
			return err
		}, types.ErrInvalidAddress},
		"empty delegator": {func() error {
			_, err := f.ms.Delegate(f.ctx, &types.MsgDelegate{Provider: f.str(provider), Amount: sdk.NewInt64Coin(denom, 10)})
			return err
		}, types.ErrInvalidAddress},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}

	// A pool slashed to zero tokens, with shares outstanding, takes no deposits.
	_, err := f.k.Slash(f.ctx, provider, math.LegacyOneDec(), "test", 1)
	require.NoError(t, err)
	f.requireFailsCleanly(types.ErrPoolInsolvent, del(provider, sdk.NewInt64Coin(denom, 10)))
}

func TestUndelegateBadInputs(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.delegate(alice, provider, 1_000)
	undel := func(d sdk.AccAddress, c sdk.Coin) func() error {
		return func() error {
			_, err := f.ms.Undelegate(f.ctx, &types.MsgUndelegate{Delegator: f.str(d), Provider: f.str(provider), Amount: c})
			return err
		}
	}
	cases := map[string]struct {
		fn   func() error
		want error
	}{
		"zero amount":             {undel(alice, sdk.NewInt64Coin(denom, 0)), types.ErrInvalidAmount},
		"negative amount":         {undel(alice, sdk.Coin{Denom: denom, Amount: math.NewInt(-1)}), types.ErrInvalidAmount},
		"overflowing amount":      {undel(alice, sdk.Coin{Denom: denom, Amount: maxInt}), types.ErrInsufficientStake},
		"more than owned":         {undel(alice, sdk.NewInt64Coin(denom, 1_001)), types.ErrInsufficientStake},
		"wrong denom":             {undel(alice, sdk.NewInt64Coin("uatom", 1)), types.ErrInvalidDenom},
		"no delegation":           {undel(stranger, sdk.NewInt64Coin(denom, 1)), types.ErrDelegationNotFound},
		"provider more than self": {undel(provider, sdk.NewInt64Coin(denom, 100_000_001)), types.ErrInsufficientStake},
		"no pool": {func() error {
			_, err := f.ms.Undelegate(f.ctx, &types.MsgUndelegate{Delegator: f.str(alice), Provider: f.str(stranger), Amount: sdk.NewInt64Coin(denom, 1)})
			return err
		}, types.ErrPoolNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) { f.requireFailsCleanly(tc.want, tc.fn) })
	}

	// The max_unbonding_entries cap (7) per (delegator, provider).
	for i := 0; i < 7; i++ {
		f.undelegate(alice, provider, 1)
	}
	f.requireFailsCleanly(types.ErrMaxUnbondingEntries, undel(alice, sdk.NewInt64Coin(denom, 1)))
	// Another delegator in the same pool is not affected.
	f.undelegate(provider, provider, 1)
}

func TestUnjail(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	unjail := func(p sdk.AccAddress) func() error {
		return func() error {
			_, err := f.ms.Unjail(f.ctx, &types.MsgUnjail{Provider: f.str(p)})
			return err
		}
	}
	f.requireFailsCleanly(types.ErrNotJailed, unjail(provider))
	f.requireFailsCleanly(types.ErrPoolNotFound, unjail(stranger))

	require.NoError(t, f.k.Jail(f.ctx, provider, 10))
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventJailed"))
	require.NoError(t, f.k.Jail(f.ctx, provider, 5)) // never shortens
	pool := f.pool(provider)
	require.True(t, pool.Jailed)
	require.Equal(t, int64(10), pool.JailedUntil)
	ok, err := f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)
	require.ErrorIs(t, f.k.Jail(f.ctx, provider, -1), types.ErrInvalidHeight)
	require.ErrorIs(t, f.k.Jail(f.ctx, stranger, 10), types.ErrPoolNotFound)

	// Too early: height 9 < 10. A stranger cannot unjail someone else's pool
	// (its own pool is looked up, and it has none).
	f.ctx = f.ctx.WithBlockHeight(9)
	f.requireFailsCleanly(types.ErrJailPeriodNotOver, unjail(provider))
	f.requireFailsCleanly(types.ErrPoolNotFound, unjail(stranger))

	// Under the minimum: 2 compute units need 120 MESH; the pool has 100.
	f.ctx = f.ctx.WithBlockHeight(10)
	require.NoError(t, f.k.SetComputeUnits(f.ctx, provider, 2))
	f.requireFailsCleanly(types.ErrSelfStakeTooLow, unjail(provider))

	// Top the self-stake up, then unjail.
	f.delegate(provider, provider, 20_000_000)
	require.NoError(t, unjail(provider)())
	pool = f.pool(provider)
	require.False(t, pool.Jailed)
	require.Zero(t, pool.JailedUntil)
	ok, err = f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestClaimBadInputs(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	require.NoError(t, banktestutilFundModule(f, 1_000))
	require.NoError(t, f.k.AddRewards(f.ctx, rewardSource, provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 1_000))))

	claim := func(d, p sdk.AccAddress) func() error {
		return func() error {
			_, err := f.ms.Claim(f.ctx, &types.MsgClaim{Delegator: f.str(d), Provider: f.str(p)})
			return err
		}
	}
	f.requireFailsCleanly(types.ErrDelegationNotFound, claim(stranger, provider))
	f.requireFailsCleanly(types.ErrPoolNotFound, claim(stranger, stranger))
	f.requireFailsCleanly(types.ErrInvalidAddress, func() error {
		_, err := f.ms.Claim(f.ctx, &types.MsgClaim{Delegator: "", Provider: f.str(provider)})
		return err
	})
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	update := func(authority string, p types.Params) func() error {
		return func() error {
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: authority, Params: p})
			return err
		}
	}
	good := types.DefaultParams()
	good.MaxUnbondingsPerBlock = 7
	f.requireFailsCleanly(types.ErrInvalidSigner, update(f.str(stranger), good))

	invalid := map[string]func(p *types.Params){
		"empty denom":          func(p *types.Params) { p.BondDenom = "" },
		"negative base":        func(p *types.Params) { p.BaseMinStake = math.NewInt(-1) },
		"nil per unit":         func(p *types.Params) { p.PerUnitStake = math.Int{} },
		"zero period":          func(p *types.Params) { p.UnbondingPeriod = 0 },
		"zero per block":       func(p *types.Params) { p.MaxUnbondingsPerBlock = 0 },
		"zero entries":         func(p *types.Params) { p.MaxUnbondingEntries = 0 },
		"unspecified slash":    func(p *types.Params) { p.SlashDestination = types.SLASH_DESTINATION_UNSPECIFIED },
		"unknown slash":        func(p *types.Params) { p.SlashDestination = 9 },
		"commission above one": func(p *types.Params) { p.MaxCommissionRate = math.LegacyNewDec(2) },
	}
	for name, mutate := range invalid {
		t.Run(name, func(t *testing.T) {
			p := types.DefaultParams()
			mutate(&p)
			f.requireFailsCleanly(types.ErrInvalidParams, update(f.authority, p))
		})
	}

	require.NoError(t, update(f.authority, good)())
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventParamsUpdated"))
	got, err := f.qs.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, good, got.Params)

	// bond_denom is frozen once stake exists.
	f.createPool(provider, 100_000_000, "0.1")
	other := good
	other.BondDenom = "uother"
	f.requireFailsCleanly(types.ErrInvalidParams, update(f.authority, other))
}

func banktestutilFundModule(f *fixture, amt int64) error {
	coins := sdk.NewCoins(sdk.NewInt64Coin(denom, amt))
	if err := f.bk.MintCoins(f.ctx, "mint", coins); err != nil {
		return err
	}
	return f.bk.SendCoinsFromModuleToModule(f.ctx, "mint", rewardSource, coins)
}
