package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/types"
)

// InitGenesis validates and writes the genesis state, rebuilds the item
// indexes and the deadlines of the running tasks' current rounds, and fails
// unless the module account holds the escrow: Σ pending annotation stakes +
// Σ (budget − spent) of OPEN and RUNNING tasks (run it after x/bank).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, seq := range []struct {
		s collections.Sequence
		v uint64
	}{{k.NextDatasetID, gs.NextDatasetId}, {k.NextItemID, gs.NextItemId}, {k.NextTaskID, gs.NextTaskId}} {
		if err := seq.s.Set(ctx, seq.v); err != nil {
			return err
		}
	}
	stakes, err := k.initData(ctx, gs)
	if err != nil {
		return err
	}
	budgets, err := k.initTasks(ctx, gs)
	if err != nil {
		return err
	}
	return k.requireEscrow(ctx, stakes.Add(budgets...))
}

// initData writes the datasets, the items with their indexes, the
// annotations and the annotator stats; it returns the pending stakes.
func (k Keeper) initData(ctx context.Context, gs *types.GenesisState) (sdk.Coins, error) {
	for _, d := range gs.Datasets {
		if _, err := k.genesisAddr("dataset owner", d.Owner); err != nil {
			return nil, err
		}
		if err := k.Datasets.Set(ctx, d.Id, d); err != nil {
			return nil, err
		}
	}
	for _, it := range gs.Items {
		if _, err := k.genesisAddr("item contributor", it.Contributor); err != nil {
			return nil, err
		}
		if err := k.Items.Set(ctx, it.Id, it); err != nil {
			return nil, err
		}
		if err := k.ItemsByDataset.Set(ctx, collections.Join(it.DatasetId, it.Id)); err != nil {
			return nil, err
		}
		if err := k.ItemsByDigest.Set(ctx, collections.Join(it.DatasetId, it.Digest), it.Id); err != nil {
			return nil, err
		}
	}
	stakes := sdk.NewCoins()
	for _, a := range gs.Annotations {
		annotator, err := k.genesisKeyAddr("annotator", a.Annotator)
		if err != nil {
			return nil, err
		}
		if err := k.Annotations.Set(ctx, collections.Join(a.ItemId, annotator), a); err != nil {
			return nil, err
		}
		stakes = stakes.Add(a.Stake)
	}
	for _, s := range gs.AnnotatorStats {
		annotator, err := k.genesisKeyAddr("annotator", s.Annotator)
		if err != nil {
			return nil, err
		}
		if err := k.AnnotatorStats.Set(ctx, annotator, s); err != nil {
			return nil, err
		}
	}
	return stakes, nil
}

// initTasks writes the tasks, their workers and rounds, the running tasks'
// deadlines, the first-round starts of OPEN tasks with their workers and the
// next-round starts of RUNNING tasks whose current round has ended; it
// returns the budgets left of OPEN and RUNNING tasks. A start is due at the
// genesis height + 1, where the exporting chain had it when the workers'
// last join, or the transaction that ended the round, was in its last block
// (the only way such a task is exported, but for more starts than
// max_rounds_per_block in that block).
func (k Keeper) initTasks(ctx context.Context, gs *types.GenesisState) (sdk.Coins, error) {
	budgets := sdk.NewCoins()
	for _, t := range gs.Tasks {
		if _, err := k.genesisAddr("task creator", t.Creator); err != nil {
			return nil, err
		}
		if err := k.Tasks.Set(ctx, t.Id, t); err != nil {
			return nil, err
		}
		if t.Status == types.TASK_STATUS_OPEN || t.Status == types.TASK_STATUS_RUNNING {
			budgets = budgets.Add(t.Budget.Sub(t.Spent))
		}
		if t.Status == types.TASK_STATUS_OPEN && t.Workers >= startWorkers(t) {
			h := sdk.UnwrapSDKContext(ctx).BlockHeight() + 1
			if err := k.RoundDeadlines.Set(ctx, collections.Join(h, t.Id)); err != nil {
				return nil, err
			}
		}
	}
	for _, w := range gs.TaskWorkers {
		worker, err := k.genesisKeyAddr("task worker", w.Worker)
		if err != nil {
			return nil, err
		}
		if err := k.TaskWorkers.Set(ctx, collections.Join(w.TaskId, worker)); err != nil {
			return nil, err
		}
	}
	current := make(map[uint64]uint32, len(gs.Tasks))
	for _, t := range gs.Tasks {
		if t.Status == types.TASK_STATUS_RUNNING {
			current[t.Id] = t.CurrentRound
		}
	}
	for _, r := range gs.Rounds {
		for _, u := range r.Updates {
			if err := k.genesisAddrs("participant", u.Worker, u.Provider); err != nil {
				return nil, err
			}
		}
		for _, a := range r.Aggregates {
			if err := k.genesisAddrs("aggregator", a.Worker, a.Provider); err != nil {
				return nil, err
			}
		}
		if err := k.Rounds.Set(ctx, collections.Join(r.TaskId, r.Number), r); err != nil {
			return nil, err
		}
		// Validate made sure each running task's current round is in
		// progress, or ended before the task's last round (the next round
		// was due at the exporting chain's next block), and that only
		// those are in progress.
		if n, ok := current[r.TaskId]; ok && n == r.Number {
			due := phaseEnd(r)
			if roundEnded(r.Phase) {
				due = sdk.UnwrapSDKContext(ctx).BlockHeight() + 1
			}
			if err := k.RoundDeadlines.Set(ctx, collections.Join(due, r.TaskId)); err != nil {
				return nil, err
			}
		}
	}
	return budgets, nil
}

// requireEscrow fails unless the module account holds escrow.
func (k Keeper) requireEscrow(ctx context.Context, escrow sdk.Coins) error {
	if escrow.IsZero() {
		return nil
	}
	module := k.ak.GetModuleAddress(types.ModuleName)
	for _, want := range escrow {
		if held := k.bank.GetBalance(ctx, module, want.Denom); held.IsLT(want) {
			return errorsmod.Wrapf(types.ErrInvalidGenesis,
				"module account holds %s, pending annotation stakes and open task budgets need %s", held, want)
		}
	}
	return nil
}

// phaseEnd is the last height of a round's current phase: its deadline.
func phaseEnd(r types.Round) int64 {
	switch r.Phase {
	case types.ROUND_PHASE_COMMIT:
		return r.CommitEnd
	case types.ROUND_PHASE_REVEAL:
		return r.RevealEnd
	default:
		return r.AggregateEnd
	}
}

// genesisAddr decodes an address of the genesis state.
func (k Keeper) genesisAddr(field, s string) (sdk.AccAddress, error) {
	addr, err := k.addrBytes(s)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidGenesis, "%s: %s", field, err.Error())
	}
	return addr, nil
}

// genesisKeyAddr decodes an address that is part of a store key. It must be
// in its canonical form: Validate compares addresses as strings, so two
// spellings of one address would slip past its duplicate checks and the
// second record would overwrite the first.
func (k Keeper) genesisKeyAddr(field, s string) (sdk.AccAddress, error) {
	addr, err := k.genesisAddr(field, s)
	if err != nil {
		return nil, err
	}
	if k.addrString(addr) != s {
		return nil, errorsmod.Wrapf(types.ErrInvalidGenesis, "%s %q is not in canonical form", field, s)
	}
	return addr, nil
}

// genesisAddrs checks a worker's address and, when set, its provider's.
func (k Keeper) genesisAddrs(field, worker, provider string) error {
	if _, err := k.genesisAddr(field, worker); err != nil {
		return err
	}
	if provider == "" {
		return nil
	}
	_, err := k.genesisAddr(field+" provider", provider)
	return err
}

// ExportGenesis reads the whole state back, each collection in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if gs.NextDatasetId, err = k.NextDatasetID.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextItemId, err = k.NextItemID.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextTaskId, err = k.NextTaskID.Peek(ctx); err != nil {
		return nil, err
	}
	if err := k.Datasets.Walk(ctx, nil, func(_ uint64, d types.Dataset) (bool, error) {
		gs.Datasets = append(gs.Datasets, d)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Items.Walk(ctx, nil, func(_ uint64, it types.Item) (bool, error) {
		gs.Items = append(gs.Items, it)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Annotations.Walk(ctx, nil, func(_ collections.Pair[uint64, sdk.AccAddress], a types.Annotation) (bool, error) {
		gs.Annotations = append(gs.Annotations, a)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.AnnotatorStats.Walk(ctx, nil, func(_ sdk.AccAddress, s types.AnnotatorStats) (bool, error) {
		gs.AnnotatorStats = append(gs.AnnotatorStats, s)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Tasks.Walk(ctx, nil, func(_ uint64, t types.Task) (bool, error) {
		gs.Tasks = append(gs.Tasks, t)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.TaskWorkers.Walk(ctx, nil, func(key collections.Pair[uint64, sdk.AccAddress]) (bool, error) {
		worker := k.addrString(key.K2())
		gs.TaskWorkers = append(gs.TaskWorkers, types.TaskWorker{TaskId: key.K1(), Worker: worker})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Rounds.Walk(ctx, nil, func(_ collections.Pair[uint64, uint32], r types.Round) (bool, error) {
		gs.Rounds = append(gs.Rounds, r)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
