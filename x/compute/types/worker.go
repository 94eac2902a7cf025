package types

import (
	"fmt"
	"slices"
)

const (
	// InitialReputationBps is the reputation of a newly registered worker.
	InitialReputationBps = 5000
	// MaxReputationBps is a perfect reputation.
	MaxReputationBps = 10000
	// MaxModelIDLength bounds a served model id.
	MaxModelIDLength = 64
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
	if spec.GpuModel == "" || len(spec.GpuModel) > MaxGPUModelLength || !printable(spec.GpuModel, true) {
		return fmt.Errorf("gpu_model must be 1..%d printable characters", MaxGPUModelLength)
	}
	if len(models) > int(p.MaxModelsPerWorker) {
		return fmt.Errorf("%d models, at most %d", len(models), p.MaxModelsPerWorker)
	}
	for i, m := range models {
		if m == "" || len(m) > MaxModelIDLength || !printable(m, false) {
			return fmt.Errorf("model id %q must be 1..%d printable characters without spaces", m, MaxModelIDLength)
		}
		if slices.Contains(models[:i], m) {
			return fmt.Errorf("model id %q listed twice", m)
		}
	}
	if len(endpoint) > MaxEndpointLength || !printable(endpoint, false) {
		return fmt.Errorf("endpoint must be at most %d printable characters without spaces", MaxEndpointLength)
	}
	return nil
}

// printable reports whether s is printable ASCII (spaces only if allowed).
func printable(s string, spaces bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && spaces {
			continue
		}
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
