package chain

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	computetypes "github.com/llmesh/mesh/x/compute/types"
)

type withCapacity struct {
	PocTargetFractionBps uint32
	PocCommitSeconds     uint32
	Int8Gops             uint64
}

func TestCapacityFieldsByName(t *testing.T) {
	v, ok := uintField(reflect.ValueOf(withCapacity{PocTargetFractionBps: 2500, PocCommitSeconds: 40, Int8Gops: 7}), "PocTargetFractionBps")
	require.True(t, ok)
	require.Equal(t, uint64(2500), v)
	_, ok = uintField(reflect.ValueOf(withCapacity{}), "Nope")
	require.False(t, ok)

	// Whatever x/compute has today: defaults when the fields are missing,
	// the params' values when they are there.
	p := computetypes.DefaultParams()
	frac, secs, found := PoCCapacityParams(p)
	if !found {
		require.Equal(t, uint64(DefaultPoCTargetFractionBps), frac)
		require.Equal(t, uint64(DefaultPoCCommitSeconds), secs)
	} else {
		require.NotZero(t, frac)
		require.NotZero(t, secs)
	}
}
