package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Bounds of params.
const (
	MaxInlineBound     = 64 * 1024
	MaxAnnotatorsBound = 16
	MaxRoundsBound     = 1000
	MaxParticipants    = 64
	MaxAggregators     = 16
	MaxTaskWorkers     = 256
	BpsScale           = 10_000
)

// DefaultParams: 1 KiB inline items, 1 MESH annotation stake, 3 labels per
// item, a slash of half the stake at 3 strikes, 1000 data points per
// agreeing label, 10 MESH minimum budget, up to 100 rounds of 16
// participants and 7 aggregators, 10-block phases, 10 % of a round's budget
// to the aggregators, 1 % aggregator slash.
func DefaultParams() Params {
	return Params{
		MaxInlineItemBytes:      1024,
		AnnotationStake:         sdk.NewInt64Coin("umesh", 1_000_000),
		AnnotatorsPerItem:       3,
		MaxDisagreements:        3,
		AnnotationSlashBps:      5000,
		DataPointsPerLabel:      1000,
		MinTaskBudget:           sdk.NewInt64Coin("umesh", 10_000_000),
		MaxRounds:               100,
		MaxParticipants:         16,
		MaxAggregators:          7,
		MaxTaskWorkers:          64,
		CommitBlocks:            10,
		RevealBlocks:            10,
		AggregateBlocks:         10,
		AggregatorShareBps:      1000,
		AggregatorSlashFraction: math.LegacyNewDecWithPrec(1, 2),
		TrainingPointsPerSample: 10,
		MaxRoundsPerBlock:       50,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	switch {
	case p.MaxInlineItemBytes == 0 || p.MaxInlineItemBytes > MaxInlineBound:
		return errorsmod.Wrapf(ErrInvalidParams, "max_inline_item_bytes %d: want 1 to %d", p.MaxInlineItemBytes, MaxInlineBound)
	case !p.AnnotationStake.IsValid():
		return errorsmod.Wrapf(ErrInvalidParams, "annotation_stake %s", p.AnnotationStake)
	case p.AnnotatorsPerItem == 0 || p.AnnotatorsPerItem > MaxAnnotatorsBound:
		return errorsmod.Wrapf(ErrInvalidParams, "annotators_per_item %d: want 1 to %d", p.AnnotatorsPerItem, MaxAnnotatorsBound)
	case p.MaxDisagreements == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_disagreements must be positive")
	case p.AnnotationSlashBps > BpsScale:
		return errorsmod.Wrapf(ErrInvalidParams, "annotation_slash_bps %d above %d", p.AnnotationSlashBps, BpsScale)
	case !p.MinTaskBudget.IsValid() || !p.MinTaskBudget.IsPositive():
		return errorsmod.Wrapf(ErrInvalidParams, "min_task_budget %s must be positive", p.MinTaskBudget)
	case p.MaxRounds == 0 || p.MaxRounds > MaxRoundsBound:
		return errorsmod.Wrapf(ErrInvalidParams, "max_rounds %d: want 1 to %d", p.MaxRounds, MaxRoundsBound)
	case p.MaxParticipants == 0 || p.MaxParticipants > MaxParticipants:
		return errorsmod.Wrapf(ErrInvalidParams, "max_participants %d: want 1 to %d", p.MaxParticipants, MaxParticipants)
	case p.MaxAggregators == 0 || p.MaxAggregators > MaxAggregators:
		return errorsmod.Wrapf(ErrInvalidParams, "max_aggregators %d: want 1 to %d", p.MaxAggregators, MaxAggregators)
	case p.MaxTaskWorkers == 0 || p.MaxTaskWorkers > MaxTaskWorkers:
		return errorsmod.Wrapf(ErrInvalidParams, "max_task_workers %d: want 1 to %d", p.MaxTaskWorkers, MaxTaskWorkers)
	case p.CommitBlocks <= 0 || p.RevealBlocks <= 0 || p.AggregateBlocks <= 0:
		return errorsmod.Wrap(ErrInvalidParams, "commit_blocks, reveal_blocks and aggregate_blocks must be positive")
	case p.AggregatorShareBps > BpsScale:
		return errorsmod.Wrapf(ErrInvalidParams, "aggregator_share_bps %d above %d", p.AggregatorShareBps, BpsScale)
	case p.AggregatorSlashFraction.IsNil() || p.AggregatorSlashFraction.IsNegative() || p.AggregatorSlashFraction.GT(math.LegacyOneDec()):
		return errorsmod.Wrap(ErrInvalidParams, "aggregator_slash_fraction must be in [0, 1]")
	case p.MaxRoundsPerBlock == 0:
		return errorsmod.Wrap(ErrInvalidParams, "max_rounds_per_block must be positive")
	}
	return nil
}
