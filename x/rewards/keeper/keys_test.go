package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/rewards/types"
)

// The store layout is consensus state: a renumbered prefix would make a
// running chain read garbage. Changing it needs a migration.
func TestStorePrefixesPinned(t *testing.T) {
	for want, p := range []collections.Prefix{
		types.ParamsKey, types.CurrentEpochKey, types.EpochsKey, types.PointsKey,
		types.ContributorsKey, types.ContributorCountKey, types.OutstandingKey,
	} {
		require.Equal(t, []byte{byte(want)}, p.Bytes(), "prefix %d", want)
	}
	require.Equal(t, "rewards", types.StoreKey)
}
