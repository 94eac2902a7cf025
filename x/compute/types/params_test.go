package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/compute/poc"
	"github.com/llmesh/mesh/x/compute/types"
)

func TestDefaultParams(t *testing.T) {
	p := types.DefaultParams()
	require.NoError(t, p.Validate())
	require.Equal(t, "compute", p.EpochIdentifier)
	require.Equal(t, uint32(256), p.PocDim)
	require.Equal(t, uint32(64), p.PocCols)
	require.Equal(t, uint32(256), p.PocRowsPerUnit)
	require.Equal(t, uint32(8), p.SampleRows)
	require.Equal(t, math.LegacyNewDecWithPrec(5, 2), p.FraudSlashFraction)
	require.Equal(t, uint32(2000), p.ReputationAlphaBps)
	require.Equal(t, uint32(200), p.MaxSettlementsPerBlock)
}

func TestParamsValidate(t *testing.T) {
	for name, mut := range map[string]func(p *types.Params){
		"empty identifier":       func(p *types.Params) { p.EpochIdentifier = "" },
		"spaced identifier":      func(p *types.Params) { p.EpochIdentifier = " compute" },
		"no workers":             func(p *types.Params) { p.MaxWorkersPerProvider = 0 },
		"no units":               func(p *types.Params) { p.MaxUnitsPerWorker = 0 },
		"no models":              func(p *types.Params) { p.MaxModelsPerWorker = 0 },
		"zero dim":               func(p *types.Params) { p.PocDim = 0 },
		"dim above max":          func(p *types.Params) { p.PocDim = poc.MaxDim + 1 },
		"zero cols":              func(p *types.Params) { p.PocCols = 0 },
		"B too large":            func(p *types.Params) { p.PocDim, p.PocCols = 4096, 4096 },
		"zero rows per unit":     func(p *types.Params) { p.PocRowsPerUnit = 0 },
		"too many rows":          func(p *types.Params) { p.PocRowsPerUnit = 1 << 20 },
		"zero sample":            func(p *types.Params) { p.SampleRows = 0 },
		"sample above max":       func(p *types.Params) { p.SampleRows = types.MaxSampleRows + 1 },
		"zero commit window":     func(p *types.Params) { p.CommitWindow = 0 },
		"negative reveal window": func(p *types.Params) { p.RevealWindow = -1 },
		"nil slash fraction":     func(p *types.Params) { p.FraudSlashFraction = math.LegacyDec{} },
		"negative slash":         func(p *types.Params) { p.FraudSlashFraction = math.LegacyNewDec(-1) },
		"slash above one":        func(p *types.Params) { p.FraudSlashFraction = math.LegacyNewDecWithPrec(11, 1) },
		"zero max missed":        func(p *types.Params) { p.MaxMissed = 0 },
		"missed above window":    func(p *types.Params) { p.MaxMissed, p.MissedWindow = 5, 4 },
		"window above max":       func(p *types.Params) { p.MissedWindow = types.MaxMissedWindow + 1 },
		"zero jail":              func(p *types.Params) { p.JailBlocks = 0 },
		"zero alpha":             func(p *types.Params) { p.ReputationAlphaBps = 0 },
		"alpha above 10000":      func(p *types.Params) { p.ReputationAlphaBps = 10001 },
		"zero settlements":       func(p *types.Params) { p.MaxSettlementsPerBlock = 0 },
		"free verification":      func(p *types.Params) { p.VerifyGasPerMac = 0 },
		// Issue 17 L5: every per-block cap has an upper bound.
		"settlements above max":   func(p *types.Params) { p.MaxSettlementsPerBlock = types.MaxSettlementsPerBlockLimit + 1 },
		"workers above max":       func(p *types.Params) { p.MaxWorkersPerProvider = types.MaxWorkersPerProviderLimit + 1 },
		"models above max":        func(p *types.Params) { p.MaxModelsPerWorker = types.MaxModelsPerWorkerLimit + 1 },
		"beacon window above max": func(p *types.Params) { p.BeaconMissWindow = types.MaxBeaconMissWindow + 1 },
		"verify gas above max":    func(p *types.Params) { p.VerifyGasPerMac = types.MaxVerifyGasPerMac + 1 },
	} {
		p := types.DefaultParams()
		mut(&p)
		require.Error(t, p.Validate(), name)
	}
}

func TestValidateClaims(t *testing.T) {
	spec := types.HardwareSpec{GpuModel: "RTX 4090", VramGb: 24, Int8Tops: 660, ComputeUnits: 1}
	require.NoError(t, types.ValidateClaims(spec, []string{"llama-3-8b-int8"}, "https://w.example:8443/v1"))
	require.NoError(t, types.ValidateClaims(spec, nil, ""))
	require.Error(t, types.ValidateClaims(spec, []string{"a\x00b"}, ""))
	require.Error(t, types.ValidateClaims(spec, nil, "http://x y"))
}
