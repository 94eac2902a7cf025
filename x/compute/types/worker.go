package types

import (
	"math"
	"math/bits"
	"slices"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/internal/validate"
)

const (
	// InitialReputationBps is the reputation of a newly registered worker.
	InitialReputationBps = 5000
	// MaxReputationBps is a perfect reputation.
	MaxReputationBps = 10000
	// MaxModelIDLength bounds a served model id (the rule x/inference's registry uses too).
	MaxModelIDLength = validate.MaxModelIDLength
	// MaxEndpointLength bounds a worker endpoint.
	MaxEndpointLength = 256
	// MaxGPUModelLength bounds HardwareSpec.gpu_model.
	MaxGPUModelLength = 64
	// MaxClaimedGOPS bounds a worker's claimed int8 throughput (10^8 GOPS =
	// 100 POPS, far above any single host).
	MaxClaimedGOPS = 100_000_000
)

// ClaimedGOPS is the dense int8 throughput the spec claims, in GOPS:
// int8_gops when set, else int8_tops × 1000 (saturating).
func (s HardwareSpec) ClaimedGOPS() uint64 {
	if s.Int8Gops > 0 {
		return s.Int8Gops
	}
	hi, lo := bits.Mul64(s.Int8Tops, 1000)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// ValidateClaims checks what a worker claims at registration or update:
// units, claimed GOPS, spec strings, models and endpoint. Models are checked for duplicates
// after sorting: their number is bounded by the params only in the keeper
// (ValidateClaimBounds), after this has run in CheckTx.
func ValidateClaims(spec HardwareSpec, models []string, endpoint string) error {
	if spec.ComputeUnits == 0 {
		return errorsmod.Wrap(ErrInvalidSpec, "compute_units must be positive")
	}
	if g := spec.ClaimedGOPS(); g == 0 || g > MaxClaimedGOPS {
		return errorsmod.Wrapf(ErrInvalidSpec, "claimed int8 throughput %d GOPS (int8_gops, or int8_tops × 1000) must be in 1..%d", g, MaxClaimedGOPS)
	}
	if spec.GpuModel == "" || len(spec.GpuModel) > MaxGPUModelLength || !validate.Printable(spec.GpuModel, true) {
		return errorsmod.Wrapf(ErrInvalidSpec, "gpu_model must be 1..%d printable characters", MaxGPUModelLength)
	}
	for _, m := range models {
		if err := validate.ModelID(m); err != nil {
			return errorsmod.Wrap(ErrInvalidSpec, err.Error())
		}
	}
	sorted := slices.Sorted(slices.Values(models))
	if i := validate.FirstDuplicate(sorted); i >= 0 {
		return errorsmod.Wrapf(ErrInvalidSpec, "model id %q listed twice", sorted[i])
	}
	if len(endpoint) > MaxEndpointLength || !validate.Printable(endpoint, false) {
		return errorsmod.Wrapf(ErrInvalidSpec, "endpoint must be at most %d printable characters without spaces", MaxEndpointLength)
	}
	return nil
}

// ValidateClaimBounds checks a worker's units and number of models against the params.
func (p Params) ValidateClaimBounds(spec HardwareSpec, models []string) error {
	if spec.ComputeUnits > p.MaxUnitsPerWorker {
		return errorsmod.Wrapf(ErrInvalidSpec, "compute_units %d must be in 1..%d", spec.ComputeUnits, p.MaxUnitsPerWorker)
	}
	if len(models) > int(p.MaxModelsPerWorker) {
		return errorsmod.Wrapf(ErrInvalidSpec, "%d models, at most %d", len(models), p.MaxModelsPerWorker)
	}
	return nil
}
