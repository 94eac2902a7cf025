package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/compute/types"
)

func smallParams(p *types.Params) {
	p.PocDim, p.PocCols, p.PocRowsPerUnit, p.SampleRows = 16, 8, 8, 4
	p.CommitWindow, p.RevealWindow = 3, 3
	p.JailBlocks = 5
}

func TestRegisterWorker(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, w := addr("prov", 1), addr("work", 1)
	f.addProvider(prov)

	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w)})
	require.NoError(t, err)
	_, err = f.msg.RegisterWorker(f.ctx, registerMsg(f, prov, w, 10))
	require.NoError(t, err)
	require.Len(t, f.events("mesh.compute.v1.EventWorkerRegistered"), 1)

	got := f.worker(w)
	require.Equal(t, types.WORKER_STATUS_ACTIVE, got.Status)
	require.Equal(t, uint32(types.InitialReputationBps), got.ReputationBps)
	require.Equal(t, f.bech(prov), got.Provider)
	require.Equal(t, uint64(10), f.pool.units[string(prov)])
	// The authorization is consumed.
	has, err := f.k.Authorizations.Has(f.ctx, collectionsJoin(prov, w))
	require.NoError(t, err)
	require.False(t, has)

	// A second registration of the same worker.
	f.requireRejected(types.ErrWorkerExists, send(f, f.msg.RegisterWorker, registerMsg(f, prov, w, 10)))
	// Authorising an already registered worker.
	f.requireRejected(types.ErrWorkerExists, send(f, f.msg.AuthorizeWorker, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w)}))
}

func TestRegisterWorkerRejects(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, other, w := addr("prov", 1), addr("prov", 2), addr("work", 1)
	f.addProvider(prov)
	f.addProvider(other)

	// A stranger: no authorization at all.
	f.requireRejected(types.ErrUnauthorized, send(f, f.msg.RegisterWorker, registerMsg(f, prov, w, 1)))
	// Authorised by another provider than the one claimed.
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(other), Worker: f.bech(w)})
	require.NoError(t, err)
	f.requireRejected(types.ErrUnauthorized, send(f, f.msg.RegisterWorker, registerMsg(f, prov, w, 1)))
	// A provider without a pool cannot authorise.
	f.requireRejected(types.ErrNoPool, send(f, f.msg.AuthorizeWorker, &types.MsgAuthorizeWorker{Provider: f.bech(addr("nopool", 1)), Worker: f.bech(w)}))
	f.requireRejected(types.ErrInvalidAddress, (&types.MsgAuthorizeWorker{Provider: "cosmos1xyz", Worker: f.bech(w)}).ValidateBasic)

	_, err = f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w)})
	require.NoError(t, err)
	// Malformed claims are refused by ValidateBasic (CheckTx), claims beyond
	// the params' bounds (units, number of models) by the keeper.
	bad := []func(m *types.MsgRegisterWorker){
		func(m *types.MsgRegisterWorker) { m.Spec.ComputeUnits = 0 },
		func(m *types.MsgRegisterWorker) { m.Spec.ComputeUnits = 1001 },
		func(m *types.MsgRegisterWorker) { m.Spec.GpuModel = "" },
		func(m *types.MsgRegisterWorker) { m.Spec.GpuModel = string(make([]byte, 65)) },
		func(m *types.MsgRegisterWorker) { m.Models = []string{"m1", "m1"} },
		func(m *types.MsgRegisterWorker) { m.Models = []string{string(make([]byte, 65))} },
		func(m *types.MsgRegisterWorker) { m.Models = []string{"has space"} },
		func(m *types.MsgRegisterWorker) { m.Models = strings.Fields("a b c d e f g h i j k l m n o p q") },
		func(m *types.MsgRegisterWorker) { m.Endpoint = "http://" + string(make([]byte, 250)) },
	}
	for _, mut := range bad {
		m := registerMsg(f, prov, w, 1)
		mut(m)
		f.requireRejected(types.ErrInvalidSpec, func() error {
			if err := m.ValidateBasic(); err != nil {
				return err
			}
			_, err := f.msg.RegisterWorker(f.ctx, m)
			return err
		})
	}

	// Self-stake must cover MinSelfStake(new total units) = 1000 + 100·units.
	f.pool.selfStake[string(prov)] = math.NewInt(1000 + 100*5)
	f.requireRejected(types.ErrInsufficientStake, send(f, f.msg.RegisterWorker, registerMsg(f, prov, w, 6)))
	_, err = f.msg.RegisterWorker(f.ctx, registerMsg(f, prov, w, 5))
	require.NoError(t, err)
}

func TestWorkersPerProviderCap(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { smallParams(p); p.MaxWorkersPerProvider = 2 })
	prov := addr("prov", 1)
	f.register(prov, addr("work", 1), 1)
	f.register(prov, addr("work", 2), 1)
	w3 := addr("work", 3)
	_, err := f.msg.AuthorizeWorker(f.ctx, &types.MsgAuthorizeWorker{Provider: f.bech(prov), Worker: f.bech(w3)})
	require.NoError(t, err)
	f.requireRejected(types.ErrTooManyWorkers, send(f, f.msg.RegisterWorker, registerMsg(f, prov, w3, 1)))
	require.Equal(t, uint64(2), f.pool.units[string(prov)])
}

func TestUpdateAndDeregisterWorker(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, w1, w2 := addr("prov", 1), addr("work", 1), addr("work", 2)
	f.register(prov, w1, 3)
	f.register(prov, w2, 4)
	require.Equal(t, uint64(7), f.pool.units[string(prov)])

	// More units need stake for the new total (1000 + 100·12).
	f.pool.selfStake[string(prov)] = math.NewInt(1000 + 100*11)
	up := &types.MsgUpdateWorker{Worker: f.bech(w1), Spec: types.HardwareSpec{GpuModel: "H200", ComputeUnits: 8}, Models: []string{"m3"}}
	f.requireRejected(types.ErrInsufficientStake, send(f, f.msg.UpdateWorker, up))
	up.Spec.ComputeUnits = 7
	_, err := f.msg.UpdateWorker(f.ctx, up)
	require.NoError(t, err)
	require.Equal(t, uint64(11), f.pool.units[string(prov)])
	require.Equal(t, "H200", f.worker(w1).Spec.GpuModel)
	require.Equal(t, []string{"m3"}, f.worker(w1).Models)

	// Fewer units never need stake, even under-staked.
	f.pool.selfStake[string(prov)] = math.ZeroInt()
	up.Spec.ComputeUnits = 1
	_, err = f.msg.UpdateWorker(f.ctx, up)
	require.NoError(t, err)
	require.Equal(t, uint64(5), f.pool.units[string(prov)])

	f.requireRejected(types.ErrWorkerNotFound, send(f, f.msg.UpdateWorker, &types.MsgUpdateWorker{Worker: f.bech(addr("nobody", 1)), Spec: up.Spec}))

	// A stranger cannot deregister; the worker and its provider can.
	f.requireRejected(types.ErrUnauthorized, send(f, f.msg.DeregisterWorker, &types.MsgDeregisterWorker{Signer: f.bech(addr("stranger", 1)), Worker: f.bech(w1)}))
	_, err = f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(prov), Worker: f.bech(w1)})
	require.NoError(t, err)
	require.Equal(t, uint64(4), f.pool.units[string(prov)])
	_, err = f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(w2), Worker: f.bech(w2)})
	require.NoError(t, err)
	require.Equal(t, uint64(0), f.pool.units[string(prov)])
	has, err := f.k.ProviderUnits.Has(f.ctx, prov)
	require.NoError(t, err)
	require.False(t, has)

	// A provider whose pool is gone can still deregister its workers.
	prov2, w3 := addr("prov", 2), addr("work", 3)
	f.register(prov2, w3, 2)
	delete(f.pool.pools, string(prov2))
	_, err = f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(prov2), Worker: f.bech(w3)})
	require.NoError(t, err)
	require.Equal(t, uint64(2), f.pool.units[string(prov2)], "nothing mirrored to a missing pool")
}

// Lowering units caps verified capacity.
func TestUpdateWorkerCapsVerifiedUnits(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 4)
	ww := f.worker(w)
	ww.VerifiedUnits = 4
	require.NoError(t, f.k.Workers.Set(f.ctx, w, ww))
	_, err := f.msg.UpdateWorker(f.ctx, &types.MsgUpdateWorker{Worker: f.bech(w), Spec: types.HardwareSpec{GpuModel: "H100", ComputeUnits: 1}, Models: []string{"m1"}})
	require.NoError(t, err)
	require.EqualValues(t, 1, f.worker(w).VerifiedUnits)
}

// Deregistering is no way out: not while jailed, not while a commitment
// waits for its reveal; and coming back restores the record.
func TestDeregisterCannotLaunderHistory(t *testing.T) {
	f := newFixture(t, smallParams)
	f.block(true, nil)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 1)
	f.nextEpoch() // epoch 2: w is challenged

	// Commit, then try to leave before revealing.
	p := &prover{addr: w}
	require.NoError(t, p.commit(f))
	f.requireRejected(types.ErrCommitmentPending, send(f, f.msg.DeregisterWorker, &types.MsgDeregisterWorker{Signer: f.bech(prov), Worker: f.bech(w)}))

	// Jailed: cannot leave either.
	jailed := f.worker(w)
	jailed.Status, jailed.JailedUntil = types.WORKER_STATUS_JAILED, f.height()+100
	require.NoError(t, f.k.Workers.Set(f.ctx, w, jailed))
	f.requireRejected(types.ErrStillJailed, send(f, f.msg.DeregisterWorker, &types.MsgDeregisterWorker{Signer: f.bech(w), Worker: f.bech(w)}))

	// Active again with a poor record, no pending commitment: it may leave,
	// but re-registering keeps the record (reputation never resets upward).
	jailed.Status, jailed.JailedUntil, jailed.ReputationBps, jailed.Missed, jailed.Frauds = types.WORKER_STATUS_ACTIVE, 0, 1200, 4, 1
	require.NoError(t, f.k.Workers.Set(f.ctx, w, jailed))
	require.NoError(t, f.k.Commitments.Remove(f.ctx, collectionsJoinEpoch(p.epoch, w)))
	_, err := f.msg.DeregisterWorker(f.ctx, &types.MsgDeregisterWorker{Signer: f.bech(w), Worker: f.bech(w)})
	require.NoError(t, err)
	f.register(prov, w, 1)
	back := f.worker(w)
	require.EqualValues(t, 1200, back.ReputationBps)
	require.EqualValues(t, 4, back.Missed)
	require.EqualValues(t, 1, back.Frauds)
	has, err := f.k.Tombstones.Has(f.ctx, w)
	require.NoError(t, err)
	require.False(t, has, "the tombstone is consumed on re-registration")
}

func TestUnjailWorker(t *testing.T) {
	f := newFixture(t, smallParams)
	prov, w := addr("prov", 1), addr("work", 1)
	f.register(prov, w, 1)

	f.requireRejected(types.ErrNotJailed, send(f, f.msg.UnjailWorker, &types.MsgUnjailWorker{Signer: f.bech(w), Worker: f.bech(w)}))
	jailed := f.worker(w)
	jailed.Status, jailed.JailedUntil, jailed.MissedEpochs = types.WORKER_STATUS_JAILED, f.height()+3, []int64{1}
	require.NoError(t, f.k.Workers.Set(f.ctx, w, jailed))

	f.requireRejected(types.ErrUnauthorized, send(f, f.msg.UnjailWorker, &types.MsgUnjailWorker{Signer: f.bech(addr("stranger", 1)), Worker: f.bech(w)}))
	f.requireRejected(types.ErrStillJailed, send(f, f.msg.UnjailWorker, &types.MsgUnjailWorker{Signer: f.bech(w), Worker: f.bech(w)}))
	f.advanceTo(jailed.JailedUntil - 1)
	f.block(true, nil) // epoch 1 starts at jailed_until
	f.pool.ineligible[string(prov)] = true
	f.requireRejected(types.ErrPoolNotEligible, send(f, f.msg.UnjailWorker, &types.MsgUnjailWorker{Signer: f.bech(prov), Worker: f.bech(w)}))
	f.pool.ineligible[string(prov)] = false
	_, err := f.msg.UnjailWorker(f.ctx, &types.MsgUnjailWorker{Signer: f.bech(prov), Worker: f.bech(w)})
	require.NoError(t, err)
	got := f.worker(w)
	require.Equal(t, types.WORKER_STATUS_ACTIVE, got.Status)
	require.Empty(t, got.MissedEpochs)
	// Unjailed during epoch 1: challenged again from epoch 2 on.
	require.Equal(t, int64(1), got.RegisteredEpoch)
	ok, err := f.k.IsEligible(f.ctx, got, 1)
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = f.k.IsEligible(f.ctx, got, 2)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestUpdateParams(t *testing.T) {
	f := newFixture(t, nil)
	p := types.DefaultParams()
	p.SampleRows = 16
	f.requireRejected(types.ErrInvalidAuthority, send(f, f.msg.UpdateParams, &types.MsgUpdateParams{Authority: f.bech(addr("stranger", 1)), Params: p}))
	bad := p
	bad.SampleRows = 0
	f.requireRejected(types.ErrInvalidParams, (&types.MsgUpdateParams{Authority: f.authority, Params: bad}).ValidateBasic)
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	require.Equal(t, uint32(16), f.params().SampleRows)
	require.Len(t, f.events("mesh.compute.v1.EventParamsUpdated"), 1)
}
