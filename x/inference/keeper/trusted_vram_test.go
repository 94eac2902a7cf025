package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// TestAssignmentIgnoresUnprovenVram: a model's min_vram_gb is checked
// against the VRAM the worker's proven capacity backs (trusted_vram_gb),
// not the VRAM it claims: a worker claiming 80 GB that has proven nothing
// gets no job of a model needing 8 GB; once a pass backs 8 GB it does.
func TestAssignmentIgnoresUnprovenVram(t *testing.T) {
	f := newFixture(t, nil)
	vram := testModel("vram-model", true)
	vram.MinVramGb = 8
	require.NoError(t, f.k.RegisterModel(f.ctx, f.authority, vram))
	w := f.addWorker(vram.Id)

	f.setTrustedVram(w.addr, 0, 0) // claims 80 GB, proved nothing
	rec, err := f.compute.Workers.Get(f.ctx, w.addr)
	require.NoError(t, err)
	require.EqualValues(t, 80, rec.Spec.VramGb)
	addrs, _, err := f.k.EligibleWeights(f.ctx, vram.Id)
	require.NoError(t, err)
	require.Empty(t, addrs, "claimed VRAM without proven capacity must not count")

	f.setTrustedVram(w.addr, 7_000, 7) // proves 7 TOPS: 7 GB trusted
	addrs, _, err = f.k.EligibleWeights(f.ctx, vram.Id)
	require.NoError(t, err)
	require.Empty(t, addrs, "7 trusted GB < 8")

	f.setTrustedVram(w.addr, 8_000, 8)
	addrs, _, err = f.k.EligibleWeights(f.ctx, vram.Id)
	require.NoError(t, err)
	require.Equal(t, []sdk.AccAddress{w.addr}, addrs)
}
