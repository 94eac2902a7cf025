package types

import (
	"fmt"
	"slices"

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
)

// ValidateClaims checks what a worker claims at registration or update
// against the params: units, spec strings, models and endpoint.
func ValidateClaims(p Params, spec HardwareSpec, models []string, endpoint string) error {
	if spec.ComputeUnits == 0 || spec.ComputeUnits > p.MaxUnitsPerWorker {
		return fmt.Errorf("compute_units %d must be in 1..%d", spec.ComputeUnits, p.MaxUnitsPerWorker)
	}
	if spec.GpuModel == "" || len(spec.GpuModel) > MaxGPUModelLength || !validate.Printable(spec.GpuModel, true) {
		return fmt.Errorf("gpu_model must be 1..%d printable characters", MaxGPUModelLength)
	}
	if len(models) > int(p.MaxModelsPerWorker) {
		return fmt.Errorf("%d models, at most %d", len(models), p.MaxModelsPerWorker)
	}
	for i, m := range models {
		if err := validate.ModelID(m); err != nil {
			return err
		}
		if slices.Contains(models[:i], m) {
			return fmt.Errorf("model id %q listed twice", m)
		}
	}
	if len(endpoint) > MaxEndpointLength || !validate.Printable(endpoint, false) {
		return fmt.Errorf("endpoint must be at most %d printable characters without spaces", MaxEndpointLength)
	}
	return nil
}
