package keeper

import (
	"context"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// The loyalty bonus.
//
// A delegation's bonus rate b(age) is 0 until its age passes
// loyalty_threshold, then rises by loyalty_bps_per_day per day of age up to
// loyalty_max_bps. Age counts from bonded_since. The bonus is funded from the
// pool's own delegator rewards, never minted:
//
//   - distribute (AddRewards) holds back max/(10000+max) of the delegators'
//     part in the pool's loyalty_reserve. The rest raises the index, and what
//     the index now owes is added to unsettled_rewards.
//   - When a delegation settles what the index owes it (earned), its part of
//     the reserve is reserve × earned / unsettled.
//   - It keeps earned × b / 10000 of that part as bonus. b is taken at the
//     delegation's age when, on average, those rewards were added: the
//     reward-weighted mean time (Δ reward_time_index / Δ reward_per_share).
//     So claiming often or rarely pays the same.
//   - It forfeits the rest of its part to the pool's other delegators, through
//     the same split. A pool's only delegation keeps it.
//
// A delegation at the cap thus gets the whole of its part of the reserve:
// its plain pro-rata share of the delegators' rewards, as if nothing were held
// back, plus its share of younger delegations' forfeits. Every step is
// O(denoms): nothing walks delegations. A change of loyalty_max_bps cannot
// over-draw the reserve, because a delegation's part is priced by
// unsettled_rewards, not by the param.

const secondsPerDay = 24 * 60 * 60

// settlement is what settle did beyond the plain index payout.
type settlement struct {
	bonus, forfeited sdk.DecCoins
}

// settle moves what the delegation earned since its last settlement into
// PendingRewards (rounded down), with its loyalty bonus, and marks the pool's
// indexes as paid. It changes the pool (reserve, index, unsettled rewards),
// so callers write both back. It must run before every change of the
// delegation's shares.
func settle(params types.Params, now time.Time, pool *types.Pool, del *types.Delegation) settlement {
	// A delegation written before the loyalty bonus existed has no age; it
	// starts at its first settlement.
	if del.BondedSince.IsZero() {
		del.BondedSince = now
	}
	var out settlement
	if del.Shares.IsPositive() {
		earned := pool.RewardPerShare.Sub(del.RewardPerSharePaid).MulDecTruncate(del.Shares)
		del.PendingRewards = del.PendingRewards.Add(earned...)
		out = settleLoyalty(params, now.Unix(), pool, del, earned)
	}
	del.RewardPerSharePaid = cloneDecCoins(pool.RewardPerShare)
	del.RewardTimeIndexPaid = cloneDecCoins(pool.RewardTimeIndex)
	return out
}

// settleLoyalty draws the delegation's part of the reserve for earned, pays
// it the bonus it earned and passes on the rest. Forfeits are credited at
// the time of the rewards they came from, so they earn the same bonus rate.
func settleLoyalty(params types.Params, now int64, pool *types.Pool, del *types.Delegation, earned sdk.DecCoins) settlement {
	part := sdk.DecCoins{}
	unsettled := sdk.DecCoins{}
	for _, c := range pool.UnsettledRewards {
		e := earned.AmountOf(c.Denom)
		held := pool.LoyaltyReserve.AmountOf(c.Denom)
		if e.GTE(c.Amount) {
			// Rounding dust aside this is the last claim on the denom.
			part = part.Add(sdk.NewDecCoinFromDec(c.Denom, held))
			continue
		}
		part = part.Add(sdk.NewDecCoinFromDec(c.Denom, held.Mul(e).QuoTruncate(c.Amount)))
		unsettled = unsettled.Add(sdk.NewDecCoinFromDec(c.Denom, c.Amount.Sub(e)))
	}
	pool.UnsettledRewards = unsettled
	pool.LoyaltyReserve = pool.LoyaltyReserve.Sub(part)

	bonus := sdk.DecCoins{}
	forfeited := sdk.DecCoins{}
	others := pool.Shares.Sub(del.Shares)
	for _, c := range part {
		when := min(rewardTime(pool, del, c.Denom), now)
		rate := LoyaltyBonusBps(params, when-del.BondedSince.Unix())
		b := math.LegacyMinDec(earned.AmountOf(c.Denom).Mul(rate).QuoInt64Mut(types.BpsScale), c.Amount)
		bonus = bonus.Add(sdk.NewDecCoinFromDec(c.Denom, b))
		f := sdk.NewDecCoinFromDec(c.Denom, c.Amount.Sub(b))
		forfeited = forfeited.Add(f)
		if others.IsPositive() {
			distribute(params, pool, sdk.DecCoins{f}, others, when)
		} else {
			del.PendingRewards = del.PendingRewards.Add(f)
		}
	}
	del.PendingRewards = del.PendingRewards.Add(bonus...)
	return settlement{bonus: bonus, forfeited: forfeited}
}

// rewardTime is the reward-weighted mean unix time of what the delegation
// settles in denom: Δ reward_time_index / Δ reward_per_share, 0 when nothing
// was added.
func rewardTime(pool *types.Pool, del *types.Delegation, denom string) int64 {
	di := pool.RewardPerShare.AmountOf(denom).Sub(del.RewardPerSharePaid.AmountOf(denom))
	if !di.IsPositive() {
		return 0
	}
	dj := pool.RewardTimeIndex.AmountOf(denom).Sub(del.RewardTimeIndexPaid.AmountOf(denom))
	if !dj.IsPositive() {
		return 0
	}
	return dj.Quo(di).TruncateInt64()
}

// distribute credits amt to the holders of shares through the pool's index,
// as earned at unix time, holding back the loyalty reserve's part. The index
// increment is rounded down; the dust stays in the module account.
func distribute(params types.Params, pool *types.Pool, amt sdk.DecCoins, shares math.LegacyDec, unix int64) {
	if amt.IsZero() || !shares.IsPositive() {
		return
	}
	toIndex := amt
	if params.LoyaltyMaxBps > 0 {
		// Rounding the index part down rounds the reserve up, so the
		// reserve always covers max_bps of what the index pays.
		toIndex = amt.MulDecTruncate(math.LegacyNewDec(types.BpsScale)).QuoDecTruncate(math.LegacyNewDec(types.BpsScale + int64(params.LoyaltyMaxBps)))
		pool.LoyaltyReserve = pool.LoyaltyReserve.Add(amt.Sub(toIndex)...)
	}
	inc := toIndex.QuoDecTruncate(shares)
	if inc.IsZero() {
		return
	}
	pool.RewardPerShare = pool.RewardPerShare.Add(inc...)
	pool.RewardTimeIndex = pool.RewardTimeIndex.Add(inc.MulDec(math.LegacyNewDec(max(unix, 0)))...)
	pool.UnsettledRewards = pool.UnsettledRewards.Add(inc.MulDecTruncate(shares)...)
}

// LoyaltyBonusBps is the bonus rate, in basis points, of a delegation of
// age seconds: 0 up to the threshold, then rising linearly to the cap.
func LoyaltyBonusBps(params types.Params, age int64) math.LegacyDec {
	x := age - int64(params.LoyaltyThreshold/time.Second)
	if x <= 0 || params.LoyaltyBpsPerDay == 0 || params.LoyaltyMaxBps == 0 {
		return math.LegacyZeroDec()
	}
	rate := math.LegacyNewDec(x).MulInt64(int64(params.LoyaltyBpsPerDay)).QuoInt64(secondsPerDay)
	return math.LegacyMinDec(rate, math.LegacyNewDec(int64(params.LoyaltyMaxBps)))
}

// ageSeconds is the whole seconds from since to t, never negative.
func ageSeconds(since, t time.Time) int64 {
	return max(t.Unix()-since.Unix(), 0)
}

// topUpSince moves bonded_since forward for a deposit of added shares onto
// held shares: the share-weighted average of the old age and zero, rounded
// to the younger second.
func topUpSince(since, now time.Time, held, added math.LegacyDec) time.Time {
	total := held.Add(added)
	age := ageSeconds(since, now)
	if !total.IsPositive() || age == 0 {
		return now
	}
	forward := math.LegacyNewDec(age).Mul(added).Quo(total).Ceil().TruncateInt64()
	return time.Unix(since.Unix()+forward, 0).UTC()
}

// minDecCoins is the per-denom minimum of a and b, over a's denoms.
func minDecCoins(a, b sdk.DecCoins) sdk.DecCoins {
	out := sdk.DecCoins{}
	for _, c := range a {
		out = out.Add(sdk.NewDecCoinFromDec(c.Denom, math.LegacyMinDec(c.Amount, b.AmountOf(c.Denom))))
	}
	return out
}

// settleAndEmit runs settle at the block's time and emits EventLoyaltyBonus
// when the bonus or the forfeit is not zero.
func (k Keeper) settleAndEmit(ctx context.Context, params types.Params, pool *types.Pool, del *types.Delegation) error {
	out := settle(params, sdk.UnwrapSDKContext(ctx).BlockTime(), pool, del)
	if out.bonus.IsZero() && out.forfeited.IsZero() {
		return nil
	}
	return kit.Emit(ctx, &types.EventLoyaltyBonus{
		Provider: del.Provider, Delegator: del.Delegator, Bonus: out.bonus.String(), Forfeited: out.forfeited.String(),
	})
}
