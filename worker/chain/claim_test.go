package chain

import (
	"testing"

	"github.com/stretchr/testify/require"

	computetypes "github.com/llmesh/mesh/x/compute/types"
)

func TestCapacityParamsAndClaim(t *testing.T) {
	p := computetypes.DefaultParams()
	p.PocTargetFractionBps, p.PocCommitSeconds = 2500, 40
	frac, secs, found := PoCCapacityParams(p)
	require.True(t, found)
	require.Equal(t, []uint64{2500, 40}, []uint64{frac, secs})
	p.PocTargetFractionBps = 0 // a node from before the params
	frac, secs, found = PoCCapacityParams(p)
	require.False(t, found)
	require.Equal(t, []uint64{DefaultPoCTargetFractionBps, DefaultPoCCommitSeconds}, []uint64{frac, secs})

	g, ok := ClaimedGOPS(computetypes.HardwareSpec{Int8Gops: 7})
	require.True(t, ok)
	require.Equal(t, uint64(7), g)
	g, ok = ClaimedGOPS(computetypes.HardwareSpec{Int8Tops: 2})
	require.True(t, ok)
	require.Equal(t, uint64(2000), g)
	_, ok = ClaimedGOPS(computetypes.HardwareSpec{ComputeUnits: 3})
	require.False(t, ok)
}
