package types

import (
	"fmt"
	"slices"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Protocol bounds. Params outside them are refused so that every quantity
// derived from them (heights, allocations, per-block work) stays small.
const (
	// BpsScale is 100 % in basis points.
	BpsScale = 10_000
	// MaxRedundancyBound bounds max_redundancy.
	MaxRedundancyBound = 32
	// MaxInlineBytesBound bounds max_input_bytes and max_output_bytes (1 MiB).
	MaxInlineBytesBound = 1 << 20
	// MaxPhaseBlocks bounds commit_blocks and reveal_blocks.
	MaxPhaseBlocks = 10_000
	// MaxDeadlineBlocks bounds a request's deadline_blocks: 100,000 blocks,
	// about a week at 6 s. It was 2,000,000 (months), long enough for one
	// silent worker to hold the others' slots that long (issue 17 M2).
	MaxDeadlineBlocks = 100_000
	// MaxRevealGraceBlocks bounds reveal_grace_blocks.
	MaxRevealGraceBlocks = 1_000
	// DefaultRevealGraceBlocks: a quorum's job settles at most this many
	// blocks after it revealed. 10, as reveal_blocks: on the localnet an
	// honest worker's reveal can land 3+ blocks after the quorum's, and a
	// grace of 2 charged it as silent (tests/system); a network that wants
	// slots freed sooner lowers it by governance.
	DefaultRevealGraceBlocks = 10
	// MaxExpirationsBound bounds max_expirations_per_block.
	MaxExpirationsBound = 10_000
	// MaxFeeDenoms bounds the fee_denoms allowlist.
	MaxFeeDenoms = 32
	// MaxRetentionBlocks bounds job_retention_blocks.
	MaxRetentionBlocks = 1 << 40
	// MaxQueuedBound bounds max_queued_per_model.
	MaxQueuedBound = 100_000
)

// JobSlots is how many jobs a worker with verifiedUnits of proven compute
// runs at once: max(1, verifiedUnits / units_per_job), at most
// max_open_jobs_per_worker. A worker that has not proven anything yet gets
// one; units_per_job 0 counts as 1.
func (p Params) JobSlots(verifiedUnits uint32) uint32 {
	per := max(p.UnitsPerJob, 1)
	return min(max(verifiedUnits/per, 1), p.MaxOpenJobsPerWorker)
}

// DefaultParams returns the default x/inference params.
func DefaultParams() Params {
	return Params{
		MaxInputBytes:          4096,
		MaxOutputBytes:         1024,
		MinRedundancy:          1,
		MaxRedundancy:          7,
		DefaultRedundancy:      3,
		CommitBlocks:           10,
		RevealBlocks:           10,
		MaxOpenJobsPerWorker:   64,
		UnitsPerJob:            1,
		MaxQueuedPerModel:      256,
		FeeBurnBps:             500,
		ProtocolFeeBps:         1000,
		SpeedBonusBps:          1000,
		LiarSlashFraction:      math.LegacyNewDecWithPrec(1, 2),
		MaxExpirationsPerBlock: 100,
		JobRetentionBlocks:     100_000,
		MaxCallbackGas:         DefaultMaxCallbackGas,
		MaxCallbacksPerBlock:   DefaultMaxCallbacksPerBlock,
		RevealGraceBlocks:      DefaultRevealGraceBlocks,
		// 1 keeps redundancy 1 and 2 open without the opt-in (IBC memos,
		// contracts and tests use them); a network that wants quorums only
		// sets 3 (issue 17 L5).
		MinRedundancyUntrusted: 1,
	}
}

// Contract callback bounds and defaults: at the defaults a block runs at
// most 5 × 2,000,000 gas of callbacks (a callback took ≈0.8 ms in
// tests/bench, so 5 keep a block of 100 sends within 1.1× of its time).
const (
	DefaultMaxCallbackGas       = 2_000_000
	DefaultMaxCallbacksPerBlock = 5
	MaxCallbackGasBound         = 50_000_000
	MaxCallbacksPerBlockBound   = 1_000
)

// Validate checks every param against the protocol bounds.
func (p Params) Validate() error {
	if len(p.FeeDenoms) > MaxFeeDenoms {
		return fmt.Errorf("%d fee_denoms, at most %d", len(p.FeeDenoms), MaxFeeDenoms)
	}
	for i, d := range p.FeeDenoms {
		if err := sdk.ValidateDenom(d); err != nil {
			return fmt.Errorf("fee_denoms: %w", err)
		}
		if d == BaseFeeDenom || slices.Contains(p.FeeDenoms[:i], d) {
			return fmt.Errorf("fee_denoms: %s listed twice (%s is always allowed)", d, BaseFeeDenom)
		}
	}
	if p.MaxInputBytes == 0 || p.MaxInputBytes > MaxInlineBytesBound {
		return fmt.Errorf("max_input_bytes %d must be in 1..%d", p.MaxInputBytes, MaxInlineBytesBound)
	}
	if p.MaxOutputBytes == 0 || p.MaxOutputBytes > MaxInlineBytesBound {
		return fmt.Errorf("max_output_bytes %d must be in 1..%d", p.MaxOutputBytes, MaxInlineBytesBound)
	}
	if p.MinRedundancy == 0 || p.MinRedundancy > p.DefaultRedundancy || p.DefaultRedundancy > p.MaxRedundancy || p.MaxRedundancy > MaxRedundancyBound {
		return fmt.Errorf("redundancy: need 1 ≤ min %d ≤ default %d ≤ max %d ≤ %d",
			p.MinRedundancy, p.DefaultRedundancy, p.MaxRedundancy, MaxRedundancyBound)
	}
	if u := p.MinRedundancyUntrusted; u != 0 && (u < p.MinRedundancy || u > p.MaxRedundancy) {
		return fmt.Errorf("min_redundancy_untrusted %d must be 0 or in min_redundancy %d..max_redundancy %d", u, p.MinRedundancy, p.MaxRedundancy)
	}
	if p.CommitBlocks < 1 || p.CommitBlocks > MaxPhaseBlocks || p.RevealBlocks < 1 || p.RevealBlocks > MaxPhaseBlocks {
		return fmt.Errorf("commit_blocks %d and reveal_blocks %d must be in 1..%d", p.CommitBlocks, p.RevealBlocks, MaxPhaseBlocks)
	}
	if p.MaxOpenJobsPerWorker == 0 {
		return fmt.Errorf("max_open_jobs_per_worker must be positive")
	}
	if p.MaxQueuedPerModel > MaxQueuedBound {
		return fmt.Errorf("max_queued_per_model %d exceeds %d", p.MaxQueuedPerModel, MaxQueuedBound)
	}
	if uint64(p.FeeBurnBps)+uint64(p.ProtocolFeeBps) > BpsScale {
		return fmt.Errorf("fee_burn_bps %d + protocol_fee_bps %d exceed %d", p.FeeBurnBps, p.ProtocolFeeBps, BpsScale)
	}
	if p.SpeedBonusBps > BpsScale {
		return fmt.Errorf("speed_bonus_bps %d exceeds %d", p.SpeedBonusBps, BpsScale)
	}
	// Below 1: a 100 % slash leaves a pool with shares and no tokens forever.
	if p.LiarSlashFraction.IsNil() || p.LiarSlashFraction.IsNegative() || p.LiarSlashFraction.GTE(math.LegacyOneDec()) {
		return fmt.Errorf("liar_slash_fraction %s must be in [0, 1)", p.LiarSlashFraction)
	}
	if p.MaxExpirationsPerBlock == 0 || p.MaxExpirationsPerBlock > MaxExpirationsBound {
		return fmt.Errorf("max_expirations_per_block %d must be in 1..%d", p.MaxExpirationsPerBlock, MaxExpirationsBound)
	}
	if p.MaxCallbackGas > MaxCallbackGasBound {
		return fmt.Errorf("max_callback_gas %d exceeds %d", p.MaxCallbackGas, MaxCallbackGasBound)
	}
	if p.MaxCallbacksPerBlock == 0 || p.MaxCallbacksPerBlock > MaxCallbacksPerBlockBound {
		return fmt.Errorf("max_callbacks_per_block %d must be in 1..%d", p.MaxCallbacksPerBlock, MaxCallbacksPerBlockBound)
	}
	if p.RevealGraceBlocks < 0 || p.RevealGraceBlocks > MaxRevealGraceBlocks {
		return fmt.Errorf("reveal_grace_blocks %d must be in 0..%d", p.RevealGraceBlocks, MaxRevealGraceBlocks)
	}
	if p.JobRetentionBlocks < 0 || p.JobRetentionBlocks > MaxRetentionBlocks {
		return fmt.Errorf("job_retention_blocks %d must be in 0..%d", p.JobRetentionBlocks, int64(MaxRetentionBlocks))
	}
	return nil
}

// FeeDenomAllowed reports whether fees may be paid in denom.
func (p Params) FeeDenomAllowed(denom string) bool {
	return denom == BaseFeeDenom || slices.Contains(p.FeeDenoms, denom)
}

// Redundancy resolves a requested redundancy (0 = default) and checks it:
// within min_redundancy..max_redundancy, and at least
// min_redundancy_untrusted unless the requester trusts a single worker
// (issue 17 L5: below 3 there is no quorum that outvotes one liar).
func (p Params) Redundancy(r uint32, trustSingleWorker bool) (uint32, error) {
	if r == 0 {
		r = p.DefaultRedundancy
	}
	if r < p.MinRedundancy || r > p.MaxRedundancy {
		return 0, fmt.Errorf("redundancy %d must be in %d..%d", r, p.MinRedundancy, p.MaxRedundancy)
	}
	if r < p.MinRedundancyUntrusted && !trustSingleWorker {
		return 0, fmt.Errorf("redundancy %d is below min_redundancy_untrusted %d: set trust_single_worker to accept it", r, p.MinRedundancyUntrusted)
	}
	return r, nil
}

// DeadlineBlocks resolves a requested deadline (0 = commit_blocks +
// reveal_blocks) and checks that it leaves room for both phases.
func (p Params) DeadlineBlocks(d int64) (int64, error) {
	least := p.CommitBlocks + p.RevealBlocks
	if d == 0 {
		d = least
	}
	if d < least || d > MaxDeadlineBlocks {
		return 0, fmt.Errorf("deadline_blocks %d must be in %d..%d (commit_blocks + reveal_blocks at least)", d, least, MaxDeadlineBlocks)
	}
	return d, nil
}

// CheckPrices reports the first of the model's prices whose denom is
// neither umesh nor in fee_denoms: a model is priced only in denoms fees may
// be paid in.
func (p Params) CheckPrices(m Model) error {
	for _, c := range m.Prices {
		if !p.FeeDenomAllowed(c.Denom) {
			return fmt.Errorf("model %s: price %s: %s is neither %s nor in fee_denoms", m.Id, c, c.Denom, BaseFeeDenom)
		}
	}
	return nil
}
