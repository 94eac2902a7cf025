package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/rewards/types"
)

// A zero-height export moves epoch summaries' heights back by the export
// height L (a closed epoch keeps end_height ≥ 1, which marks it closed).
// On the restarted chain points of a closed epoch are still claimed, and
// the open epoch closes with an end height of the new chain.
func TestPrepareForZeroHeight(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a1, a2 := addr("a", 1), addr("a", 2)
	f.mintTo(types.ModuleName, coins(t, "1000000umesh"))
	f.ctx = f.ctx.WithBlockHeight(50)
	f.add(types.CategoryPoC, a1, 100)
	f.closeEpoch()
	for f.ctx.BlockHeight() < 60 {
		f.next()
	}
	f.add(types.CategoryPoC, a2, 100)

	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	closed, open := f.epoch(1), f.epoch(2)
	require.Equal(t, []int64{0, 1}, []int64{closed.StartHeight, closed.EndHeight})
	require.Equal(t, []int64{0, 0}, []int64{open.StartHeight, open.EndHeight}, "opened at 50, open")
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())

	// The new chain: block 1 follows the export.
	f.ctx = f.ctx.WithBlockHeight(0)
	f.next()
	f.next()
	res := f.claim(a1, a1)
	requireCoins(t, coins(t, "300000umesh"), res.Amount, "PoC's 30 % of the pot, all a1's")
	require.Equal(t, int64(2), f.closeEpoch().EndHeight)
	require.Equal(t, int64(2), f.epoch(3).StartHeight)
}
