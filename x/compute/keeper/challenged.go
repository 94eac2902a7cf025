package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Who owes an epoch an outcome is decided when its commit window closes
// (issue 17, M2), in the BeginBlock that draws the sample seed: every worker
// eligible at that moment (ACTIVE, registered before the epoch, its pool
// eligible) and every worker that committed. Settlement visits exactly
// those (issue 17, M5): a worker jailed, deregistered-and-back or whose pool
// changed between the close and settlement neither dodges its miss nor gets
// one it did not owe, and jailed workers are never visited.

// snapshotChallenged records epoch e's challenged workers. It reads each
// registered worker once per epoch (at the close, never at settlement) and
// decodes each provider once.
func (k Keeper) snapshotChallenged(ctx context.Context, e types.EpochInfo) error {
	return k.addChallenged(ctx, e, nil)
}

// addChallenged is snapshotChallenged for the workers from address from on
// (nil: all), so that a rebuild skips those a partial settlement has done.
func (k Keeper) addChallenged(ctx context.Context, e types.EpochInfo, from sdk.AccAddress) error {
	var rng collections.Ranger[sdk.AccAddress]
	if from != nil {
		rng = new(collections.Range[sdk.AccAddress]).StartInclusive(from)
	}
	providers, eligiblePool := map[string]sdk.AccAddress{}, map[string]bool{}
	var owe []sdk.AccAddress
	err := k.Workers.Walk(ctx, rng, func(addr sdk.AccAddress, w types.Worker) (bool, error) {
		if w.Status != types.WORKER_STATUS_ACTIVE || w.RegisteredEpoch >= e.Number {
			return false, nil
		}
		ok, seen := eligiblePool[w.Provider]
		if !seen {
			provider, err := k.providerOf(providers, w)
			if err != nil {
				return true, err
			}
			if ok, err = k.pool.IsEligible(ctx, provider); err != nil {
				// One provider's failure must not drop the whole epoch: its
				// workers are not challenged, and it is reported.
				k.Logger(ctx).Error("compute commit close: pool eligibility failed; worker not challenged", "worker", w.Address, "epoch", e.Number, "err", err)
				if err := kit.Emit(ctx, &types.EventSettlementFailed{Worker: w.Address, Epoch: e.Number, Error: err.Error()}); err != nil {
					return true, err
				}
				return false, nil
			}
			eligiblePool[w.Provider] = ok
		}
		if ok {
			owe = append(owe, addr)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, addr := range owe {
		if err := k.Challenged.Set(ctx, collections.Join(e.Number, addr)); err != nil {
			return err
		}
	}
	// A worker that committed owes its reveal whatever its eligibility now.
	var committed []sdk.AccAddress
	err = k.Commitments.Walk(ctx, collections.NewPrefixedPairRange[int64, sdk.AccAddress](e.Number),
		func(key collections.Pair[int64, sdk.AccAddress], c types.Commitment) (bool, error) {
			if from == nil || string(key.K2()) >= string(from) {
				committed = append(committed, key.K2())
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, addr := range committed {
		if err := k.Challenged.Set(ctx, collections.Join(e.Number, addr)); err != nil {
			return err
		}
	}
	return nil
}

// rebuildChallenged fills Challenged for every open, unsettled epoch whose
// commit window has closed, from the workers at or after its settle cursor.
// Genesis does not carry the set: an import (and the v2 upgrade of a chain
// that had none) rebuilds it from the state at that height, which is the
// one time eligibility is read after the close.
func (k Keeper) rebuildChallenged(ctx context.Context) error {
	open, err := k.openEpochs(ctx)
	if err != nil {
		return err
	}
	for _, e := range open {
		if e.Settled || len(e.SampleSeed) == 0 {
			continue
		}
		var from sdk.AccAddress
		if e.SettleCursor != "" {
			if from, err = k.addrBytes(e.SettleCursor); err != nil {
				return err
			}
		}
		if err := k.addChallenged(ctx, e, from); err != nil {
			return err
		}
	}
	return nil
}

// owesOutcome reports whether worker is still to be settled in an open epoch.
func (k Keeper) owesOutcome(ctx context.Context, worker sdk.AccAddress, open []int64) (int64, bool, error) {
	for _, e := range open {
		has, err := k.Challenged.Has(ctx, collections.Join(e, worker))
		if err != nil || has {
			return e, has, err
		}
	}
	return 0, false, nil
}
