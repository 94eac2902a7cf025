package simulation

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	computesim "github.com/llmesh/mesh/x/compute/simulation"
	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

// MsgRegisterDatasetFactory registers a dataset, with labels or free-form.
func MsgRegisterDatasetFactory() simsx.SimMsgFactoryFn[*types.MsgRegisterDataset] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegisterDataset) {
		owner := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		r := testData.Rand()
		return []simsx.SimAccount{owner}, &types.MsgRegisterDataset{
			Owner:   owner.AddressBech32,
			Name:    fmt.Sprintf("dataset %s", r.StringN(8)),
			Schema:  `{"type":"image"}`,
			License: "CC0",
			Labels:  randomLabels(r.Rand),
		}
	}
}

// MsgContributeItemFactory adds an inline item (new bytes, so never a
// duplicate digest) to a dataset.
func MsgContributeItemFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgContributeItem] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgContributeItem) {
		params, ids, ok := paramsAndDatasets(ctx, k, reporter)
		if !ok {
			return nil, nil
		}
		from := testData.AnyAccount(reporter, simsx.WithSpendableBalance())
		r := testData.Rand()
		data := []byte(fmt.Sprintf("item-%d-%s", sdk.UnwrapSDKContext(ctx).BlockHeight(), r.StringN(1+r.Intn(int(min(params.MaxInlineItemBytes, 64))))))
		if len(data) > int(params.MaxInlineItemBytes) {
			data = data[len(data)-int(params.MaxInlineItemBytes):]
		}
		return []simsx.SimAccount{from}, &types.MsgContributeItem{
			Contributor: from.AddressBech32, DatasetId: ids[r.Intn(len(ids))], Data: data,
		}
	}
}

// MsgAnnotateFactory labels an open item of another contributor; the
// annotator stakes annotation_stake. Whether the message would pass is
// checked on a discarded copy of the state (a dry run of the real keeper).
func MsgAnnotateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgAnnotate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAnnotate) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil
		}
		var items []types.Item
		_ = k.Items.Walk(ctx, nil, func(_ uint64, it types.Item) (bool, error) {
			if it.Status == types.ITEM_STATUS_OPEN {
				items = append(items, it)
			}
			return len(items) >= 100, nil
		})
		if len(items) == 0 {
			reporter.Skip("no open item")
			return nil, nil
		}
		r := testData.Rand()
		it := items[r.Intn(len(items))]
		ds, err := k.Datasets.Get(ctx, it.DatasetId)
		if err != nil {
			reporter.Skipf("dataset: %s", err)
			return nil, nil
		}
		label := Labels[r.Intn(len(Labels))]
		if len(ds.Labels) > 0 {
			label = ds.Labels[r.Intn(len(ds.Labels))]
		}
		for range 5 {
			from := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(params.AnnotationStake.AddAmount(params.AnnotationStake.Amount)))
			if reporter.IsSkipped() {
				return nil, nil
			}
			msg := &types.MsgAnnotate{Annotator: from.AddressBech32, ItemId: it.Id, Label: label}
			if dryRun(ctx, func(c context.Context) error { _, _, err := k.Annotate(c, msg); return err }) == nil {
				from.LiquidBalance().BlockAmount(params.AnnotationStake)
				return []simsx.SimAccount{from}, msg
			}
		}
		reporter.Skip("no annotator for the item")
		return nil, nil
	}
}

// MsgCreateTaskFactory opens a fine-tuning task on a simulated model over
// one to three datasets, with a budget of at least min_task_budget.
func MsgCreateTaskFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCreateTask] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateTask) {
		params, ids, ok := paramsAndDatasets(ctx, k, reporter)
		if !ok {
			return nil, nil
		}
		r := testData.Rand()
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		ids = ids[:1+r.Intn(min(len(ids), 3))]
		budget := params.MinTaskBudget.AddAmount(params.MinTaskBudget.Amount.MulRaw(int64(r.Intn(3))))
		from := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(budget.AddAmount(budget.Amount)))
		if reporter.IsSkipped() {
			return nil, nil
		}
		participants := uint32(1 + r.Intn(int(params.MaxParticipants)))
		aggregators := uint32(1 + r.Intn(int(params.MaxAggregators)))
		if participants+aggregators > params.MaxTaskWorkers {
			participants, aggregators = 1, 1
		}
		msg := &types.MsgCreateTask{
			Creator:              from.AddressBech32,
			BaseModelId:          computesim.ModelIDs[r.Intn(len(computesim.ModelIDs))],
			DatasetIds:           ids,
			Rounds:               uint32(1 + r.Intn(int(params.MaxRounds))),
			ParticipantsPerRound: participants,
			AggregatorsPerRound:  aggregators,
			Aggregation:          types.Aggregation(1 + r.Intn(3)),
			Hyperparams:          `{"lr":0.001}`,
			Budget:               budget,
		}
		if err := dryRun(ctx, func(c context.Context) error { _, err := k.CreateTask(c, msg); return err }); err != nil {
			reporter.Skipf("task would be refused: %s", err)
			return nil, nil
		}
		from.LiquidBalance().BlockAmount(budget)
		return []simsx.SimAccount{from}, msg
	}
}

// MsgJoinTaskFactory joins an open or running task with a simulated worker
// that serves its base model (checked by a dry run of the real keeper).
func MsgJoinTaskFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgJoinTask] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgJoinTask) {
		var tasks []uint64
		_ = k.Tasks.Walk(ctx, nil, func(id uint64, t types.Task) (bool, error) {
			if t.Status == types.TASK_STATUS_OPEN || t.Status == types.TASK_STATUS_RUNNING {
				tasks = append(tasks, id)
			}
			return false, nil
		})
		if len(tasks) == 0 {
			reporter.Skip("no open task")
			return nil, nil
		}
		r := testData.Rand()
		id := tasks[r.Intn(len(tasks))]
		n := testData.AccountsCount()
		start := r.Intn(n)
		for i := range n {
			acc := testData.AccountAt(reporter, (start+i)%n)
			if joined, _ := k.TaskWorkers.Has(ctx, collections.Join(id, acc.Address)); joined {
				continue
			}
			msg := &types.MsgJoinTask{Worker: acc.AddressBech32, TaskId: id}
			if dryRun(ctx, func(c context.Context) error { return k.JoinTask(c, msg) }) == nil {
				return []simsx.SimAccount{acc}, msg
			}
		}
		reporter.Skip("no eligible worker for the task")
		return nil, nil
	}
}

// dryRun runs fn on a cache of the state that is thrown away: it tells
// whether the real keeper would accept a message now, without writing.
func dryRun(ctx context.Context, fn func(context.Context) error) error {
	cc, _ := sdk.UnwrapSDKContext(ctx).CacheContext()
	return fn(cc)
}

// paramsAndDatasets returns the params and every dataset id, or skips (false)
// when either is missing.
func paramsAndDatasets(ctx context.Context, k keeper.Keeper, reporter simsx.SimulationReporter) (types.Params, []uint64, bool) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		reporter.Skipf("params: %s", err)
		return params, nil, false
	}
	ids := datasetIDs(ctx, k)
	if len(ids) == 0 {
		reporter.Skip("no dataset")
		return params, nil, false
	}
	return params, ids, true
}

func datasetIDs(ctx context.Context, k keeper.Keeper) []uint64 {
	var ids []uint64
	_ = k.Datasets.Walk(ctx, nil, func(id uint64, _ types.Dataset) (bool, error) {
		ids = append(ids, id)
		return false, nil
	})
	return ids
}
