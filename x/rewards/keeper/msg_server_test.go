package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/rewards/types"
)

// TestUpdateParams: only the authority, only valid params; a refusal leaves
// the params (and every store) unchanged.
func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	valid := types.DefaultParams()
	valid.ComputeShareBps, valid.TreasuryShareBps = 7000, 3000
	valid.Categories = []types.CategoryWeight{{Name: types.CategoryPoC, WeightBps: 5000}, {Name: "gpu-hours", WeightBps: 5000}}

	with := func(fn func(*types.Params)) types.Params {
		p := types.DefaultParams()
		fn(&p)
		return p
	}
	for _, tc := range []struct {
		name      string
		authority string
		params    types.Params
		want      error
	}{
		{"wrong authority", f.bech(addr("mallory", 1)), valid, types.ErrInvalidSigner},
		{"empty authority", "", valid, types.ErrInvalidSigner},
		{"weights sum to 9999", f.authority, with(func(p *types.Params) { p.Categories[0].WeightBps-- }), types.ErrInvalidParams},
		{"weights sum to 10001", f.authority, with(func(p *types.Params) { p.Categories[3].WeightBps++ }), types.ErrInvalidParams},
		{"compute + treasury 10001", f.authority, with(func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 8001, 2000 }), types.ErrInvalidParams},
		{"compute above 100 %", f.authority, with(func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 10_001, 0 }), types.ErrInvalidParams},
		{"shares overflowing uint32", f.authority, with(func(p *types.Params) { p.ComputeShareBps, p.TreasuryShareBps = 1<<32-1, 1 }), types.ErrInvalidParams},
		{"no categories", f.authority, with(func(p *types.Params) { p.Categories = nil }), types.ErrInvalidParams},
		{"duplicate category", f.authority, with(func(p *types.Params) { p.Categories[1].Name = types.CategoryPoC }), types.ErrInvalidParams},
		{"bad category name", f.authority, with(func(p *types.Params) { p.Categories[1].Name = "Inference" }), types.ErrInvalidParams},
		{"max epochs per claim 0", f.authority, with(func(p *types.Params) { p.MaxEpochsPerClaim = 0 }), types.ErrInvalidParams},
		{"max epochs per claim 1001", f.authority, with(func(p *types.Params) { p.MaxEpochsPerClaim = 1001 }), types.ErrInvalidParams},
		{"quality threshold above 100 %", f.authority, with(func(p *types.Params) { p.QualityThresholdBps = 10_001 }), types.ErrInvalidParams},
		{"bonus above +1000 %", f.authority, with(func(p *types.Params) { p.EarlyBonusBps = 100_001 }), types.ErrInvalidParams},
		{"no epoch identifier", f.authority, with(func(p *types.Params) { p.EpochIdentifier = "" }), types.ErrInvalidParams},
	} {
		before := f.params()
		f.requireRejected(tc.want, func() error {
			_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: tc.authority, Params: tc.params})
			return err
		}, tc.name)
		require.Equal(t, before, f.params(), tc.name)
	}

	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: valid})
	require.NoError(t, err)
	require.Equal(t, valid, f.params())
	require.Equal(t, []types.EventParamsUpdated{{Authority: f.authority}}, typedEvents[types.EventParamsUpdated](f))
	// The new category takes points; the dropped ones do not.
	require.Equal(t, uint64(20), f.add("gpu-hours", addr("a", 1), 10)) // first contributor: +100 %
	_, err = f.k.AddPoints(f.ctx, types.CategoryData, addr("a", 1), 10)
	require.ErrorIs(t, err, types.ErrUnknownCategory)
}
