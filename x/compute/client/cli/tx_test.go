package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// TestGOPSFlag: --gops sets int8_gops; --tops alone replaces a GOPS claim;
// unset flags keep the current claims (update-worker).
func TestGOPSFlag(t *testing.T) {
	read := func(cur types.HardwareSpec, args ...string) types.HardwareSpec {
		cmd := NewUpdateWorkerCmd()
		require.NoError(t, cmd.Flags().Parse(args))
		spec, _, _, err := readClaims(cmd.Flags(), cur, nil, "")
		require.NoError(t, err)
		return spec
	}
	cur := types.HardwareSpec{GpuModel: "H100", Int8Tops: 1979, Int8Gops: 1_500_000, ComputeUnits: 2}
	require.Equal(t, cur, read(cur, "--units", "2"))
	got := read(cur, "--gops", "900000")
	require.Equal(t, uint64(900_000), got.Int8Gops)
	require.Equal(t, uint64(900_000), got.ClaimedGOPS())
	got = read(cur, "--tops", "500")
	require.Equal(t, uint64(500_000), got.ClaimedGOPS(), "--tops alone replaces the GOPS claim")
	got = read(cur, "--tops", "500", "--gops", "420000")
	require.Equal(t, uint64(420_000), got.ClaimedGOPS())
	require.NotNil(t, NewRegisterWorkerCmd().Flags().Lookup(FlagGOPS))
}
