package keeper_test

import (
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/types"
)

// Export → import into a fresh store → export gives the same state, in the
// middle of an epoch with another still settling.
func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.MaxSettlementsPerBlock = 1 })
	f.block(true, nil)
	p, q, r := &prover{addr: addr("work", 1)}, &prover{addr: addr("work", 2)}, &prover{addr: addr("work", 3)}
	f.register(addr("prov", 1), p.addr, 1)
	f.register(addr("prov", 1), q.addr, 2)
	f.register(addr("prov", 2), r.addr, 3)
	for i := 0; i < 4; i++ { // idle workers keep epoch 2 settling for a few blocks
		f.register(addr("prov", 3), addr("idle", i), 1)
	}
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(addr("prov", 2)), Worker: f.bech(addr("work", 9))})
	require.NoError(t, err)
	f.nextEpoch()
	e2 := f.currentEpoch()
	f.block(false, func() {
		require.NoError(t, p.commit(f))
		require.NoError(t, q.commit(f))
	})
	f.at(e2.CommitEnd+1, func() {
		_, err := p.reveal(f)
		require.NoError(t, err)
	})
	f.advanceTo(e2.RevealEnd) // one worker settled, cursor set
	f.block(true, nil)        // epoch 3 while epoch 2 settles
	f.block(false, func() { require.NoError(t, r.commit(f)) })

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Len(t, exported.Workers, 7)
	require.Len(t, exported.Authorizations, 1)
	require.Len(t, exported.Settling, 1)
	require.NotEmpty(t, exported.Settling[0].SettleCursor)
	require.Equal(t, int64(3), exported.Epoch.Number)
	require.Len(t, exported.Commitments, 3)

	g := newFixture(t, nil)
	g.ctx = g.ctx.WithBlockHeight(f.height())
	g.copyPools(f)
	require.NoError(t, g.k.InitGenesis(g.ctx, exported))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	for _, prov := range []int{1, 2, 3} {
		want, err := f.k.ProviderUnits.Get(f.ctx, addr("prov", prov))
		require.NoError(t, err)
		got, err := g.k.ProviderUnits.Get(g.ctx, addr("prov", prov))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.Equal(t, f.storeDigest(), g.storeDigest(), "byte-identical store")
}

// Two providers authorise one worker, which registers under the first: the
// second's authorization stays in state, and the export must still import
// (the simulation found exports that could not).
func TestGenesisKeepsAnotherProvidersAuthorization(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	w := addr("work", 1)
	f.addProvider(addr("prov", 2))
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(addr("prov", 2)), Worker: f.bech(w)})
	require.NoError(t, err)
	f.register(addr("prov", 1), w, 1) // authorises under prov 1, then registers

	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, []types.Authorization{{Provider: f.bech(addr("prov", 2)), Worker: f.bech(w)}}, exported.Authorizations)
	require.NoError(t, exported.Validate())
	g := newFixture(t, nil)
	g.copyPools(f)
	require.NoError(t, g.k.InitGenesis(g.ctx, exported))
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
}

// copyPools gives g's x/pool the pools and units of f's, as x/pool's own
// genesis would on import.
func (g *fixture) copyPools(f *fixture) {
	g.pool.pools, g.pool.units = maps.Clone(f.pool.pools), maps.Clone(f.pool.units)
}

// TestGenesisAgreesWithPool: x/compute's genesis is refused unless every
// provider with workers has a pool in x/pool carrying exactly its workers'
// units, and no pool carries units without workers (issue 17, genesis
// cross-check).
func TestGenesisAgreesWithPool(t *testing.T) {
	f := newFixture(t, smallParams)
	f.register(addr("prov", 1), addr("work", 1), 2)
	f.register(addr("prov", 1), addr("work", 2), 1)
	f.register(addr("prov", 3), addr("work", 3), 4)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)

	for name, c := range map[string]struct {
		edit func(p *fakePool)
		want string
	}{
		"agree":        {func(*fakePool) {}, ""},
		"no pool":      {func(p *fakePool) { delete(p.pools, string(addr("prov", 3))); delete(p.units, string(addr("prov", 3))) }, "no pool"},
		"pool units 0": {func(p *fakePool) { p.units[string(addr("prov", 1))] = 0 }, "x/pool has 0"},
		"fewer units":  {func(p *fakePool) { p.units[string(addr("prov", 3))] = 3 }, "x/pool has 3"},
		"stray units":  {func(p *fakePool) { p.pools[string(addr("prov", 2))], p.units[string(addr("prov", 2))] = true, 5 }, "its workers have none"},
		"stray at end": {func(p *fakePool) { p.pools[string(addr("prov", 9))], p.units[string(addr("prov", 9))] = true, 1 }, "its workers have none"},
		"stray first":  {func(p *fakePool) { p.pools[string(addr("prov", 0))], p.units[string(addr("prov", 0))] = true, 1 }, "its workers have none"},
	} {
		g := newFixture(t, smallParams)
		g.copyPools(f)
		c.edit(g.pool)
		err := g.k.InitGenesis(g.ctx, exported)
		if c.want == "" {
			require.NoError(t, err, name)
			continue
		}
		require.ErrorContains(t, err, c.want, name)
	}
}

func TestGenesisDefaultAndInvalid(t *testing.T) {
	require.NoError(t, types.DefaultGenesis().Validate())
	f := newFixture(t, nil)
	require.NoError(t, f.k.InitGenesis(f.ctx, types.DefaultGenesis()))
	out, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.Equal(t, types.DefaultGenesis(), out)

	w := types.Worker{
		Address: f.bech(addr("work", 1)), Provider: f.bech(addr("prov", 1)),
		Spec: types.HardwareSpec{GpuModel: "cpu", ComputeUnits: 1}, Status: types.WORKER_STATUS_ACTIVE, ReputationBps: 5000,
	}
	bad := []func(gs *types.GenesisState){
		func(gs *types.GenesisState) { gs.Params.SampleRows = 0 },
		func(gs *types.GenesisState) { gs.Workers = []types.Worker{w, w} },
		func(gs *types.GenesisState) { x := w; x.Address = "nope"; gs.Workers = []types.Worker{x} },
		func(gs *types.GenesisState) { x := w; x.Status = 0; gs.Workers = []types.Worker{x} },
		func(gs *types.GenesisState) { x := w; x.ReputationBps = 10001; gs.Workers = []types.Worker{x} },
		func(gs *types.GenesisState) { x := w; x.RegisteredEpoch = 5; gs.Workers = []types.Worker{x} },
		func(gs *types.GenesisState) {
			gs.Workers = []types.Worker{w}
			gs.Authorizations = []types.Authorization{{Provider: w.Provider, Worker: w.Address}}
		},
		func(gs *types.GenesisState) {
			gs.Workers = []types.Worker{w}
			gs.Commitments = []types.Commitment{{Worker: w.Address, Epoch: 1, Root: make([]byte, 32), Rows: 1}}
		},
		func(gs *types.GenesisState) { gs.Epoch = types.EpochInfo{Number: 1, Seed: []byte{1}} },
	}
	for i, mut := range bad {
		gs := types.DefaultGenesis()
		mut(gs)
		require.Error(t, gs.Validate(), "case %d", i)
	}
}
