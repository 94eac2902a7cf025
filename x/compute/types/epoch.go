package types

import (
	"crypto/sha256"
	"fmt"

	"github.com/llmesh/mesh/x/compute/poc"
)

// SkipCatchUp is EventEpochSkipped's reason for an epoch x/epochs fired
// only to catch up after a chain halt.
const SkipCatchUp = "catch-up after a chain halt: the epoch ended before the block that started it"

// Legacy reports whether e started before the v2 upgrade: it has no
// capacity snapshot and its challenges keep m = units × poc_rows_per_unit.
func (e EpochInfo) Legacy() bool { return e.PocCommitSeconds == 0 }

// ChallengeRows returns m for a worker claiming spec in this epoch:
// poc.ChallengeRows of the claimed GOPS under the epoch's snapshot, or, in a
// legacy epoch, units × poc_rows_per_unit (0 when that exceeds
// MaxChallengeRows).
func (e EpochInfo) ChallengeRows(spec HardwareSpec) uint32 {
	if e.Legacy() {
		m := uint64(spec.ComputeUnits) * uint64(e.PocRowsPerUnit)
		if m > MaxChallengeRows {
			return 0
		}
		return uint32(m)
	}
	return poc.ChallengeRows(spec.ClaimedGOPS(), e.PocTargetFractionBps, e.PocCommitSeconds, e.PocDim, e.PocCols)
}

// ProvenGOPS is the throughput a passed challenge of m rows demonstrates
// in this epoch (0 in a legacy epoch: its m did not follow a claim).
func (e EpochInfo) ProvenGOPS(m uint32) uint64 {
	if e.Legacy() {
		return 0
	}
	return poc.ProvenGOPS(m, e.PocDim, e.PocCols, e.PocTargetFractionBps, e.PocCommitSeconds)
}

// ChallengeDims returns the shape of a challenge of m rows in this epoch.
func (e EpochInfo) ChallengeDims(m uint32) poc.Dims {
	return poc.Dims{M: int(m), N: int(e.PocDim), P: int(e.PocCols)}
}

// Validate checks an epoch record (number 0 means "no epoch yet" and must be empty).
func (e EpochInfo) Validate() error {
	if e.Number == 0 {
		if e.StartHeight != 0 || len(e.Seed) != 0 || e.CommitEnd != 0 || e.RevealEnd != 0 || len(e.SampleSeed) != 0 || e.SettleCursor != "" {
			return fmt.Errorf("epoch 0 must be empty")
		}
		return nil
	}
	if e.Number < 0 || e.StartHeight < 0 {
		return fmt.Errorf("epoch %d: negative number or start height", e.Number)
	}
	if len(e.Seed) != sha256.Size {
		return fmt.Errorf("epoch %d: seed must be %d bytes", e.Number, sha256.Size)
	}
	if len(e.SampleSeed) != 0 && len(e.SampleSeed) != sha256.Size {
		return fmt.Errorf("epoch %d: sample seed must be empty or %d bytes", e.Number, sha256.Size)
	}
	if e.CommitEnd < e.StartHeight || e.RevealEnd <= e.CommitEnd {
		return fmt.Errorf("epoch %d: windows out of order", e.Number)
	}
	if e.PocDim == 0 || e.PocDim > poc.MaxDim || e.PocCols == 0 || e.PocCols > poc.MaxDim ||
		uint64(e.PocDim)*uint64(e.PocCols) > MaxBElements || e.PocRowsPerUnit == 0 ||
		e.SampleRows == 0 || e.SampleRows > MaxSampleRows {
		return fmt.Errorf("epoch %d: invalid challenge shape", e.Number)
	}
	// Capacity snapshots: all zero for an epoch started before the v2
	// upgrade (legacy challenge), else within the params' bounds.
	legacy := e.PocTargetFractionBps == 0 && e.PocCommitSeconds == 0 && e.PocMopsPerUnit == 0
	if !legacy && (e.PocTargetFractionBps == 0 || e.PocTargetFractionBps > MaxTargetFractionBps ||
		e.PocCommitSeconds == 0 || e.PocCommitSeconds > MaxCommitSeconds ||
		e.PocMopsPerUnit == 0 || e.PocMopsPerUnit > MaxMOPSPerUnit) {
		return fmt.Errorf("epoch %d: invalid capacity snapshot", e.Number)
	}
	if e.Settled && e.SettleCursor != "" {
		return fmt.Errorf("epoch %d: settled with a cursor", e.Number)
	}
	return nil
}
