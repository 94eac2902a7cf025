package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/training/types"
)

// A zero-height export moves running rounds' heights back by the export
// height, so that they end as many blocks after the restart as they had
// left; finished rounds keep theirs. A task whose workers joined in the last
// block starts its first round at height 1, and so does the next round of a
// task whose round a transaction of the last block ended (InitGenesis
// rebuilds both too).
func TestPrepareForZeroHeight(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	done := f.startTask(f.createMsg(1, 1, 1), ws[:1])
	f.fullRound(done, 1, ws[:1], []uint64{7}, tfSha("checkpoint done"))
	for i := 0; i < 20; i++ {
		f.next()
	}
	scheduled := f.startTask(f.createMsg(2, 1, 1), ws[3:4])
	running := f.startTask(f.createMsg(1, 1, 1), ws[1:2])
	starting := f.openTask(f.createMsg(1, 1, 1), ws[2:3])
	f.fullRound(scheduled, 1, ws[3:4], []uint64{7}, tfSha("checkpoint 1"))
	before := f.round(running, 1)
	finished := f.round(done, 1)
	h := f.height()
	require.Equal(t, types.ROUND_PHASE_COMMIT, before.Phase)

	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))
	after := f.round(running, 1)
	require.Equal(t, before.CommitEnd-h, after.CommitEnd)
	require.Equal(t, before.RevealEnd-h, after.RevealEnd)
	require.Equal(t, before.AggregateEnd-h, after.AggregateEnd)
	require.Equal(t, max(before.StartHeight-h, 0), after.StartHeight)
	require.Equal(t, finished, f.round(done, 1), "history unchanged")
	require.Equal(t, [][2]int64{{1, int64(scheduled)}, {1, int64(starting)}, {after.CommitEnd, int64(running)}}, f.deadlines())
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
}
