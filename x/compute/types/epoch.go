package types

import (
	"crypto/sha256"
	"fmt"

	"github.com/llmesh/mesh/x/compute/poc"
)

// SkipCatchUp is EventEpochSkipped's reason for an epoch x/epochs fired
// only to catch up after a chain halt.
const SkipCatchUp = "catch-up after a chain halt: the epoch ended before the block that started it"

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
	if e.Settled && e.SettleCursor != "" {
		return fmt.Errorf("epoch %d: settled with a cursor", e.Number)
	}
	return nil
}
