package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/types"
)

// modelIndex lists WorkersByModel as model → worker bech32s in index order.
func (f *fixture) modelIndex() map[string][]string {
	f.t.Helper()
	out := map[string][]string{}
	require.NoError(f.t, f.k.WorkersByModel.Walk(f.ctx, nil, func(key collections.Pair[string, sdk.AccAddress]) (bool, error) {
		out[key.K1()] = append(out[key.K1()], f.bech(key.K2()))
		return false, nil
	}))
	return out
}

func (f *fixture) workersOfModel(model string) []string {
	f.t.Helper()
	var out []string
	require.NoError(f.t, f.k.IterateWorkersOfModel(f.ctx, model, func(w types.Worker) (bool, error) {
		out = append(out, w.Address)
		return false, nil
	}))
	return out
}

// TestWorkersByModelIndex: the (model, worker) index follows register,
// update, deregister, genesis import and the v2 migration (issue 17, M5).
func TestWorkersByModelIndex(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov := addr("prov", 1)
	w1, w2 := addr("work", 1), addr("work", 2)
	f.register(prov, w1, 1)
	f.register(prov, w2, 1)
	both := []string{f.bech(w1), f.bech(w2)}
	if f.bech(w2) < f.bech(w1) {
		both = []string{f.bech(w2), f.bech(w1)}
	}
	require.Equal(t, map[string][]string{"m1": both, "m2": both}, f.modelIndex())
	require.Equal(t, both, f.workersOfModel("m1"))
	require.Empty(t, f.workersOfModel("m"), "a prefix of a model id is another model")

	// Update: m1 dropped, m3 added.
	_, err := f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(w1), Spec: f.worker(w1).Spec, Models: []string{"m2", "m3"}})
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"m1": {f.bech(w2)}, "m2": both, "m3": {f.bech(w1)}}, f.modelIndex())

	// Stop early.
	n := 0
	require.NoError(t, f.k.IterateWorkersOfModel(f.ctx, "m2", func(types.Worker) (bool, error) { n++; return true, nil }))
	require.Equal(t, 1, n)

	// Genesis import rebuilds the index (it is not exported).
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	g := newFixture(t, smallParams)
	g.copyPools(f)
	require.NoError(t, g.k.InitGenesis(g.ctx, gs))
	require.Equal(t, f.modelIndex(), g.modelIndex())

	// The v2 migration builds it from the workers (a v1 store has none).
	require.NoError(t, f.k.WorkersByModel.Clear(f.ctx, nil))
	require.Empty(t, f.modelIndex())
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))
	require.Equal(t, g.modelIndex(), f.modelIndex())

	// Deregister removes every entry of the worker.
	_, err = f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(w1), Worker: f.bech(w1)})
	require.NoError(t, err)
	require.Equal(t, map[string][]string{"m1": {f.bech(w2)}, "m2": {f.bech(w2)}}, f.modelIndex())
}
