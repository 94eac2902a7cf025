package types

import (
	"fmt"
	"regexp"

	errorsmod "cosmossdk.io/errors"
)

// DefaultEpochIdentifier is the proof-of-compute epoch of x/epochs.
const DefaultEpochIdentifier = "compute"

// Limits on params.
const (
	// MaxCategories caps the categories (epoch close is O(categories × denoms)).
	MaxCategories = 16
	// MaxBonusBps caps each multiplier at +1000%.
	MaxBonusBps = 100_000
	// MaxEpochsPerClaim caps max_epochs_per_claim (a claim's gas).
	MaxEpochsPerClaim = 1_000
)

var categoryName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// DefaultParams: 60 / 20 / 20 (compute / validators / treasury), categories
// poc 30%, inference 30%, training 25%, data 15%, +50% quality at 90%, +20%
// speed within 5 blocks, +100% for a category's first 100 accounts, half of
// every tx fee burned, +1% per passed epoch in a row up to +20% stability.
func DefaultParams() Params {
	return Params{
		ComputeShareBps:  6000,
		TreasuryShareBps: 2000,
		Categories: []CategoryWeight{
			{Name: CategoryPoC, WeightBps: 3000},
			{Name: CategoryInference, WeightBps: 3000},
			{Name: CategoryTraining, WeightBps: 2500},
			{Name: CategoryData, WeightBps: 1500},
		},
		MaxEpochsPerClaim:         100,
		QualityThresholdBps:       9000,
		QualityBonusBps:           5000,
		SpeedMaxLatencyBlocks:     5,
		SpeedBonusBps:             2000,
		EarlyContributors:         100,
		EarlyBonusBps:             10_000,
		EpochIdentifier:           DefaultEpochIdentifier,
		FeeBurnBps:                5000,
		StabilityBonusBpsPerEpoch: 100,
		StabilityBonusMaxBps:      2000,
	}
}

// Validate checks the shares, the categories and the multipliers.
func (p Params) Validate() error {
	if uint64(p.ComputeShareBps)+uint64(p.TreasuryShareBps) > BpsScale {
		return errorsmod.Wrapf(ErrInvalidParams, "compute_share_bps %d + treasury_share_bps %d exceed %d (100%%)", p.ComputeShareBps, p.TreasuryShareBps, BpsScale)
	}
	if len(p.Categories) == 0 || len(p.Categories) > MaxCategories {
		return errorsmod.Wrapf(ErrInvalidParams, "%d categories, want 1 to %d", len(p.Categories), MaxCategories)
	}
	var sum uint64
	seen := make(map[string]bool, len(p.Categories))
	for _, c := range p.Categories {
		if err := ValidateCategoryName(c.Name); err != nil {
			return errorsmod.Wrap(ErrInvalidParams, err.Error())
		}
		if seen[c.Name] {
			return errorsmod.Wrapf(ErrInvalidParams, "category %q listed twice", c.Name)
		}
		seen[c.Name] = true
		sum += uint64(c.WeightBps)
	}
	if sum != BpsScale {
		return errorsmod.Wrapf(ErrInvalidParams, "category weights sum to %d, want %d", sum, BpsScale)
	}
	if p.MaxEpochsPerClaim == 0 || p.MaxEpochsPerClaim > MaxEpochsPerClaim {
		return errorsmod.Wrapf(ErrInvalidParams, "max_epochs_per_claim %d, want 1 to %d", p.MaxEpochsPerClaim, MaxEpochsPerClaim)
	}
	if p.QualityThresholdBps > BpsScale {
		return errorsmod.Wrapf(ErrInvalidParams, "quality_threshold_bps %d above %d", p.QualityThresholdBps, BpsScale)
	}
	if p.FeeBurnBps > BpsScale {
		return errorsmod.Wrapf(ErrInvalidParams, "fee_burn_bps %d above %d (100%%)", p.FeeBurnBps, BpsScale)
	}
	for _, b := range []struct {
		name string
		bps  uint32
	}{{"quality_bonus_bps", p.QualityBonusBps}, {"speed_bonus_bps", p.SpeedBonusBps}, {"early_bonus_bps", p.EarlyBonusBps},
		{"stability_bonus_bps_per_epoch", p.StabilityBonusBpsPerEpoch}, {"stability_bonus_max_bps", p.StabilityBonusMaxBps}} {
		if b.bps > MaxBonusBps {
			return errorsmod.Wrapf(ErrInvalidParams, "%s %d above %d", b.name, b.bps, MaxBonusBps)
		}
	}
	if p.EpochIdentifier == "" || len(p.EpochIdentifier) > 64 {
		return errorsmod.Wrapf(ErrInvalidParams, "epoch_identifier %q: want 1 to 64 characters", p.EpochIdentifier)
	}
	return nil
}

// Weight returns the category's weight and whether params list it.
func (p Params) Weight(category string) (uint32, bool) {
	for _, c := range p.Categories {
		if c.Name == category {
			return c.WeightBps, true
		}
	}
	return 0, false
}

// ValidateCategoryName checks a category name's syntax.
func ValidateCategoryName(name string) error {
	if !categoryName.MatchString(name) {
		return fmt.Errorf("category name %q: want 1–32 of a-z 0-9 _ - starting with a letter or digit", name)
	}
	return nil
}
