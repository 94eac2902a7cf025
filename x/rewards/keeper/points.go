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
// first early_contributors accounts ever credited in the category).
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

	m := types.ApplyOptions(opts)
	credited := points
	var bonuses []string
	apply := func(name string, bps uint32) error {
		if bps == 0 {
			return nil
		}
		v, ok := withBonus(credited, bps)
		if !ok {
			return errorsmod.Wrapf(types.ErrPointsOverflow, "%d points with the %s bonus", credited, name)
		}
		credited = v
		bonuses = append(bonuses, name)
		return nil
	}
	if m.QualityBps != nil && *m.QualityBps >= params.QualityThresholdBps {
		if err := apply("quality", params.QualityBonusBps); err != nil {
			return 0, err
		}
	}
	if m.LatencyBlocks != nil && *m.LatencyBlocks <= params.SpeedMaxLatencyBlocks {
		if err := apply("speed", params.SpeedBonusBps); err != nil {
			return 0, err
		}
	}
	contributorKey := collections.Join(category, account)
	index, err := k.Contributors.Get(ctx, contributorKey)
	newContributor := errors.Is(err, collections.ErrNotFound)
	if err != nil && !newContributor {
		return 0, err
	}
	if newContributor {
		if index, err = k.ContributorCount.Get(ctx, category); err != nil && !errors.Is(err, collections.ErrNotFound) {
			return 0, err
		}
	}
	if index < params.EarlyContributors {
		if err := apply("early", params.EarlyBonusBps); err != nil {
			return 0, err
		}
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
	c := summary.Category(category)
	if c == nil {
		summary.Categories = append(summary.Categories, types.CategoryEpoch{Category: category, Points: math.ZeroInt()})
		c = &summary.Categories[len(summary.Categories)-1]
	}
	c.Points = c.Points.Add(math.NewIntFromUint64(credited))
	if newParticipant {
		c.Participants++
	}
	if err := k.Epochs.Set(ctx, epoch, summary); err != nil {
		return 0, err
	}
	return credited, kit.Emit(ctx, &types.EventPointsAdded{
		Category: category, Account: accStr, Epoch: epoch, BasePoints: points, Points: credited, Bonuses: strings.Join(bonuses, ","),
	})
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
