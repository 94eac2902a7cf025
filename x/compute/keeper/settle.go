package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Settlement runs in EndBlock from the reveal_end block of an epoch on (every
// reveal of the window has executed by then). It walks the workers in
// address order among the epoch's challenged workers, at most max_settlements_per_block
// per block across all open epochs, oldest epoch first. An eligible worker
// without a PASS or FRAUD outcome gets a MISS. Each worker is settled in its
// own cache context: a failure is logged, reported by EventSettlementFailed
// and skipped. A pass decodes each provider address once: a provider's
// workers, and a worker in several open epochs, share the decode.

// Settle settles what the block's budget allows and prunes commitments of
// settled epochs (same bound). It returns the number of workers visited.
func (k Keeper) Settle(ctx context.Context) (uint32, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	open, err := k.openEpochs(ctx)
	if err != nil {
		return 0, err
	}
	budget, providers := params.MaxSettlementsPerBlock, map[string]sdk.AccAddress{}
	for _, e := range open {
		if budget == 0 {
			break
		}
		if e.Settled || sdkCtx.BlockHeight() < e.RevealEnd {
			continue
		}
		used, err := k.settleEpoch(sdkCtx, params, providers, e, budget)
		if err != nil {
			return params.MaxSettlementsPerBlock - budget, err
		}
		budget -= used
	}
	visited := params.MaxSettlementsPerBlock - budget
	return visited, k.pruneCommitments(ctx, params.MaxSettlementsPerBlock)
}

// settleEpoch settles up to budget of e's challenged workers (fixed when its
// commit window closed) and returns how many it visited. Each visited entry
// leaves Challenged, settled or skipped; the cursor names the next one (for
// a genesis export).
func (k Keeper) settleEpoch(ctx sdk.Context, params types.Params, providers map[string]sdk.AccAddress, e types.EpochInfo, budget uint32) (uint32, error) {
	// Collect the batch first and close the iterator: settling writes.
	iter, err := k.Challenged.Iterate(ctx, collections.NewPrefixedPairRange[int64, sdk.AccAddress](e.Number))
	if err != nil {
		return 0, err
	}
	var keys []sdk.AccAddress
	for ; iter.Valid() && len(keys) <= int(budget); iter.Next() {
		key, err := iter.Key()
		if err != nil {
			iter.Close()
			return 0, err
		}
		keys = append(keys, key.K2())
	}
	iter.Close()

	var next sdk.AccAddress
	if len(keys) > int(budget) {
		next = keys[budget]
		keys = keys[:budget]
	}
	for _, addr := range keys {
		if err := k.Challenged.Remove(ctx, collections.Join(e.Number, addr)); err != nil {
			return 0, err
		}
		w, err := k.Workers.Get(ctx, addr)
		if errors.Is(err, collections.ErrNotFound) {
			continue // gone (only after its outcome: see DeregisterWorker)
		}
		if err != nil {
			return 0, err
		}
		k.settleOne(ctx, params, providers, e, addr, w)
	}

	if next != nil {
		e.SettleCursor = k.addrString(next)
		return uint32(len(keys)), k.saveEpoch(ctx, e)
	}
	e.Settled, e.SettleCursor = true, ""
	cur, err := k.Epoch.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return uint32(len(keys)), err
	}
	if err == nil && cur.Number == e.Number {
		err = k.Epoch.Set(ctx, e)
	} else {
		err = k.Settling.Remove(ctx, e.Number)
	}
	return uint32(len(keys)), err
}

// settleOne settles one worker in a cache context, committed only on success.
func (k Keeper) settleOne(ctx sdk.Context, params types.Params, providers map[string]sdk.AccAddress, e types.EpochInfo, addr sdk.AccAddress, w types.Worker) {
	cacheCtx, write := ctx.CacheContext()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return k.settleWorker(cacheCtx, params, providers, e, addr, w)
	}()
	if err == nil {
		write()
		return
	}
	k.Logger(ctx).Error("compute settlement failed; worker skipped", "worker", w.Address, "epoch", e.Number, "err", err)
	if err := kit.Emit(ctx, &types.EventSettlementFailed{Worker: w.Address, Epoch: e.Number, Error: err.Error()}); err != nil {
		k.Logger(ctx).Error("emit settlement failure", "err", err)
	}
}

// settleWorker records a MISS for w in e unless it passed or was caught: a
// worker that committed and did not reveal misses; one that did not commit
// (it was eligible at the commit close) misses unless the epoch was cut short. max_missed misses within missed_window epochs jail it.
func (k Keeper) settleWorker(ctx context.Context, params types.Params, providers map[string]sdk.AccAddress, e types.EpochInfo, addr sdk.AccAddress, w types.Worker) error {
	key := collections.Join(e.Number, addr)
	c, err := k.Commitments.Get(ctx, key)
	committed := err == nil
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if (committed && c.Outcome != types.PROOF_OUTCOME_UNSPECIFIED) || (!committed && e.CutShort) {
		return nil
	}
	provider, err := k.providerOf(providers, w)
	if err != nil {
		return err
	}
	// Not committed: it was eligible when the commit window closed (it is in
	// Challenged), whatever its status or pool now.
	if committed {
		c.Outcome = types.PROOF_OUTCOME_MISS
		if err := k.Commitments.Set(ctx, key, c); err != nil {
			return err
		}
		// Committed and withheld the reveal: slashed like (a share of) fraud,
		// or withholding would be the free way out of a bad sample.
		k.slashWithheld(ctx, params, provider, w, c)
	}

	w.Missed++
	// A miss proves nothing: verified capacity goes back to zero, and the
	// run of passed epochs (the stability bonus) starts again.
	w.VerifiedUnits, w.VerifiedGops, w.TrustedVramGb, w.PassStreak = 0, 0, 0, 0
	w.MissedEpochs = appendWindow(w.MissedEpochs, e.Number, params.MissedWindow)
	w.ReputationBps = NextReputation(w.ReputationBps, params.ReputationAlphaBps, 0)
	if err := kit.Emit(ctx, &types.EventPoCResult{
		Worker: w.Address, Epoch: e.Number, Outcome: types.PROOF_OUTCOME_MISS, ReputationBps: w.ReputationBps,
	}); err != nil {
		return err
	}
	if w.Status == types.WORKER_STATUS_ACTIVE && uint32(len(w.MissedEpochs)) >= params.MaxMissed {
		// Like x/slashing's missed-block bitmap, the record restarts after a jail.
		w.MissedEpochs = nil
		if err := k.jail(ctx, params, &w, "missed"); err != nil {
			return err
		}
	}
	return k.Workers.Set(ctx, addr, w)
}

// appendWindow appends epoch to missed and keeps only epochs within the last
// window epochs, i.e. in (epoch − window, epoch].
func appendWindow(missed []int64, epoch int64, window uint32) []int64 {
	out := make([]int64, 0, len(missed)+1)
	for _, m := range missed {
		if m > epoch-int64(window) && m < epoch {
			out = append(out, m)
		}
	}
	return append(out, epoch)
}

// pruneCommitments removes up to limit commitments of epochs that are no
// longer open. The current epoch's commitments stay until the next epoch
// (queries show them); Commitments are ordered by epoch, so this reads at
// most limit + 1 entries.
func (k Keeper) pruneCommitments(ctx context.Context, limit uint32) error {
	open, err := k.openEpochNumbers(ctx)
	if err != nil || len(open) == 0 {
		return err
	}
	keepFrom := open[0]
	iter, err := k.Commitments.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	var stale []collections.Pair[int64, sdk.AccAddress]
	for ; iter.Valid() && uint32(len(stale)) < limit; iter.Next() {
		key, err := iter.Key()
		if err != nil {
			iter.Close()
			return err
		}
		if key.K1() >= keepFrom {
			break
		}
		stale = append(stale, key)
	}
	iter.Close()
	for _, key := range stale {
		if err := k.Commitments.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// collectKV reads up to n entries of iter and closes it.
func collectKV[K, V any](iter collections.Iterator[K, V], n int) ([]collections.KeyValue[K, V], error) {
	defer iter.Close()
	var out []collections.KeyValue[K, V]
	for ; iter.Valid() && len(out) < n; iter.Next() {
		kv, err := iter.KeyValue()
		if err != nil {
			return nil, err
		}
		out = append(out, kv)
	}
	return out, nil
}

// slashWithheld slashes the provider of a worker that committed in an epoch
// and never revealed. A failure is logged, never fatal to settlement.
func (k Keeper) slashWithheld(ctx context.Context, params types.Params, provider sdk.AccAddress, w types.Worker, c types.Commitment) {
	if !params.WithholdSlashFraction.IsPositive() {
		return
	}
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if _, err := k.pool.Slash(cacheCtx, provider, params.WithholdSlashFraction, "poc-withheld", c.Height); err != nil {
		k.Logger(ctx).Error("withheld reveal: slash failed", "worker", w.Address, "err", err)
		return
	}
	write()
}

// providerOf returns w's provider address, decoded once per settlement pass.
func (k Keeper) providerOf(providers map[string]sdk.AccAddress, w types.Worker) (p sdk.AccAddress, err error) {
	if p = providers[w.Provider]; p == nil {
		p, err = k.addrBytes(w.Provider)
		providers[w.Provider] = p
	}
	return p, err
}
