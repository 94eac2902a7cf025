package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Worker lifecycle: a provider authorises a worker account, the worker
// registers itself (its signature proves key possession), updates its
// claims, is jailed by the protocol, unjails, and is deregistered by itself
// or its provider. The provider's total units are mirrored to x/pool, which
// prices them in minimum self-stake.

// AuthorizeWorker lets worker register under provider.
func (k Keeper) AuthorizeWorker(ctx context.Context, provider, worker sdk.AccAddress) error {
	if err := k.requirePool(ctx, provider); err != nil {
		return err
	}
	exists, err := k.Workers.Has(ctx, worker)
	if err != nil {
		return err
	}
	if exists {
		return errorsmod.Wrap(types.ErrWorkerExists, k.addrString(worker))
	}
	if err := k.Authorizations.Set(ctx, collections.Join(provider, worker)); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventWorkerAuthorized{Provider: k.addrString(provider), Worker: k.addrString(worker)})
}

// RegisterWorker registers worker under provider, which must have authorised
// it and must hold the self-stake for its new total of units. The
// authorization is consumed. The claims passed MsgRegisterWorker.ValidateBasic.
func (k Keeper) RegisterWorker(ctx context.Context, worker, provider sdk.AccAddress, spec types.HardwareSpec, models []string, endpoint string) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := params.ValidateClaimBounds(spec, models); err != nil {
		return err
	}
	if err := k.requireKnownModels(ctx, models); err != nil {
		return err
	}
	exists, err := k.Workers.Has(ctx, worker)
	if err != nil {
		return err
	}
	if exists {
		return errorsmod.Wrap(types.ErrWorkerExists, k.addrString(worker))
	}
	auth := collections.Join(provider, worker)
	authorized, err := k.Authorizations.Has(ctx, auth)
	if err != nil {
		return err
	}
	if !authorized {
		return errorsmod.Wrapf(types.ErrUnauthorized, "worker %s is not authorised by provider %s", k.addrString(worker), k.addrString(provider))
	}
	if err := k.requirePool(ctx, provider); err != nil {
		return err
	}
	count, err := k.countWorkers(ctx, provider, params.MaxWorkersPerProvider)
	if err != nil {
		return err
	}
	if count >= params.MaxWorkersPerProvider {
		return errorsmod.Wrapf(types.ErrTooManyWorkers, "provider %s has %d workers", k.addrString(provider), count)
	}
	total, err := k.providerUnits(ctx, provider)
	if err != nil {
		return err
	}
	total += uint64(spec.ComputeUnits)
	if err := k.checkStake(ctx, provider, total); err != nil {
		return err
	}
	epoch, err := k.currentEpochNumber(ctx)
	if err != nil {
		return err
	}

	w := types.Worker{
		Address:       k.addrString(worker),
		Provider:      k.addrString(provider),
		Spec:          spec,
		Models:        models,
		Endpoint:      endpoint,
		Status:        types.WORKER_STATUS_ACTIVE,
		ReputationBps: types.InitialReputationBps,
		// First challenged in the next epoch: it cannot have prepared for this one.
		RegisteredEpoch: epoch,
	}
	// An address that was registered before keeps its record: leaving and
	// coming back must not reset reputation upward or forget misses and frauds.
	tomb, err := k.Tombstones.Get(ctx, worker)
	switch {
	case err == nil:
		w.ReputationBps = min(tomb.ReputationBps, types.InitialReputationBps)
		w.MissedEpochs, w.Passed, w.Missed, w.Frauds = tomb.MissedEpochs, tomb.Passed, tomb.Missed, tomb.Frauds
		w.LastPassedEpoch = tomb.LastPassedEpoch
		if err := k.Tombstones.Remove(ctx, worker); err != nil {
			return err
		}
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	if err := k.Workers.Set(ctx, worker, w); err != nil {
		return err
	}
	if err := k.WorkersByProvider.Set(ctx, collections.Join(provider, worker)); err != nil {
		return err
	}
	if err := k.indexModels(ctx, worker, nil, w.Models); err != nil {
		return err
	}
	if err := k.Authorizations.Remove(ctx, auth); err != nil {
		return err
	}
	if err := k.setProviderUnits(ctx, provider, total); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventWorkerRegistered{Worker: w.Address, Provider: w.Provider, ComputeUnits: spec.ComputeUnits})
}

// UpdateWorker replaces a worker's spec, models and endpoint. More units need
// the provider's self-stake for the new total; fewer units never do (a
// provider must always be able to shrink its exposure). The claims passed
// MsgUpdateWorker.ValidateBasic.
func (k Keeper) UpdateWorker(ctx context.Context, worker sdk.AccAddress, spec types.HardwareSpec, models []string, endpoint string) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := params.ValidateClaimBounds(spec, models); err != nil {
		return err
	}
	if err := k.requireKnownModels(ctx, models); err != nil {
		return err
	}
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return err
	}
	provider, err := k.addrBytes(w.Provider)
	if err != nil {
		return err
	}
	oldUnits, newUnits := uint64(w.Spec.ComputeUnits), uint64(spec.ComputeUnits)
	total, err := k.providerUnits(ctx, provider)
	if err != nil {
		return err
	}
	total = subFloor(total, oldUnits) + newUnits
	if newUnits > oldUnits {
		if err := k.checkStake(ctx, provider, total); err != nil {
			return err
		}
	}
	if err := k.indexModels(ctx, worker, w.Models, models); err != nil {
		return err
	}
	w.Spec, w.Models, w.Endpoint = spec, models, endpoint
	// Verified capacity never exceeds what the worker still claims (and
	// stakes for), and an update never raises it: only a pass does.
	w.VerifiedUnits = min(w.VerifiedUnits, spec.ComputeUnits)
	w.VerifiedGops = min(w.VerifiedGops, spec.ClaimedGOPS())
	w.TrustedVramGb = min(w.TrustedVramGb, spec.VramGb)
	if err := k.Workers.Set(ctx, worker, w); err != nil {
		return err
	}
	if newUnits != oldUnits {
		if err := k.setProviderUnits(ctx, provider, total); err != nil {
			return err
		}
	}
	return kit.Emit(ctx, &types.EventWorkerUpdated{Worker: w.Address, ComputeUnits: spec.ComputeUnits})
}

// DeregisterWorker removes a worker on behalf of signer (the worker or its
// provider) and returns the provider. A jailed worker, or one with a commitment
// still waiting for its reveal, cannot leave: deregistering must not be a way
// out of a jail or of a reveal that would expose fraud (re-registering would
// otherwise wipe both). The worker's record is kept as a tombstone.
func (k Keeper) DeregisterWorker(ctx context.Context, signer, worker sdk.AccAddress) (sdk.AccAddress, error) {
	w, provider, err := k.workerForSigner(ctx, signer, worker)
	if err != nil {
		return nil, err
	}
	if w.Status == types.WORKER_STATUS_JAILED {
		return nil, errorsmod.Wrapf(types.ErrStillJailed, "worker %s is jailed until height %d", w.Address, w.JailedUntil)
	}
	total, err := k.providerUnits(ctx, provider)
	if err != nil {
		return nil, err
	}
	open, err := k.openEpochNumbers(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range open {
		c, err := k.Commitments.Get(ctx, collections.Join(e, worker))
		if errors.Is(err, collections.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if c.Outcome == types.PROOF_OUTCOME_UNSPECIFIED {
			return nil, errorsmod.Wrapf(types.ErrCommitmentPending, "epoch %d: reveal first or wait for settlement", e)
		}
	}
	// Challenged at a commit close and not settled yet: leaving now would
	// dodge the miss it owes (issue 17, M2).
	if e, owes, err := k.owesOutcome(ctx, worker, open); err != nil {
		return nil, err
	} else if owes {
		c, err := k.Commitments.Get(ctx, collections.Join(e, worker))
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return nil, err
		}
		if err != nil || c.Outcome == types.PROOF_OUTCOME_UNSPECIFIED {
			return nil, errorsmod.Wrapf(types.ErrCommitmentPending, "epoch %d: challenged at its commit close, wait for settlement", e)
		}
	}
	for _, e := range open {
		if err := k.Commitments.Remove(ctx, collections.Join(e, worker)); err != nil {
			return nil, err
		}
		if err := k.Challenged.Remove(ctx, collections.Join(e, worker)); err != nil {
			return nil, err
		}
	}
	if err := k.Tombstones.Set(ctx, worker, w); err != nil {
		return nil, err
	}
	if err := k.Workers.Remove(ctx, worker); err != nil {
		return nil, err
	}
	if err := k.WorkersByProvider.Remove(ctx, collections.Join(provider, worker)); err != nil {
		return nil, err
	}
	if err := k.indexModels(ctx, worker, w.Models, nil); err != nil {
		return nil, err
	}
	if err := k.setProviderUnits(ctx, provider, subFloor(total, uint64(w.Spec.ComputeUnits))); err != nil {
		return nil, err
	}
	return provider, kit.Emit(ctx, &types.EventWorkerDeregistered{Worker: w.Address, Provider: w.Provider})
}

// UnjailWorker reactivates a jailed worker on behalf of signer (the worker or
// its provider) once its jail time is over and its pool is eligible. Like a
// new registration, it is challenged again from the next epoch on, and its
// missed-epoch record starts afresh.
func (k Keeper) UnjailWorker(ctx context.Context, signer, worker sdk.AccAddress) error {
	w, provider, err := k.workerForSigner(ctx, signer, worker)
	if err != nil {
		return err
	}
	if w.Status != types.WORKER_STATUS_JAILED {
		return errorsmod.Wrap(types.ErrNotJailed, w.Address)
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h < w.JailedUntil {
		return errorsmod.Wrapf(types.ErrStillJailed, "%s until height %d, now %d", w.Address, w.JailedUntil, h)
	}
	eligible, err := k.pool.IsEligible(ctx, provider)
	if err != nil {
		return err
	}
	if !eligible {
		return errorsmod.Wrap(types.ErrPoolNotEligible, w.Provider)
	}
	epoch, err := k.currentEpochNumber(ctx)
	if err != nil {
		return err
	}
	w.Status, w.JailedUntil, w.RegisteredEpoch, w.MissedEpochs = types.WORKER_STATUS_ACTIVE, 0, epoch, nil
	if err := k.Workers.Set(ctx, worker, w); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventWorkerUnjailed{Worker: w.Address})
}

// jail jails w (not saved) for jail_blocks, ends its run of passed epochs
// and emits EventWorkerJailed.
func (k Keeper) jail(ctx context.Context, params types.Params, w *types.Worker, reason string) error {
	w.Status, w.PassStreak = types.WORKER_STATUS_JAILED, 0
	w.JailedUntil = sdk.UnwrapSDKContext(ctx).BlockHeight() + params.JailBlocks
	return kit.Emit(ctx, &types.EventWorkerJailed{Worker: w.Address, Until: w.JailedUntil, Reason: reason})
}

// workerForSigner loads a worker and checks that signer is it or its provider.
func (k Keeper) workerForSigner(ctx context.Context, signer, worker sdk.AccAddress) (types.Worker, sdk.AccAddress, error) {
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return w, nil, err
	}
	provider, err := k.addrBytes(w.Provider)
	if err != nil {
		return w, nil, err
	}
	if !signer.Equals(worker) && !signer.Equals(sdk.AccAddress(provider)) {
		return w, nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s is neither worker %s nor its provider", k.addrString(signer), w.Address)
	}
	return w, provider, nil
}

// requireKnownModels fails unless x/inference knows every model id (when
// the registry is wired): a worker that claims a model nobody can request
// would sit in the registry advertising nothing (issue 17, hostile input).
func (k Keeper) requireKnownModels(ctx context.Context, models []string) error {
	if k.models.r == nil {
		return nil
	}
	for _, id := range models {
		ok, err := k.models.r.HasModel(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return errorsmod.Wrap(types.ErrUnknownModel, id)
		}
	}
	return nil
}

// requirePool fails unless provider has a pool in x/pool.
func (k Keeper) requirePool(ctx context.Context, provider sdk.AccAddress) error {
	has, err := k.pool.HasPool(ctx, provider)
	if err != nil {
		return err
	}
	if !has {
		return errorsmod.Wrap(types.ErrNoPool, k.addrString(provider))
	}
	return nil
}

// checkStake fails when provider's self-stake is below the minimum for units.
func (k Keeper) checkStake(ctx context.Context, provider sdk.AccAddress, units uint64) error {
	minStake, err := k.pool.MinSelfStake(ctx, units)
	if err != nil {
		return err
	}
	self, err := k.pool.SelfStake(ctx, provider)
	if err != nil {
		return err
	}
	if self.LT(minStake) {
		return errorsmod.Wrapf(types.ErrInsufficientStake, "self-stake %s < %s for %d units", self, minStake, units)
	}
	return nil
}

// countWorkers counts provider's workers, stopping at limit (bounded work).
func (k Keeper) countWorkers(ctx context.Context, provider sdk.AccAddress, limit uint32) (uint32, error) {
	iter, err := k.WorkersByProvider.Iterate(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](provider))
	if err != nil {
		return 0, err
	}
	defer iter.Close()
	var n uint32
	for ; iter.Valid() && n < limit; iter.Next() {
		n++
	}
	return n, nil
}

// providerUnits returns the sum of provider's worker units (0 if none).
func (k Keeper) providerUnits(ctx context.Context, provider sdk.AccAddress) (uint64, error) {
	units, err := k.ProviderUnits.Get(ctx, provider)
	if err != nil && !errorsmod.IsOf(err, collections.ErrNotFound) {
		return 0, err
	}
	return units, nil
}

// setProviderUnits stores provider's total units and tells x/pool. A
// provider whose pool is gone has nothing to mirror: its workers can still
// shrink or be deregistered.
func (k Keeper) setProviderUnits(ctx context.Context, provider sdk.AccAddress, units uint64) error {
	var err error
	if units == 0 {
		err = k.ProviderUnits.Remove(ctx, provider)
	} else {
		err = k.ProviderUnits.Set(ctx, provider, units)
	}
	if err != nil {
		return err
	}
	has, err := k.pool.HasPool(ctx, provider)
	if err != nil || !has {
		return err
	}
	return k.pool.SetComputeUnits(ctx, provider, units)
}

// subFloor returns a − b, or 0 when b > a.
func subFloor(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
