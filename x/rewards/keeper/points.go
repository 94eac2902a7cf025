package keeper

import (
	"context"
	"errors"
	"math/bits"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// AddPoints credits account with points for verified work in a category of
// the open epoch and returns the points credited. Multipliers apply now, in
// this order, each rounding down: quality (a WithQuality measure at or above
// quality_threshold_bps), speed (a WithLatency measure of at most
// speed_max_latency_blocks), early contributor (the account is among the
// first early_contributors accounts ever credited in the category),
// stability (a WithPassStreak run of passed PoC epochs; Params.StabilityBonusBps).
//
// Errors (nothing written): zero points, an empty account, a category not
// in params, and a total that overflows uint64. The cost is O(categories),
// independent of how many accounts earn points.
func (k Keeper) AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, opts ...types.PointsOption) (uint64, error) {
	if points == 0 {
		return 0, errorsmod.Wrap(types.ErrInvalidPoints, "points must be positive")
	}
	if len(account) == 0 {
		return 0, errorsmod.Wrap(types.ErrInvalidAddress, "empty account")
	}
	accStr := k.addrString(account)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if _, ok := params.Weight(category); !ok {
		return 0, errorsmod.Wrapf(types.ErrUnknownCategory, "%q", category)
	}

	contributorKey := collections.Join(category, account)
	index, newContributor, err := k.contributorIndex(ctx, contributorKey)
	if err != nil {
		return 0, err
	}
	credited, bonuses, err := withBonuses(params, points, types.ApplyOptions(opts), index < params.EarlyContributors)
	if err != nil {
		return 0, err
	}

	epoch, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return 0, err
	}
	key := collections.Join3(account, epoch, category)
	prev, err := k.Points.Get(ctx, key)
	newParticipant := errors.Is(err, collections.ErrNotFound)
	if err != nil && !newParticipant {
		return 0, err
	}
	total, carry := bits.Add64(prev, credited, 0)
	if carry != 0 {
		return 0, errorsmod.Wrapf(types.ErrPointsOverflow, "%s has %d points in %s of epoch %d; %d more overflow", accStr, prev, category, epoch, credited)
	}
	summary, err := k.Epochs.Get(ctx, epoch)
	if err != nil {
		return 0, err
	}

	// All checks passed: write.
	if newContributor {
		if err := k.Contributors.Set(ctx, contributorKey, index); err != nil {
			return 0, err
		}
		if err := k.ContributorCount.Set(ctx, category, index+1); err != nil {
			return 0, err
		}
	}
	if err := k.Points.Set(ctx, key, total); err != nil {
		return 0, err
	}
	addToSummary(&summary, category, credited, newParticipant)
	if err := k.Epochs.Set(ctx, epoch, summary); err != nil {
		return 0, err
	}
	return credited, kit.Emit(ctx, &types.EventPointsAdded{
		Category: category, Account: accStr, Epoch: epoch, BasePoints: points, Points: credited, Bonuses: strings.Join(bonuses, ","),
	})
}

// contributorIndex returns the account's arrival index in the category, or,
// for a new contributor, the index it would get.
func (k Keeper) contributorIndex(ctx context.Context, key collections.Pair[string, sdk.AccAddress]) (uint64, bool, error) {
	index, err := k.Contributors.Get(ctx, key)
	if !errors.Is(err, collections.ErrNotFound) {
		return index, false, err
	}
	index, err = k.ContributorCount.Get(ctx, key.K1())
	if errors.Is(err, collections.ErrNotFound) {
		return 0, true, nil
	}
	return index, true, err
}

// withBonuses applies the quality, speed and early-contributor multipliers
// that the measures earn, in that order, each rounding down, and names them.
func withBonuses(params types.Params, points uint64, m types.Measures, early bool) (uint64, []string, error) {
	var applied []string
	for _, b := range []struct {
		name string
		on   bool
		bps  uint32
	}{
		{"quality", m.QualityBps != nil && *m.QualityBps >= params.QualityThresholdBps, params.QualityBonusBps},
		{"speed", m.LatencyBlocks != nil && *m.LatencyBlocks <= params.SpeedMaxLatencyBlocks, params.SpeedBonusBps},
		{"early", early, params.EarlyBonusBps},
		{"stability", m.PassStreak > 0, params.StabilityBonusBps(m.PassStreak)},
	} {
		if !b.on || b.bps == 0 {
			continue
		}
		v, ok := withBonus(points, b.bps)
		if !ok {
			return 0, nil, errorsmod.Wrapf(types.ErrPointsOverflow, "%d points with the %s bonus", points, b.name)
		}
		points = v
		applied = append(applied, b.name)
	}
	return points, applied, nil
}

// addToSummary adds credited points (and a participant, if new) to the
// category's entry in the open epoch's summary.
func addToSummary(summary *types.EpochSummary, category string, credited uint64, newParticipant bool) {
	c := summary.Category(category)
	if c == nil {
		summary.Categories = append(summary.Categories, types.CategoryEpoch{Category: category, Points: math.ZeroInt()})
		c = &summary.Categories[len(summary.Categories)-1]
	}
	c.Points = c.Points.Add(math.NewIntFromUint64(credited))
	if newParticipant {
		c.Participants++
	}
}

// withBonus returns ⌊x × (10000 + bps) / 10000⌋ and false on uint64 overflow.
func withBonus(x uint64, bps uint32) (uint64, bool) {
	hi, lo := bits.Mul64(x, types.BpsScale+uint64(bps))
	if hi >= types.BpsScale {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, types.BpsScale)
	return q, true
}
