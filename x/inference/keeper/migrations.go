package keeper

import (
	"fmt"
	"slices"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// Migrator runs x/inference's store migrations.
type Migrator struct{ k Keeper }

// NewMigrator returns the migrator of k.
func NewMigrator(k Keeper) Migrator { return Migrator{k: k} }

// Migrate1to2 moves every stored model's single price into its list of
// prices and clears the deprecated field: from v2 on, the state machine
// reads only Model.prices. It also sets the new contract-callback params
// (max_callback_gas, max_callbacks_per_block) and reveal_grace_blocks to
// their defaults, and
// stores in every open job its model's deterministic flag (v2 judges a job
// by the flag fixed at its request).
//
// A v1 model could be priced in a denom that is neither umesh nor in
// fee_denoms (v1 did not check it at registration, and the authority could
// delist a denom later); no request for it could ever be paid. v2 keeps
// every model priced in allowed denoms (genesis validation relies on it), so
// such a denom is added to fee_denoms and an ACTIVE model priced in it is
// RETIRED: what could not be requested before still cannot be, until the
// authority updates the model. Models are walked in id order; open jobs keep
// the fee fixed at their request.
func (m Migrator) Migrate1to2(ctx sdk.Context) error {
	params, err := m.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	var models []types.Model
	if err := m.k.Models.Walk(ctx, nil, func(_ string, model types.Model) (bool, error) {
		models = append(models, model)
		return false, nil
	}); err != nil {
		return err
	}
	v1 := params // what v1 accepted: the denoms added below do not count
	v1.FeeDenoms = slices.Clone(params.FeeDenoms)
	paramsChanged := false
	for _, model := range models {
		old := model.Price //nolint:staticcheck // the migration is the deprecated field's only reader
		if old == nil {
			continue // already migrated, or registered with prices
		}
		model.Price = nil //nolint:staticcheck // cleared for good
		// A v1 model has no prices; should one hold both, a price already
		// given in the old denom wins.
		if _, ok := model.PriceIn(old.Denom); !ok {
			model.Prices = append(model.Prices, *old).Sort()
		}
		if !v1.FeeDenomAllowed(old.Denom) {
			if !params.FeeDenomAllowed(old.Denom) {
				params.FeeDenoms = append(params.FeeDenoms, old.Denom)
				paramsChanged = true
			}
			if model.Status == types.MODEL_STATUS_ACTIVE {
				model.Status = types.MODEL_STATUS_RETIRED
			}
			m.k.Logger(ctx).Info("x/inference 1→2: price denom not in fee_denoms; added, model retired if active",
				"model", model.Id, "denom", old.Denom, "status", model.Status.String())
		}
		if err := types.ValidateModel(model); err != nil {
			return fmt.Errorf("x/inference 1→2: model %s: %w", model.Id, err)
		}
		if err := m.k.Models.Set(ctx, model.Id, model); err != nil {
			return err
		}
	}
	if err := m.fixDeterministic(ctx); err != nil {
		return err
	}
	// The contract-callback params are new in v2.
	if params.MaxCallbackGas == 0 && params.MaxCallbacksPerBlock == 0 {
		params.MaxCallbackGas = types.DefaultMaxCallbackGas
		params.MaxCallbacksPerBlock = types.DefaultMaxCallbacksPerBlock
		paramsChanged = true
	}
	// min_redundancy_untrusted is new in v2 (issue 17 L5): 0 reads as
	// min_redundancy, as v1 behaved; the default is set.
	if params.MinRedundancyUntrusted == 0 {
		params.MinRedundancyUntrusted = min(max(types.DefaultParams().MinRedundancyUntrusted, params.MinRedundancy), params.MaxRedundancy)
		paramsChanged = true
	}
	// reveal_grace_blocks is new in v2 (issue 17 M2).
	if params.RevealGraceBlocks == 0 {
		params.RevealGraceBlocks = types.DefaultRevealGraceBlocks
		paramsChanged = true
	}
	if !paramsChanged {
		return nil
	}
	if err := params.Validate(); err != nil {
		return fmt.Errorf("x/inference 1→2: params: %w", err)
	}
	return m.k.Params.Set(ctx, params)
}

// fixDeterministic stores the model's deterministic flag in every open job:
// v1 read the model at settlement, v2 reads the job (issue 17 L3). Only open
// jobs (the status index, in id order) are touched; ended ones are judged.
func (m Migrator) fixDeterministic(ctx sdk.Context) error {
	for _, s := range []types.JobStatus{types.JOB_STATUS_QUEUED, types.JOB_STATUS_COMMITTING, types.JOB_STATUS_REVEALING} {
		var ids []uint64
		rng := collections.NewPrefixedPairRange[int32, uint64](int32(s))
		if err := m.k.JobsByStatus.Walk(ctx, rng, func(key collections.Pair[int32, uint64]) (bool, error) {
			ids = append(ids, key.K2())
			return false, nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			job, err := m.k.Jobs.Get(ctx, id)
			if err != nil {
				return err
			}
			model, err := m.k.GetModel(ctx, job.ModelId)
			if err != nil || job.Deterministic == model.Deterministic {
				continue
			}
			job.Deterministic = model.Deterministic
			if err := m.k.Jobs.Set(ctx, id, job); err != nil {
				return err
			}
		}
	}
	return nil
}
