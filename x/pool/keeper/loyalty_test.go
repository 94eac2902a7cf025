package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

const day = 24 * time.Hour

// loyaltyParams: the bonus starts after 10 days, rises 1 % a day and reaches
// its 20 % cap at 30 days.
func loyaltyParams(p *types.Params) {
	p.LoyaltyThreshold = 10 * day
	p.LoyaltyBpsPerDay = 100
	p.LoyaltyMaxBps = 2000
}

func newLoyaltyFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, loyaltyParams)
}

func (f *fixture) delegation(d, p sdk.AccAddress) *types.QueryDelegationResponse {
	f.t.Helper()
	q, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(p), Delegator: f.str(d)})
	require.NoError(f.t, err)
	return q
}

func coins(amt int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(denom, amt)) }

func TestLoyaltyBonusRateBoundaries(t *testing.T) {
	var p types.Params
	loyaltyParams(&p)
	secs := func(d time.Duration) int64 { return int64(d / time.Second) }
	for _, tc := range []struct {
		name string
		age  int64
		want string
	}{
		{"new", 0, "0"},
		{"one second before the threshold", secs(10*day) - 1, "0"},
		{"exactly at the threshold", secs(10 * day), "0"},
		{"one second past it", secs(10*day) + 1, "0.001157407407407407"},
		{"one day past it", secs(11 * day), "100"},
		{"one second before the cap", secs(30*day) - 1, "1999.998842592592592592"},
		{"exactly at the cap", secs(30 * day), "2000"},
		{"years past the cap", secs(3000 * day), "2000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, keeper.LoyaltyBonusBps(p, tc.age).Equal(math.LegacyMustNewDecFromStr(tc.want)))
		})
	}
	p.LoyaltyMaxBps = 0
	require.True(t, keeper.LoyaltyBonusBps(p, secs(3000*day)).IsZero(), "loyalty_max_bps 0 turns the bonus off")
}

// TestLoyaltyQueryShowsAgeAndRate: `meshd q pool delegation` shows the age and
// the bonus rate, which rise with time and stop at the cap.
func TestLoyaltyQueryShowsAgeAndRate(t *testing.T) {
	f := newLoyaltyFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 100_000_000)
	for _, tc := range []struct {
		after time.Duration
		bps   uint32
	}{{10 * day, 0}, {day, 100}, {19 * day, 2000}, {5 * day, 2000}} {
		f.nextBlock(tc.after)
		q := f.delegation(alice, provider)
		require.Equal(t, int64(f.ctx.BlockTime().Sub(t0)/time.Second), q.AgeSeconds)
		require.Equal(t, tc.bps, q.LoyaltyBonusBps, "age %s", f.ctx.BlockTime().Sub(t0))
	}
	require.Equal(t, t0, f.delegation(alice, provider).Delegation.BondedSince)
}

// TestLoyaltyIsFundedFromThePool: a delegation at the cap earns its plain
// pro-rata share (as if nothing were held back); a new one forfeits its part
// of the reserve to the others; nothing is minted and everything added is
// paid out, to the unit up to decimal dust.
func TestLoyaltyIsFundedFromThePool(t *testing.T) {
	f := newLoyaltyFixture(t)
	f.createPool(provider, 100_000_000, "0") // 1e8 shares
	f.delegate(alice, provider, 100_000_000) // 1e8
	f.nextBlock(40 * day)
	f.delegate(bob, provider, 200_000_000) // 2e8, age 0
	bonded := f.pool(provider).Tokens
	supply := f.supply()

	// 4.8M: 4M raises the index by 0.01 a share, 0.8M is held back (2000/12000).
	f.addRewards(provider, coins(4_800_000))
	pool := f.pool(provider)
	require.Equal(t, sdk.NewDecCoins(sdk.NewInt64DecCoin(denom, 800_000)), pool.LoyaltyReserve)
	require.Equal(t, sdk.NewDecCoins(sdk.NewInt64DecCoin(denom, 4_000_000)), pool.UnsettledRewards)

	// Alice, 40 days bonded: earned 1M plus her whole 0.2M part of the
	// reserve — 1/4 of 4.8M, exactly her pro-rata share.
	require.Equal(t, "1200000umesh", f.pending(alice, provider).String())
	require.Equal(t, "1200000umesh", f.claim(alice, provider).String())
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventLoyaltyBonus"))

	// Bob, new: his 2M, and his 0.4M part goes to alice and the provider.
	require.Equal(t, "2000000umesh", f.claim(bob, provider).String())
	// The reserve kept 0.8M − 0.2M − 0.4M, plus 1/6 of the 0.4M passed on.
	require.Equal(t, "266666.666666666666666667umesh", f.pool(provider).LoyaltyReserve.String())

	// The provider: 1M + half of bob's 0.4M, all at the cap → 1.2M + 0.2M.
	paidProvider := f.claim(provider, provider).AmountOf(denom)
	paidAlice := f.claim(alice, provider).AmountOf(denom)
	require.Equal(t, int64(1_399_999), paidProvider.Int64())
	require.Equal(t, int64(199_999), paidAlice.Int64())

	// Conservation: supply unchanged, the module holds the bonded tokens
	// plus exactly what is still owed as decimals, and that is dust.
	require.Equal(t, supply.AddRaw(4_800_000), f.supply())
	paid := int64(1_200_000 + 2_000_000 + 1_399_999 + 199_999)
	require.Equal(t, bonded.AddRaw(4_800_000-paid), f.moduleBalance())
	require.LessOrEqual(t, 4_800_000-paid, int64(3))

	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
}

// TestLoyaltyTopUpAndUndelegation: the tokens an undelegation moves take
// their age with them — the rest keeps bonded_since — and tokens that come
// back start at age zero, so the delegation's age becomes the share-weighted
// average.
func TestLoyaltyTopUpAndUndelegation(t *testing.T) {
	f := newLoyaltyFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 100_000_000)
	f.nextBlock(20 * day)
	require.Equal(t, uint32(1000), f.delegation(alice, provider).LoyaltyBonusBps)

	f.undelegate(alice, provider, 50_000_000)
	q := f.delegation(alice, provider)
	require.Equal(t, t0, q.Delegation.BondedSince, "the half left keeps its age")
	require.Equal(t, uint32(1000), q.LoyaltyBonusBps)

	// Re-delegating the half moved: half the shares at 20 days, half at 0.
	f.delegate(alice, provider, 50_000_000)
	q = f.delegation(alice, provider)
	require.Equal(t, int64(10*24*3600), q.AgeSeconds)
	require.Equal(t, uint32(0), q.LoyaltyBonusBps, "exactly at the threshold again")

	// A top-up of 3× the stake at 20 days leaves a quarter of the age.
	f.nextBlock(10 * day) // age 20 days
	f.delegate(alice, provider, 300_000_000)
	require.Equal(t, int64(5*24*3600), f.delegation(alice, provider).AgeSeconds)
}

// TestLoyaltyClaimCadence: on the ramp the bonus is linear in time, so a
// delegator who claims every day and one who claims once get the same. (The
// provider never claims here, so no forfeit comes back to alice.)
func TestLoyaltyClaimCadence(t *testing.T) {
	run := func(claimDaily bool) int64 {
		f := newLoyaltyFixture(t)
		f.createPool(provider, 100_000_000, "0")
		f.delegate(alice, provider, 100_000_000)
		f.nextBlock(12 * day)
		paid := int64(0)
		for i := 0; i < 16; i++ { // ages 12..27 days: all on the ramp
			f.addRewards(provider, coins(1_000_000))
			if claimDaily {
				paid += f.claim(alice, provider).AmountOf(denom).Int64()
			}
			f.nextBlock(day)
		}
		paid += f.claim(alice, provider).AmountOf(denom).Int64()
		return paid
	}
	daily, once := run(true), run(false)
	t.Logf("daily %d, once %d", daily, once)
	require.Greater(t, daily, int64(16_000_000/2*10_000/12_000), "more than the index part of half of 16M")
	require.InDelta(t, once, daily, 20, "daily %d, once %d", daily, once)
}

// TestLoyaltyParamChangeCannotOverdraw: lowering loyalty_max_bps to 0 after
// rewards were held back still drains the reserve to the delegators.
func TestLoyaltyParamChangeCannotOverdraw(t *testing.T) {
	f := newLoyaltyFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 300_000_000)
	f.nextBlock(35 * day)
	bonded := f.pool(provider).Tokens
	f.addRewards(provider, coins(1_200_000))

	params, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	params.LoyaltyMaxBps = 0
	_, err = f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
	require.NoError(t, err)
	f.addRewards(provider, coins(1_000_000))

	// With the bonus off, nobody earns a bonus: each claimant passes its
	// part of the 0.2M reserve on. The provider: 1/4 of the index (0.25M +
	// 0.25M), forfeiting 50k; alice: 3/4 (0.75M + 0.75M) plus those 50k,
	// forfeiting the last 150k back to the provider. The index rounds the
	// 50k passed on down, so alice is one unit short: dust that stays.
	require.Equal(t, int64(500_000), f.claim(provider, provider).AmountOf(denom).Int64())
	require.Equal(t, int64(1_549_999), f.claim(alice, provider).AmountOf(denom).Int64())
	require.Equal(t, int64(150_000), f.claim(provider, provider).AmountOf(denom).Int64())
	require.True(t, f.pool(provider).LoyaltyReserve.IsZero(), "reserve %s", f.pool(provider).LoyaltyReserve)
	require.Equal(t, bonded.AddRaw(1), f.moduleBalance())
}

// BenchmarkClaimLoyalty: a delegator's claim costs the same in a pool of 10
// and of 10,000 delegations; the loyalty bonus adds no walk.
func BenchmarkClaimLoyalty(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("delegations=%d", n), func(b *testing.B) {
			f := newLoyaltyFixture(b)
			f.createPool(provider, 100_000_000, "0.1")
			for i := 0; i < n-2; i++ {
				f.delegate(sdk.AccAddress(fmt.Sprintf("delegator%011d", i)), provider, 1_000_000)
			}
			f.delegate(alice, provider, 100_000_000)
			f.nextBlock(40 * day)
			f.fund(f.ak.GetModuleAddress(rewardSource), int64(b.N)*1_000_000)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := f.k.AddRewards(f.ctx, rewardSource, provider, coins(1_000_000)); err != nil {
					b.Fatal(err)
				}
				if _, err := f.k.Claim(f.ctx, alice, provider); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLoyaltyGenesisRoundTrip: the reserve, the indexes and the ages survive
// an export and import, and the next claims pay the same on both chains.
func TestLoyaltyGenesisRoundTrip(t *testing.T) {
	f := newLoyaltyFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.delegate(alice, provider, 100_000_000)
	f.nextBlock(20 * day)
	f.delegate(bob, provider, 50_000_000)
	f.addRewards(provider, coins(3_000_000))
	f.claim(bob, provider) // forfeits into the index: every field is non-trivial
	f.nextBlock(15 * day)
	f.addRewards(provider, coins(1_000_000))

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.False(t, exported.Pools[0].LoyaltyReserve.IsZero())
	require.False(t, exported.Pools[0].RewardTimeIndex.IsZero())
	bz := f.cdc.Codec.MustMarshalJSON(exported)

	g := newLoyaltyFixture(t)
	g.ctx = g.ctx.WithBlockTime(f.ctx.BlockTime())
	g.importFrom(f, bz)
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.JSONEq(t, string(bz), string(g.cdc.Codec.MustMarshalJSON(again)))

	for _, d := range []sdk.AccAddress{alice, bob, provider} {
		require.Equal(t, f.claim(d, provider), g.claim(d, provider), "claim of %s", d)
	}
}

// TestLoyaltyBadParams: UpdateParams refuses a cap above 100 % and a cap
// with no slope, and changes nothing.
func TestLoyaltyBadParams(t *testing.T) {
	f := newLoyaltyFixture(t)
	for _, edit := range []func(*types.Params){
		func(p *types.Params) { p.LoyaltyMaxBps = types.MaxLoyaltyMaxBps + 1 },
		func(p *types.Params) { p.LoyaltyBpsPerDay = 0 },
		func(p *types.Params) { p.LoyaltyThreshold = -time.Second },
	} {
		params, err := f.k.Params.Get(f.ctx)
		require.NoError(t, err)
		edit(&params)
		f.requireFailsCleanly(types.ErrInvalidParams, func() error {
			_, err := f.ms.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: params})
			return err
		})
	}
}
