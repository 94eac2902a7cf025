package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/dao/types"
)

// The store layout is consensus state: a renumbered prefix would make a
// running chain read garbage. Changing it needs a migration.
func TestStorePrefixesPinned(t *testing.T) {
	for want, p := range []collections.Prefix{
		types.ParamsKey, types.NextProposalIDKey, types.LocksKey, types.DelegationsKey,
		types.DelegatorsByDelegateKey, types.ProposalsKey, types.VotesKey, types.OwnPowerKey,
		types.DelegatedPowerKey, types.TotalPowerKey, types.DelegationHistoryKey, types.OverridesKey,
		types.VotingQueueKey, types.ExecutionQueueKey, types.AnalysisJobsKey,
	} {
		require.Equal(t, []byte{byte(want)}, p.Bytes(), "prefix %d", want)
	}
	require.Equal(t, "dao", types.StoreKey)
	require.Equal(t, "dao", types.ModuleName)
	require.Equal(t, "dao_escrow", types.EscrowAccount)
}
