package types

import (
	"time"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Limits on params and proposals.
const (
	MaxMultiplierBps      = 100_000 // 10×
	MaxMessagesLimit      = 64
	MaxTitleLength        = 140
	MaxSummaryLength      = 10_000
	MaxMetadataLength     = 512
	MaxAnalysisRedundancy = 16
	// MaxDelegationDepth bounds the walk that rejects delegation cycles.
	MaxDelegationDepth = 32
)

// DefaultParams: 1 MESH minimum lock, locks of 7 days (1×) to 4 years (4×),
// 100 MESH deposit, 7-day voting, 20 % quorum, > 50 % yes, 33.4 % veto,
// 7-day timelock, 7-day execution window, analysis off.
func DefaultParams() Params {
	return Params{
		LockDenom:            "umesh",
		MinLock:              math.NewInt(1_000_000),
		MinLockDuration:      7 * 24 * time.Hour,
		MaxLockDuration:      4 * 365 * 24 * time.Hour,
		MaxMultiplierBps:     40_000,
		MinDeposit:           sdk.NewCoins(sdk.NewInt64Coin("umesh", 100_000_000)),
		VotingPeriod:         7 * 24 * time.Hour,
		QuorumBps:            2000,
		ThresholdBps:         5000,
		VetoThresholdBps:     3340,
		Timelock:             7 * 24 * time.Hour,
		ExecutionWindow:      7 * 24 * time.Hour,
		AnalysisModel:        "",
		AnalysisMaxFee:       sdk.NewInt64Coin("umesh", 10_000),
		AnalysisRedundancy:   3,
		MaxMessages:          16,
		MaxProposalsPerBlock: 32,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	if err := sdk.ValidateDenom(p.LockDenom); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "lock_denom: %v", err)
	}
	if p.MinLock.IsNil() || !p.MinLock.IsPositive() {
		return errorsmod.Wrap(ErrInvalidParams, "min_lock must be positive")
	}
	if p.MinLockDuration <= 0 || p.MaxLockDuration <= p.MinLockDuration {
		return errorsmod.Wrapf(ErrInvalidParams, "lock durations %s…%s: want 0 < min < max", p.MinLockDuration, p.MaxLockDuration)
	}
	if p.MaxMultiplierBps < BpsScale || p.MaxMultiplierBps > MaxMultiplierBps {
		return errorsmod.Wrapf(ErrInvalidParams, "max_multiplier_bps %d: want %d to %d", p.MaxMultiplierBps, BpsScale, MaxMultiplierBps)
	}
	if err := p.MinDeposit.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "min_deposit: %v", err)
	}
	if p.VotingPeriod <= 0 || p.Timelock < 0 || p.ExecutionWindow <= 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "voting_period %s, timelock %s, execution_window %s: want > 0, ≥ 0, > 0", p.VotingPeriod, p.Timelock, p.ExecutionWindow)
	}
	for _, b := range []struct {
		name string
		bps  uint32
	}{{"quorum_bps", p.QuorumBps}, {"threshold_bps", p.ThresholdBps}, {"veto_threshold_bps", p.VetoThresholdBps}} {
		if b.bps > BpsScale {
			return errorsmod.Wrapf(ErrInvalidParams, "%s %d above %d", b.name, b.bps, BpsScale)
		}
	}
	if p.VetoThresholdBps == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "veto_threshold_bps must be positive (0 would veto everything)")
	}
	if p.AnalysisModel != "" {
		if !p.AnalysisMaxFee.IsValid() || !p.AnalysisMaxFee.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidParams, "analysis_max_fee %s must be positive when analysis_model is set", p.AnalysisMaxFee)
		}
		if p.AnalysisRedundancy == 0 || p.AnalysisRedundancy > MaxAnalysisRedundancy {
			return errorsmod.Wrapf(ErrInvalidParams, "analysis_redundancy %d: want 1 to %d", p.AnalysisRedundancy, MaxAnalysisRedundancy)
		}
	}
	if p.MaxMessages == 0 || p.MaxMessages > MaxMessagesLimit {
		return errorsmod.Wrapf(ErrInvalidParams, "max_messages %d: want 1 to %d", p.MaxMessages, MaxMessagesLimit)
	}
	if p.MaxProposalsPerBlock == 0 {
		return errorsmod.Wrap(ErrInvalidParams, "max_proposals_per_block must be positive")
	}
	return nil
}
