package keeper_test

import (
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	pooltypes "github.com/llmesh/mesh/x/pool/types"
	"github.com/llmesh/mesh/x/rewards/types"
)

// TestConservation runs 50 epochs of random inflows (fee collector and
// protocol fees), random points, random claims (by the account, by third
// parties, into pools) and a params change that drops a category, with every
// bonus on (quality, speed, early contributor, stability, and x/pool's
// loyalty bonus, whose delegations cross its threshold and cap during the
// run), and checks after every block and epoch, to the unit:
//
//	fees + protocol fees in = rewards balance + Σ paid + DAO + fee collector
//	rewards balance = pot + Outstanding, Outstanding = Σ (reserved − claimed)
//	Σ claimed = Σ paid ≤ Σ reserved, and Σ paid is where the claims sent it.
func TestConservation(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { p.EarlyContributors = 5; p.MaxEpochsPerClaim = 3 }),
		withPoolParams(func(p *pooltypes.Params) {
			// An hour a block, 150 blocks: loyalty starts after a day and is
			// capped three days later.
			p.LoyaltyThreshold, p.LoyaltyBpsPerDay, p.LoyaltyMaxBps = 24*time.Hour, 1000, 2000
		}))
	f.ctx = f.ctx.WithBlockTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	next := func() { f.next(); f.ctx = f.ctx.WithBlockTime(f.ctx.BlockTime().Add(time.Hour)) }
	rng := rand.New(rand.NewSource(7))

	const nAccounts, nProviders = 40, 6
	accounts := make([]sdk.AccAddress, nAccounts)
	for i := range accounts {
		accounts[i] = addr("acct", i)
	}
	providers := accounts[:nProviders]
	commissions := []string{"0", "0.05", "0.1", "0.2", "0.1", "0.3"}
	for i, p := range providers {
		f.createPool(p, commissions[i])
	}
	delegators := []sdk.AccAddress{addr("deleg", 1), addr("deleg", 2), addr("deleg", 3)}
	for i, d := range delegators {
		f.fundAccount(d, sdk.NewCoins(sdk.NewInt64Coin(denom, 300_000)))
		_, err := f.pool.Delegate(f.ctx, d, providers[i], sdk.NewInt64Coin(denom, 300_000))
		require.NoError(t, err)
	}
	stakes := f.modBal(pooltypes.ModuleName)
	next()

	in := sdk.NewCoins() // everything minted into the fee collector and the protocol account
	paid := sdk.NewCoins()
	var claims, toPool, refused int

	check := func(where string) {
		t.Helper()
		rewardsBal := f.modBal(types.ModuleName)
		// fees in = rewards + paid + DAO + fee collector (+ protocol fees not yet swept)
		out := rewardsBal.Add(paid...).Add(f.modBal(types.TreasuryModuleName)...).
			Add(f.modBal(authtypes.FeeCollectorName)...).Add(f.modBal(types.ProtocolFeeAccount)...)
		requireCoins(t, in, out, "%s: coins in != coins out", where)

		owed := f.outstanding()
		pot, neg := rewardsBal.SafeSub(owed...)
		require.False(t, neg, "%s: balance %s below Outstanding %s", where, rewardsBal, owed)
		requireCoins(t, pot, f.pot(), where)

		sumOwed, sumClaimed, sumReserved := sdk.NewCoins(), sdk.NewCoins(), sdk.NewCoins()
		current := f.current()
		require.NoError(t, f.k.Epochs.Walk(f.ctx, nil, func(n uint64, e types.EpochSummary) (bool, error) {
			if n == current {
				require.Zero(t, e.EndHeight, where)
				return false, nil
			}
			reserved := sdk.NewCoins()
			for _, c := range e.Categories {
				require.True(t, c.Claimed.IsAllLTE(c.Reserved), "%s: epoch %d %s claimed %s > reserved %s", where, n, c.Category, c.Claimed, c.Reserved)
				require.True(t, c.Reserved.IsAllLTE(c.Allocated), "%s: epoch %d %s", where, n, c.Category)
				reserved = reserved.Add(c.Reserved...)
				sumClaimed = sumClaimed.Add(c.Claimed...)
				sumOwed = sumOwed.Add(c.Reserved...).Sub(c.Claimed...)
			}
			requireCoins(t, e.Pot, reserved.Add(e.Carried...), "%s: epoch %d pot != reserved + carried", where, n)
			sumReserved = sumReserved.Add(reserved...)
			return false, nil
		}))
		requireCoins(t, sumOwed, owed, "%s: Outstanding", where)
		requireCoins(t, sumClaimed, paid, "%s: Σ claimed != Σ paid", where)
		require.True(t, paid.IsAllLTE(sumReserved), where)

		// Where the paid coins are: accounts without a pool, the pools, and
		// what providers and delegators withdrew from them.
		held := f.modBal(pooltypes.ModuleName).Sub(stakes...)
		for _, a := range accounts {
			held = held.Add(f.bal(a)...)
		}
		for _, d := range delegators {
			held = held.Add(f.bal(d)...)
		}
		requireCoins(t, paid, held, "%s: paid coins not where claims sent them", where)
	}

	randCoins := func(maxUmesh, maxIBC int64) sdk.Coins {
		c := sdk.NewCoins()
		if rng.Intn(5) > 0 {
			c = c.Add(sdk.NewInt64Coin(denom, rng.Int63n(maxUmesh)+1))
		}
		if rng.Intn(3) == 0 {
			c = c.Add(sdk.NewInt64Coin(ibc, rng.Int63n(maxIBC)+1))
		}
		return c
	}
	categories := []string{types.CategoryPoC, types.CategoryInference, types.CategoryTraining, types.CategoryData}

	for epoch := 1; epoch <= 50; epoch++ {
		switch epoch {
		case 20: // drop data while it has open points: they earn nothing
			p := f.params()
			p.Categories = []types.CategoryWeight{{Name: types.CategoryPoC, WeightBps: 4000}, {Name: types.CategoryInference, WeightBps: 3500}, {Name: types.CategoryTraining, WeightBps: 2500}}
			_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
			require.NoError(t, err)
		case 35:
			_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: func() types.Params {
				p := types.DefaultParams()
				p.EarlyContributors, p.MaxEpochsPerClaim = 5, 3
				return p
			}()})
			require.NoError(t, err)
		}

		for b := 0; b < 3; b++ {
			fees, proto := randCoins(2_000_000, 5000), sdk.NewCoins()
			if rng.Intn(2) == 0 {
				proto = randCoins(50_000, 100)
			}
			if !fees.IsZero() {
				f.mintTo(authtypes.FeeCollectorName, fees)
			}
			if !proto.IsZero() {
				f.mintTo(types.ProtocolFeeAccount, proto)
			}
			in = in.Add(fees...).Add(proto...)

			collected, swept, before := f.modBal(authtypes.FeeCollectorName), f.modBal(types.ProtocolFeeAccount), f.modBal(types.ModuleName)
			dao := f.modBal(types.TreasuryModuleName)
			params := f.params()
			require.NoError(t, f.k.BeginBlocker(f.ctx))
			compute, treasury := bpsFloor(collected, params.ComputeShareBps), bpsFloor(collected, params.TreasuryShareBps)
			requireCoins(t, before.Add(compute...).Add(swept...), f.modBal(types.ModuleName), "epoch %d block %d: rewards", epoch, b)
			requireCoins(t, dao.Add(treasury...), f.modBal(types.TreasuryModuleName), "epoch %d block %d: dao", epoch, b)
			requireCoins(t, collected.Sub(compute...).Sub(treasury...), f.modBal(authtypes.FeeCollectorName))
			check("block")
			next()
		}

		known := f.params()
		for i := 0; i < 30; i++ {
			a := accounts[rng.Intn(nAccounts)]
			c := categories[rng.Intn(len(categories))]
			var opts []types.PointsOption
			if rng.Intn(2) == 0 {
				opts = append(opts, types.WithQuality(uint32(8000+rng.Intn(2001))))
			}
			if rng.Intn(2) == 0 {
				opts = append(opts, types.WithLatency(uint64(rng.Intn(10))))
			}
			if rng.Intn(2) == 0 {
				opts = append(opts, types.WithPassStreak(uint64(rng.Intn(30)))) // the stability bonus, capped at 20 epochs
			}
			_, err := f.k.AddPoints(f.ctx, c, a, uint64(rng.Intn(10_000)+1), opts...)
			if _, ok := known.Weight(c); !ok {
				require.ErrorIs(t, err, types.ErrUnknownCategory)
				continue
			}
			require.NoError(t, err)
		}

		for i := 0; i < 12; i++ {
			account := accounts[rng.Intn(nAccounts)]
			claimant := account
			if rng.Intn(3) == 0 {
				claimant = accounts[rng.Intn(nAccounts)]
			}
			hasPool, err := f.pool.HasPool(f.ctx, account)
			require.NoError(t, err)
			want, wantEpochs, wantMore := f.priced(account, known.MaxEpochsPerClaim)
			accountBal, poolBal := f.bal(account), f.modBal(pooltypes.ModuleName)
			res, err := f.k.Claim(f.ctx, claimant, account)
			switch {
			case !hasPool && !claimant.Equals(account):
				require.ErrorIs(t, err, types.ErrUnauthorized)
				refused++
				continue
			case wantEpochs == 0:
				require.ErrorIs(t, err, types.ErrNothingToClaim)
				continue
			}
			require.NoError(t, err)
			claims++
			requireCoins(t, want, res.Amount, "claim for %s", account)
			require.Equal(t, wantEpochs, res.Epochs)
			require.Equal(t, wantMore, res.More)
			require.Equal(t, hasPool, res.ToPool)
			paid = paid.Add(res.Amount...)
			if hasPool {
				toPool++
				requireCoins(t, poolBal.Add(res.Amount...).Sub(res.Withdrawn...), f.modBal(pooltypes.ModuleName))
				requireCoins(t, accountBal.Add(res.Withdrawn...), f.bal(account))
				if !claimant.Equals(account) {
					require.True(t, res.Withdrawn.IsZero())
				}
			} else {
				requireCoins(t, accountBal.Add(res.Amount...), f.bal(account))
			}
		}
		// Delegators withdraw from the pools now and then.
		if rng.Intn(4) == 0 {
			d := rng.Intn(len(delegators))
			_, err := f.pool.Claim(f.ctx, delegators[d], providers[d])
			require.NoError(t, err)
		}
		check("claims")

		f.closeEpoch()
		check("close")
		next()
	}

	// Everyone claims everything: what stays owed is rounding dust, at most
	// one unit per participant, category and denom.
	for _, a := range accounts {
		for {
			res, err := f.k.Claim(f.ctx, a, a)
			if err != nil {
				require.ErrorIs(t, err, types.ErrNothingToClaim)
				break
			}
			paid = paid.Add(res.Amount...)
		}
	}
	check("end")
	dust := f.outstanding()
	var participants uint64
	require.NoError(t, f.k.Epochs.Walk(f.ctx, nil, func(_ uint64, e types.EpochSummary) (bool, error) {
		for _, c := range e.Categories {
			participants += c.Participants
		}
		return false, nil
	}))
	for _, c := range dust {
		require.True(t, c.Amount.LTE(math.NewIntFromUint64(participants)), "dust %s for %d participants", c, participants)
	}
	require.False(t, paid.IsZero())

	// Every pool pays out what came in, the loyalty bonuses included: once
	// every delegation and provider has claimed (twice, for the forfeits
	// passed on), the pools hold their stakes plus decimal dust.
	bonuses := 0
	for round := 0; round < 2; round++ {
		for i, d := range delegators {
			_, err := f.pool.Claim(f.ctx, d, providers[i])
			require.NoError(t, err)
		}
		for _, p := range providers {
			_, err := f.pool.Claim(f.ctx, p, p)
			require.NoError(t, err)
		}
	}
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type == "mesh.pool.v1.EventLoyaltyBonus" {
			bonuses++
		}
	}
	check("pools emptied")
	left := f.modBal(pooltypes.ModuleName).Sub(stakes...)
	for _, c := range left {
		require.True(t, c.Amount.LTE(math.NewInt(int64(2*(len(providers)+len(delegators))))), "pools keep %s beyond their stakes", left)
	}
	require.Positive(t, bonuses, "no loyalty bonus was settled")
	t.Logf("in %s, paid %s in %d claims (%d into pools, %d refused), dust %s, pot %s; pools keep %s, %d loyalty settlements at the end",
		in, paid, claims, toPool, refused, dust, f.pot(), left, bonuses)
}

// bpsFloor is ⌊c × bps / 10000⌋ per denom, in big.Int.
func bpsFloor(c sdk.Coins, bps uint32) sdk.Coins {
	out := sdk.NewCoins()
	for _, coin := range c {
		x := new(big.Int).Mul(coin.Amount.BigInt(), big.NewInt(int64(bps)))
		x.Quo(x, big.NewInt(types.BpsScale))
		if x.Sign() > 0 {
			out = out.Add(sdk.NewCoin(coin.Denom, math.NewIntFromBigInt(x)))
		}
	}
	return out
}

// priced is what a claim for account must pay, priced here from its points
// records and the closed epochs' rates: at most maxEpochs oldest closed epochs.
func (f *fixture) priced(account sdk.AccAddress, maxEpochs uint32) (amount sdk.Coins, epochs uint32, more bool) {
	f.t.Helper()
	current := f.current()
	amount = sdk.NewCoins()
	last := uint64(0)
	it, err := f.k.Points.Iterate(f.ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, uint64, string](account))
	require.NoError(f.t, err)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		require.NoError(f.t, err)
		n := kv.Key.K2()
		if n >= current {
			break
		}
		if n != last {
			if epochs == maxEpochs {
				return amount, epochs, true
			}
			epochs++
			last = n
		}
		e := f.epoch(n)
		if c := e.Category(kv.Key.K3()); c != nil {
			amount = amount.Add(pay(kv.Value, c.Rate)...)
		}
	}
	return amount, epochs, false
}
