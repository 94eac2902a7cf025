package types_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

func TestCapacityParamDefaults(t *testing.T) {
	p := types.DefaultParams()
	require.Equal(t, uint32(5000), p.PocTargetFractionBps)
	require.Equal(t, uint32(50), p.PocCommitSeconds)
	require.Equal(t, uint64(1_000_000), p.PocMopsPerUnit)
	require.Equal(t, uint32(1), p.VramGbPerVerifiedTops)
}

// TestCapacityParamBounds: lower and upper bounds of the capacity params.
func TestCapacityParamBounds(t *testing.T) {
	for name, c := range map[string]struct {
		mut func(*types.Params)
		ok  bool
	}{
		"fraction 0":           {func(p *types.Params) { p.PocTargetFractionBps = 0 }, false},
		"fraction 1":           {func(p *types.Params) { p.PocTargetFractionBps = 1 }, true},
		"fraction 10000":       {func(p *types.Params) { p.PocTargetFractionBps = 10_000 }, true},
		"fraction 10001":       {func(p *types.Params) { p.PocTargetFractionBps = 10_001 }, false},
		"commit seconds 0":     {func(p *types.Params) { p.PocCommitSeconds = 0 }, false},
		"commit seconds 1":     {func(p *types.Params) { p.PocCommitSeconds = 1 }, true},
		"commit seconds 3600":  {func(p *types.Params) { p.PocCommitSeconds = 3600 }, true},
		"commit seconds 3601":  {func(p *types.Params) { p.PocCommitSeconds = 3601 }, false},
		"mops per unit 0":      {func(p *types.Params) { p.PocMopsPerUnit = 0 }, false},
		"mops per unit 1":      {func(p *types.Params) { p.PocMopsPerUnit = 1 }, true},
		"mops per unit 1e12":   {func(p *types.Params) { p.PocMopsPerUnit = 1_000_000_000_000 }, true},
		"mops per unit 1e12+1": {func(p *types.Params) { p.PocMopsPerUnit = 1_000_000_000_001 }, false},
		"vram per tops 0":      {func(p *types.Params) { p.VramGbPerVerifiedTops = 0 }, true},
		"vram per tops 1000":   {func(p *types.Params) { p.VramGbPerVerifiedTops = 1000 }, true},
		"vram per tops 1001":   {func(p *types.Params) { p.VramGbPerVerifiedTops = 1001 }, false},
	} {
		p := types.DefaultParams()
		c.mut(&p)
		if c.ok {
			require.NoError(t, p.Validate(), name)
		} else {
			require.Error(t, p.Validate(), name)
		}
	}
}

func TestClaimedGOPS(t *testing.T) {
	require.Equal(t, uint64(660_000), types.HardwareSpec{Int8Tops: 660}.ClaimedGOPS())
	require.Equal(t, uint64(1234), types.HardwareSpec{Int8Tops: 660, Int8Gops: 1234}.ClaimedGOPS(), "int8_gops wins")
	require.Zero(t, types.HardwareSpec{}.ClaimedGOPS())
	require.Equal(t, uint64(math.MaxUint64), types.HardwareSpec{Int8Tops: math.MaxUint64 / 10}.ClaimedGOPS(), "saturates")
}

// TestValidateClaimsGOPS: a register or update message must claim 1 ..
// MaxClaimedGOPS GOPS (int8_gops, or int8_tops × 1000).
func TestValidateClaimsGOPS(t *testing.T) {
	w, prov := sdk.AccAddress(make([]byte, 20)).String(), sdk.AccAddress(append(make([]byte, 19), 1)).String()
	basic := func(s types.HardwareSpec) []error {
		return []error{
			(&types.MsgRegisterWorker{Worker: w, Provider: prov, Spec: s}).ValidateBasic(),
			(&types.MsgUpdateWorker{Worker: w, Spec: s}).ValidateBasic(),
		}
	}
	spec := func(tops, gops uint64) types.HardwareSpec {
		return types.HardwareSpec{GpuModel: "cpu", Int8Tops: tops, Int8Gops: gops, ComputeUnits: 1}
	}
	for _, s := range []types.HardwareSpec{spec(0, 1), spec(1, 0), spec(0, types.MaxClaimedGOPS), spec(100_000, 0)} {
		require.NoError(t, types.ValidateClaims(s, nil, ""), "%+v", s)
		for _, err := range basic(s) {
			require.NoError(t, err)
		}
	}
	for _, s := range []types.HardwareSpec{spec(0, 0), spec(0, types.MaxClaimedGOPS+1), spec(100_001, 0), spec(math.MaxUint64, 0)} {
		require.ErrorIs(t, types.ValidateClaims(s, nil, ""), types.ErrInvalidSpec, "%+v", s)
		for _, err := range basic(s) {
			require.ErrorIs(t, err, types.ErrInvalidSpec)
		}
	}
}
