package simulation

import (
	"context"
	"math/big"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

// Each factory reads the real keeper's state to build a message that must
// succeed; when none can be built it skips (reporter.Skip), so a delivery
// error is always a finding, never noise.

// MsgCreatePoolFactory opens a pool for an account that has none, with a
// self-bond between the minimum and its balance.
func MsgCreatePoolFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCreatePool] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreatePool) {
		params := mustParams(ctx, k, reporter)
		if reporter.IsSkipped() {
			return nil, nil
		}
		provider := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(sdk.NewCoin(params.BondDenom, params.BaseMinStake.AddRaw(1))),
			simsx.SimAccountFilterFn(func(a simsx.SimAccount) bool {
				has, err := k.Pools.Has(ctx, a.Address)
				return err == nil && !has
			}))
		if reporter.IsSkipped() {
			return nil, nil
		}
		bal := provider.LiquidBalance().AmountOf(params.BondDenom)
		// at most half the balance: the account still pays fees and delegates later
		bond := randIntBetween(testData.Rand(), params.BaseMinStake, maxInt(params.BaseMinStake, bal.QuoRaw(2)))
		coin := sdk.NewCoin(params.BondDenom, bond)
		if !provider.LiquidBalance().BlockAmount(coin) {
			reporter.Skip("balance below the self-bond")
			return nil, nil
		}
		maxPct := params.MaxCommissionRate.MulInt64(100).TruncateInt64()
		rate := math.LegacyNewDecWithPrec(testData.Rand().Int63n(maxPct+1), 2)
		return []simsx.SimAccount{provider}, &types.MsgCreatePool{Provider: provider.AddressBech32, SelfBond: coin, CommissionRate: rate}
	}
}

// MsgDelegateFactory delegates part of an account's balance to a solvent pool.
func MsgDelegateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgDelegate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDelegate) {
		params := mustParams(ctx, k, reporter)
		pool, ok := randomPool(ctx, k, testData, func(p types.Pool) bool { return !p.Shares.IsPositive() || p.Tokens.IsPositive() })
		if reporter.IsSkipped() || !ok {
			reporter.Skip("no solvent pool")
			return nil, nil
		}
		from := testData.AnyAccount(reporter, simsx.WithDenomBalance(params.BondDenom))
		if reporter.IsSkipped() {
			return nil, nil
		}
		coin := from.LiquidBalance().RandSubsetCoin(reporter, params.BondDenom)
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{from}, &types.MsgDelegate{Delegator: from.AddressBech32, Provider: pool.Provider, Amount: coin}
	}
}

// MsgUndelegateFactory unbonds part (sometimes all) of a delegation's value,
// below the max_unbonding_entries cap.
func MsgUndelegateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUndelegate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUndelegate) {
		params := mustParams(ctx, k, reporter)
		if reporter.IsSkipped() {
			return nil, nil
		}
		var picked *types.Delegation
		var value math.Int
		dels := delegations(ctx, k, testData)
		testData.Rand().Shuffle(len(dels), func(i, j int) { dels[i], dels[j] = dels[j], dels[i] })
		for _, d := range dels {
			provider, delegator := mustAddr(d.Provider), mustAddr(d.Delegator)
			pool, err := k.Pools.Get(ctx, provider)
			if err != nil || !pool.Shares.IsPositive() {
				continue
			}
			val := d.Shares.MulInt(pool.Tokens).QuoTruncate(pool.Shares).TruncateInt()
			if !val.IsPositive() {
				continue
			}
			if n := countEntries(ctx, k, delegator, provider); n >= params.MaxUnbondingEntries {
				continue
			}
			picked, value = &d, val
			break
		}
		if picked == nil {
			reporter.Skip("no delegation to undelegate from")
			return nil, nil
		}
		from := testData.GetAccount(reporter, picked.Delegator)
		amount := value
		if testData.Rand().Intn(4) != 0 {
			amount = randIntBetween(testData.Rand(), math.OneInt(), value)
		}
		return []simsx.SimAccount{from}, &types.MsgUndelegate{
			Delegator: picked.Delegator, Provider: picked.Provider, Amount: sdk.NewCoin(params.BondDenom, amount),
		}
	}
}

// MsgClaimFactory claims a delegation's rewards (a provider's claim also
// takes the pool's commission).
func MsgClaimFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgClaim] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgClaim) {
		dels := delegations(ctx, k, testData)
		if len(dels) == 0 {
			reporter.Skip("no delegation")
			return nil, nil
		}
		d := dels[testData.Rand().Intn(len(dels))]
		from := testData.GetAccount(reporter, d.Delegator)
		return []simsx.SimAccount{from}, &types.MsgClaim{Delegator: d.Delegator, Provider: d.Provider}
	}
}

// MsgUnjailFactory unjails a pool whose jail is over and whose self-stake
// meets the minimum for its compute units.
func MsgUnjailFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnjail] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnjail) {
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		pool, ok := randomPool(ctx, k, testData, func(p types.Pool) bool {
			if !p.Jailed || h < p.JailedUntil {
				return false
			}
			addr := mustAddr(p.Provider)
			self, err := k.SelfStake(ctx, addr)
			if err != nil {
				return false
			}
			min, err := k.MinSelfStake(ctx, p.ComputeUnits)
			return err == nil && self.GTE(min)
		})
		if !ok {
			reporter.Skip("no pool to unjail")
			return nil, nil
		}
		from := testData.GetAccount(reporter, pool.Provider)
		return []simsx.SimAccount{from}, &types.MsgUnjail{Provider: pool.Provider}
	}
}

func mustParams(ctx context.Context, k keeper.Keeper, reporter simsx.SimulationReporter) types.Params {
	p, err := k.Params.Get(ctx)
	if err != nil {
		reporter.Skipf("params: %s", err)
	}
	return p
}

// randomPool picks a pool with a simulated provider that passes keep.
func randomPool(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, keep func(types.Pool) bool) (types.Pool, bool) {
	var pools []types.Pool
	_ = k.Pools.Walk(ctx, nil, func(_ sdk.AccAddress, p types.Pool) (bool, error) {
		if testData.HasAccount(p.Provider) && keep(p) {
			pools = append(pools, p)
		}
		return false, nil
	})
	if len(pools) == 0 {
		return types.Pool{}, false
	}
	return pools[testData.Rand().Intn(len(pools))], true
}

// delegations lists the delegations of simulated accounts, in store order.
func delegations(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource) []types.Delegation {
	var out []types.Delegation
	_ = k.Delegations.Walk(ctx, nil, func(_ collections.Pair[sdk.AccAddress, sdk.AccAddress], d types.Delegation) (bool, error) {
		if testData.HasAccount(d.Delegator) {
			out = append(out, d)
		}
		return false, nil
	})
	return out
}

func countEntries(ctx context.Context, k keeper.Keeper, delegator, provider sdk.AccAddress) uint32 {
	var n uint32
	rng := collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](delegator, provider)
	_ = k.UnbondingsByDelegator.Walk(ctx, rng, func(collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
		n++
		return false, nil
	})
	return n
}

func mustAddr(s string) sdk.AccAddress {
	a, err := sdk.AccAddressFromBech32(s)
	if err != nil {
		panic(err)
	}
	return a
}

// randIntBetween is a uniform integer in [lo, hi] (lo when hi ≤ lo).
func randIntBetween(r *simsx.XRand, lo, hi math.Int) math.Int {
	if hi.LTE(lo) {
		return lo
	}
	span := hi.Sub(lo).AddRaw(1).BigInt()
	return lo.Add(math.NewIntFromBigInt(new(big.Int).Rand(r.Rand, span)))
}

func maxInt(a, b math.Int) math.Int {
	if a.GT(b) {
		return a
	}
	return b
}
