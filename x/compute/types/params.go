package types

import (
	"fmt"
	"strings"

	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/compute/poc"
)

// Protocol bounds. Params outside them are refused so that every quantity
// derived from them (allocations, gas, heights) stays small and overflow-free.
const (
	// MaxSampleRows bounds k, the rows revealed per worker and epoch.
	MaxSampleRows = 256
	// MaxBElements bounds n·p, the size of B the chain regenerates per reveal (4 MiB).
	MaxBElements = 1 << 22
	// MaxChallengeRows bounds max_units_per_worker × poc_rows_per_unit, the
	// m of the legacy (pre-v2) challenge; capacity-bound challenges clamp
	// m to poc.MaxRows instead.
	MaxChallengeRows = 1 << 24
	// MaxMissedWindow bounds missed_window, the length of Worker.missed_epochs.
	MaxMissedWindow = 100
	// MaxWindowBlocks bounds commit_window, reveal_window and jail_blocks.
	MaxWindowBlocks = 1 << 32
	// MaxEpochIdentifierLength bounds epoch_identifier.
	MaxEpochIdentifierLength = 64
	// MaxSettlingEpochs bounds the earlier epochs kept for settlement; a new
	// epoch that would exceed it is skipped (EventEpochSkipped).
	MaxSettlingEpochs = 8
	// DefaultVoteExtensionMaxBytes is the default vote_extension_max_bytes:
	// a beacon share (70 bytes) and a few dozen commitments.
	DefaultVoteExtensionMaxBytes = 8192
	// MaxVoteExtensionBytes bounds vote_extension_max_bytes: every
	// validator's extension travels in the next block's first transaction.
	MaxVoteExtensionBytes = 1 << 16
	// MinVoteExtensionBytes is the least vote_extension_max_bytes: room for a beacon share.
	MinVoteExtensionBytes = 128
	// MaxSettlementsPerBlockLimit bounds max_settlements_per_block: the
	// EndBlocker's settlement and pruning work (issue 17, L5).
	MaxSettlementsPerBlockLimit = 10_000
	// MaxWorkersPerProviderLimit bounds max_workers_per_provider: a
	// registration counts the provider's workers up to it.
	MaxWorkersPerProviderLimit = 1_000
	// MaxModelsPerWorkerLimit bounds max_models_per_worker: every worker
	// record carries its model ids.
	MaxModelsPerWorkerLimit = 256
	// MaxBeaconMissWindow bounds beacon_miss_window (heights), the
	// validators' miss counter window read by every PreBlocker.
	MaxBeaconMissWindow = 1_000_000
	// MaxVerifyGasPerMac bounds verify_gas_per_mac: one reveal's gas must
	// stay far below a block's.
	MaxVerifyGasPerMac = 1_000
	// MaxTargetFractionBps bounds poc_target_fraction_bps: a challenge
	// cannot take more than the whole commit window.
	MaxTargetFractionBps = 10_000
	// MaxCommitSeconds bounds poc_commit_seconds (one hour).
	MaxCommitSeconds = 3_600
	// MaxMOPSPerUnit bounds poc_mops_per_unit (10^12 MOPS, a PetaOPS, per unit).
	MaxMOPSPerUnit = 1_000_000_000_000
	// MaxVRAMGBPerVerifiedTOPS bounds vram_gb_per_verified_tops.
	MaxVRAMGBPerVerifiedTOPS = 1_000
)

// DefaultParams returns the default x/compute params.
func DefaultParams() Params {
	return Params{
		EpochIdentifier:        "compute",
		MaxWorkersPerProvider:  16,
		MaxUnitsPerWorker:      1000,
		MaxModelsPerWorker:     16,
		PocDim:                 256,
		PocCols:                64,
		PocRowsPerUnit:         256,
		SampleRows:             8,
		CommitWindow:           10,
		RevealWindow:           10,
		FraudSlashFraction:     math.LegacyNewDecWithPrec(5, 2),
		WithholdSlashFraction:  math.LegacyNewDecWithPrec(2, 2),
		MaxMissed:              3,
		MissedWindow:           10,
		JailBlocks:             600,
		ReputationAlphaBps:     2000,
		MaxSettlementsPerBlock: 200,
		VerifyGasPerMac:        1,
		VoteExtensionMaxBytes:  DefaultVoteExtensionMaxBytes,
		BeaconMissWindow:       1000,
		BeaconMaxMisses:        500,
		BeaconJailSeconds:      600,
		PocTargetFractionBps:   5000,
		PocCommitSeconds:       50,
		PocMopsPerUnit:         1_000_000,
		VramGbPerVerifiedTops:  1,
	}
}

// Validate checks every param against the protocol bounds.
func (p Params) Validate() error {
	id := p.EpochIdentifier
	if strings.TrimSpace(id) != id || id == "" || len(id) > MaxEpochIdentifierLength {
		return fmt.Errorf("epoch_identifier %q: must be 1..%d characters without surrounding spaces", id, MaxEpochIdentifierLength)
	}
	if p.MaxWorkersPerProvider == 0 || p.MaxWorkersPerProvider > MaxWorkersPerProviderLimit {
		return fmt.Errorf("max_workers_per_provider %d must be in 1..%d", p.MaxWorkersPerProvider, MaxWorkersPerProviderLimit)
	}
	if p.MaxUnitsPerWorker == 0 {
		return fmt.Errorf("max_units_per_worker must be positive")
	}
	if p.MaxModelsPerWorker == 0 || p.MaxModelsPerWorker > MaxModelsPerWorkerLimit {
		return fmt.Errorf("max_models_per_worker %d must be in 1..%d", p.MaxModelsPerWorker, MaxModelsPerWorkerLimit)
	}
	if p.PocDim == 0 || p.PocDim > poc.MaxDim || p.PocCols == 0 || p.PocCols > poc.MaxDim {
		return fmt.Errorf("poc_dim %d and poc_cols %d must be in 1..%d", p.PocDim, p.PocCols, poc.MaxDim)
	}
	if uint64(p.PocDim)*uint64(p.PocCols) > MaxBElements {
		return fmt.Errorf("poc_dim × poc_cols = %d exceeds %d", uint64(p.PocDim)*uint64(p.PocCols), MaxBElements)
	}
	if p.PocRowsPerUnit == 0 {
		return fmt.Errorf("poc_rows_per_unit must be positive")
	}
	if uint64(p.MaxUnitsPerWorker)*uint64(p.PocRowsPerUnit) > MaxChallengeRows {
		return fmt.Errorf("max_units_per_worker × poc_rows_per_unit exceeds %d rows", MaxChallengeRows)
	}
	if p.SampleRows == 0 || p.SampleRows > MaxSampleRows {
		return fmt.Errorf("sample_rows %d must be in 1..%d", p.SampleRows, MaxSampleRows)
	}
	if p.CommitWindow < 1 || p.CommitWindow > MaxWindowBlocks || p.RevealWindow < 1 || p.RevealWindow > MaxWindowBlocks {
		return fmt.Errorf("commit_window %d and reveal_window %d must be in 1..%d", p.CommitWindow, p.RevealWindow, int64(MaxWindowBlocks))
	}
	// Below 1: a 100 % slash leaves a pool with shares and no tokens forever.
	if p.FraudSlashFraction.IsNil() || p.FraudSlashFraction.IsNegative() || p.FraudSlashFraction.GTE(math.LegacyOneDec()) {
		return fmt.Errorf("fraud_slash_fraction %s must be in [0, 1)", p.FraudSlashFraction)
	}
	if p.WithholdSlashFraction.IsNil() || p.WithholdSlashFraction.IsNegative() || p.WithholdSlashFraction.GTE(math.LegacyOneDec()) {
		return fmt.Errorf("withhold_slash_fraction %s must be in [0, 1)", p.WithholdSlashFraction)
	}
	if p.MissedWindow == 0 || p.MissedWindow > MaxMissedWindow {
		return fmt.Errorf("missed_window %d must be in 1..%d", p.MissedWindow, MaxMissedWindow)
	}
	if p.MaxMissed == 0 || p.MaxMissed > p.MissedWindow {
		return fmt.Errorf("max_missed %d must be in 1..missed_window (%d)", p.MaxMissed, p.MissedWindow)
	}
	if p.JailBlocks < 1 || p.JailBlocks > MaxWindowBlocks {
		return fmt.Errorf("jail_blocks %d must be in 1..%d", p.JailBlocks, int64(MaxWindowBlocks))
	}
	if p.ReputationAlphaBps == 0 || p.ReputationAlphaBps > MaxReputationBps {
		return fmt.Errorf("reputation_alpha_bps %d must be in 1..%d", p.ReputationAlphaBps, MaxReputationBps)
	}
	if p.MaxSettlementsPerBlock == 0 || p.MaxSettlementsPerBlock > MaxSettlementsPerBlockLimit {
		return fmt.Errorf("max_settlements_per_block %d must be in 1..%d", p.MaxSettlementsPerBlock, MaxSettlementsPerBlockLimit)
	}
	if p.VerifyGasPerMac == 0 || p.VerifyGasPerMac > MaxVerifyGasPerMac {
		return fmt.Errorf("verify_gas_per_mac %d must be in 1..%d: recomputation must cost gas, and not more than a block", p.VerifyGasPerMac, MaxVerifyGasPerMac)
	}
	if p.VoteExtensionMaxBytes < MinVoteExtensionBytes || p.VoteExtensionMaxBytes > MaxVoteExtensionBytes {
		return fmt.Errorf("vote_extension_max_bytes %d must be in %d..%d", p.VoteExtensionMaxBytes, MinVoteExtensionBytes, MaxVoteExtensionBytes)
	}
	if p.BeaconMissWindow == 0 || p.BeaconMissWindow > MaxBeaconMissWindow {
		return fmt.Errorf("beacon_miss_window %d must be in 1..%d", p.BeaconMissWindow, MaxBeaconMissWindow)
	}
	if p.BeaconMaxMisses > p.BeaconMissWindow {
		return fmt.Errorf("beacon_max_misses %d must be in 0..beacon_miss_window (%d)", p.BeaconMaxMisses, p.BeaconMissWindow)
	}
	if p.BeaconJailSeconds < 0 || p.BeaconJailSeconds > MaxWindowBlocks {
		return fmt.Errorf("beacon_jail_seconds %d must be in 0..%d", p.BeaconJailSeconds, int64(MaxWindowBlocks))
	}
	if p.PocTargetFractionBps == 0 || p.PocTargetFractionBps > MaxTargetFractionBps {
		return fmt.Errorf("poc_target_fraction_bps %d must be in 1..%d", p.PocTargetFractionBps, MaxTargetFractionBps)
	}
	if p.PocCommitSeconds == 0 || p.PocCommitSeconds > MaxCommitSeconds {
		return fmt.Errorf("poc_commit_seconds %d must be in 1..%d", p.PocCommitSeconds, MaxCommitSeconds)
	}
	if p.PocMopsPerUnit == 0 || p.PocMopsPerUnit > MaxMOPSPerUnit {
		return fmt.Errorf("poc_mops_per_unit %d must be in 1..%d", p.PocMopsPerUnit, MaxMOPSPerUnit)
	}
	if p.VramGbPerVerifiedTops > MaxVRAMGBPerVerifiedTOPS {
		return fmt.Errorf("vram_gb_per_verified_tops %d must be in 0..%d", p.VramGbPerVerifiedTops, MaxVRAMGBPerVerifiedTOPS)
	}
	return nil
}
