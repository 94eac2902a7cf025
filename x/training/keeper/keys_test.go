package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/training/types"
)

// The store layout is consensus state: a renumbered prefix would make a
// running chain read garbage. Changing it needs a migration.
func TestStorePrefixesPinned(t *testing.T) {
	for want, p := range []collections.Prefix{
		types.ParamsKey, types.NextDatasetIDKey, types.NextItemIDKey, types.NextTaskIDKey,
		types.DatasetsKey, types.ItemsKey, types.ItemsByDatasetKey, types.ItemsByDigestKey,
		types.AnnotationsKey, types.AnnotatorStatsKey, types.TasksKey, types.TaskWorkersKey,
		types.RoundsKey, types.RoundDeadlinesKey, types.RecentJoinsKey,
	} {
		require.Equal(t, []byte{byte(want)}, p.Bytes(), "prefix %d", want)
	}
	require.Equal(t, "training", types.StoreKey)
	require.Equal(t, "training", types.ModuleName)
}
