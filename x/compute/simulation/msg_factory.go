package simulation

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/keeper"
	"github.com/llmesh/mesh/x/compute/types"
)

// Each factory reads the real keeper's state (and x/pool's, through
// Keeper.ProviderStake) to build a message that must succeed, or skips.

// MsgAuthorizeWorkerFactory: a provider with a pool authorises an account
// that is not a worker yet.
func MsgAuthorizeWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAuthorizeWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAuthorizeWorker) {
		var providers []simsx.SimAccount
		for i := range testData.AccountsCount() {
			a := testData.AccountAt(reporter, i)
			if has, _, _, _, err := k.ProviderStake(ctx, a.Address, 0); err == nil && has {
				providers = append(providers, a)
			}
		}
		if len(providers) == 0 {
			reporter.Skip("no provider with a pool")
			return nil, nil
		}
		provider := providers[testData.Rand().Intn(len(providers))]
		worker := testData.AnyAccountN(5, reporter, simsx.SimAccountFilterFn(func(a simsx.SimAccount) bool {
			has, err := k.Workers.Has(ctx, a.Address)
			return err == nil && !has
		}))
		if reporter.IsSkipped() {
			return nil, nil
		}
		return []simsx.SimAccount{provider}, &types.MsgAuthorizeWorker{Provider: provider.AddressBech32, Worker: worker.AddressBech32}
	}
}

// MsgRegisterWorkerFactory registers an authorised worker with units its
// provider's self-stake covers.
func MsgRegisterWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRegisterWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterWorker) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		var auths []collections.Pair[sdk.AccAddress, sdk.AccAddress]
		_ = k.Authorizations.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, sdk.AccAddress]) (bool, error) {
			auths = append(auths, key)
			return false, nil
		})
		testData.Rand().Shuffle(len(auths), func(i, j int) { auths[i], auths[j] = auths[j], auths[i] })
		for _, a := range auths {
			provider, worker := a.K1(), a.K2()
			workerAcc := testData.GetAccountbyAccAddr(reporter, worker)
			if reporter.IsSkipped() {
				return nil, nil
			}
			if has, err := k.Workers.Has(ctx, worker); err != nil || has {
				continue
			}
			if n := countWorkers(ctx, k, provider); n >= params.MaxWorkersPerProvider {
				continue
			}
			total, _ := k.ProviderUnits.Get(ctx, provider)
			units := uint32(1 + testData.Rand().Intn(int(params.MaxUnitsPerWorker)))
			has, _, self, need, err := k.ProviderStake(ctx, provider, total+uint64(units))
			if err != nil || !has || self.LT(need) {
				continue
			}
			return []simsx.SimAccount{workerAcc}, &types.MsgRegisterWorker{
				Worker:   workerAcc.AddressBech32,
				Provider: sdk.AccAddress(provider).String(),
				Spec:     randomSpec(testData.Rand(), units),
				Models:   randomModels(testData.Rand(), params.MaxModelsPerWorker),
				Endpoint: fmt.Sprintf("https://w%d.sim.invalid", testData.Rand().Intn(1000)),
			}
		}
		reporter.Skip("no authorised worker whose provider covers its units")
		return nil, nil
	}
}

// MsgUpdateWorkerFactory changes a worker's claims; more units only when the
// provider's self-stake covers them.
func MsgUpdateWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUpdateWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateWorker) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		w, ok := randomWorker(ctx, k, testData, func(types.Worker) bool { return true })
		if !ok {
			reporter.Skip("no worker")
			return nil, nil
		}
		provider := sdk.MustAccAddressFromBech32(w.Provider)
		total, _ := k.ProviderUnits.Get(ctx, provider)
		units := uint32(1 + testData.Rand().Intn(int(params.MaxUnitsPerWorker)))
		if units > w.Spec.ComputeUnits {
			_, _, self, need, err := k.ProviderStake(ctx, provider, total-uint64(w.Spec.ComputeUnits)+uint64(units))
			if err != nil || self.LT(need) {
				units = w.Spec.ComputeUnits
			}
		}
		if units > params.MaxUnitsPerWorker {
			// A params change lowered the cap below the worker's units and
			// its provider cannot back more: no valid update now.
			reporter.Skip("worker above max_units_per_worker")
			return nil, nil
		}
		acc := testData.GetAccount(reporter, w.Address)
		return []simsx.SimAccount{acc}, &types.MsgUpdateWorker{
			Worker:   w.Address,
			Spec:     randomSpec(testData.Rand(), units),
			Models:   randomModels(testData.Rand(), params.MaxModelsPerWorker),
			Endpoint: w.Endpoint,
		}
	}
}

// MsgDeregisterWorkerFactory removes an active worker the keeper lets leave
// (no pending PoC commitment, not challenged in an unsettled epoch), signed
// by the worker or by its provider.
func MsgDeregisterWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgDeregisterWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDeregisterWorker) {
		w, ok := randomWorker(ctx, k, testData, func(w types.Worker) bool {
			return w.Status == types.WORKER_STATUS_ACTIVE && !hasCommitment(ctx, k, sdk.MustAccAddressFromBech32(w.Address)) &&
				canLeave(ctx, k, sdk.MustAccAddressFromBech32(w.Address))
		})
		if !ok {
			reporter.Skip("no worker to deregister")
			return nil, nil
		}
		signer := signerOf(testData, reporter, w)
		return []simsx.SimAccount{signer}, &types.MsgDeregisterWorker{Signer: signer.AddressBech32, Worker: w.Address}
	}
}

// MsgUnjailWorkerFactory unjails a worker whose jail is over and whose pool
// is eligible.
func MsgUnjailWorkerFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgUnjailWorker] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUnjailWorker) {
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		w, ok := randomWorker(ctx, k, testData, func(w types.Worker) bool {
			if w.Status != types.WORKER_STATUS_JAILED || h < w.JailedUntil {
				return false
			}
			_, eligible, _, _, err := k.ProviderStake(ctx, sdk.MustAccAddressFromBech32(w.Provider), 0)
			return err == nil && eligible
		})
		if !ok {
			reporter.Skip("no worker to unjail")
			return nil, nil
		}
		signer := signerOf(testData, reporter, w)
		return []simsx.SimAccount{signer}, &types.MsgUnjailWorker{Signer: signer.AddressBech32, Worker: w.Address}
	}
}

// signerOf is the worker or, half of the time, its provider.
func signerOf(testData *simsx.ChainDataSource, reporter simsx.SimulationReporter, w types.Worker) simsx.SimAccount {
	if testData.Rand().Intn(2) == 0 && testData.HasAccount(w.Provider) {
		return testData.GetAccount(reporter, w.Provider)
	}
	return testData.GetAccount(reporter, w.Address)
}

// randomWorker picks a worker with a simulated address that passes keep.
func randomWorker(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, keep func(types.Worker) bool) (types.Worker, bool) {
	var ws []types.Worker
	_ = k.Workers.Walk(ctx, nil, func(_ sdk.AccAddress, w types.Worker) (bool, error) {
		if testData.HasAccount(w.Address) && keep(w) {
			ws = append(ws, w)
		}
		return false, nil
	})
	if len(ws) == 0 {
		return types.Worker{}, false
	}
	return ws[testData.Rand().Intn(len(ws))], true
}

func countWorkers(ctx context.Context, k keeper.Keeper, provider sdk.AccAddress) uint32 {
	var n uint32
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](provider)
	_ = k.WorkersByProvider.Walk(ctx, rng, func(collections.Pair[sdk.AccAddress, sdk.AccAddress]) (bool, error) {
		n++
		return false, nil
	})
	return n
}

// hasCommitment reports whether worker has any PoC commitment stored.
// canLeave dry-runs the worker's own deregistration in a discarded cache
// context: the keeper's checks decide, so the factory never proposes a
// deregistration the msg server refuses.
func canLeave(ctx context.Context, k keeper.Keeper, worker sdk.AccAddress) bool {
	cc, _ := sdk.UnwrapSDKContext(ctx).CacheContext()
	_, err := k.DeregisterWorker(cc, worker, worker)
	return err == nil
}

func hasCommitment(ctx context.Context, k keeper.Keeper, worker sdk.AccAddress) bool {
	found := false
	_ = k.Commitments.Walk(ctx, nil, func(key collections.Pair[int64, sdk.AccAddress], _ types.Commitment) (bool, error) {
		found = key.K2().Equals(worker)
		return found, nil
	})
	return found
}

func randomSpec(r *simsx.XRand, units uint32) types.HardwareSpec {
	gpus := []string{"H100", "A100", "RTX-4090", "L40S"}
	return types.HardwareSpec{
		GpuModel:     gpus[r.Intn(len(gpus))],
		VramGb:       uint32(8 << r.Intn(4)),
		Int8Tops:     uint64(100 + r.Intn(4000)),
		ComputeUnits: units,
	}
}

// randomModels is 1..max distinct ids of ModelIDs, in ModelIDs order.
func randomModels(r *simsx.XRand, max uint32) []string {
	n := 1 + r.Intn(int(min(max, uint32(len(ModelIDs)))))
	perm := r.Perm(len(ModelIDs))[:n]
	out := make([]string, 0, n)
	for i, id := range ModelIDs {
		for _, j := range perm {
			if i == j {
				out = append(out, id)
			}
		}
	}
	return out
}
