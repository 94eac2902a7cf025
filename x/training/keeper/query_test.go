package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/training/types"
)

func dfRequireCode(t *testing.T, want codes.Code, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, status.Code(err), err.Error())
}

func TestQueryNilRequests(t *testing.T) {
	f := newDataFixture(t)
	q, ctx := f.q, f.ctx
	for name, call := range map[string]func() error{
		"params":      func() error { _, err := q.Params(ctx, nil); return err },
		"dataset":     func() error { _, err := q.Dataset(ctx, nil); return err },
		"datasets":    func() error { _, err := q.Datasets(ctx, nil); return err },
		"item":        func() error { _, err := q.Item(ctx, nil); return err },
		"items":       func() error { _, err := q.Items(ctx, nil); return err },
		"annotations": func() error { _, err := q.Annotations(ctx, nil); return err },
		"annotator":   func() error { _, err := q.Annotator(ctx, nil); return err },
		"task":        func() error { _, err := q.Task(ctx, nil); return err },
		"tasks":       func() error { _, err := q.Tasks(ctx, nil); return err },
		"round":       func() error { _, err := q.Round(ctx, nil); return err },
	} {
		err := call()
		require.Equal(t, codes.InvalidArgument, status.Code(err), name)
	}
}

func TestQueryData(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, alice, bob, _, _ := dfSetup(f)
	other := f.register(carol)
	i1 := f.contribute(carol, ds, "one")
	i2 := f.contribute(carol, other, "two")
	i3 := f.contribute(carol, ds, "three")
	f.annotate(bob, i1, "dog")
	f.annotate(alice, i1, "cat")
	f.next()

	params, err := f.q.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, f.params, params.Params)

	dsRes, err := f.q.Dataset(f.ctx, &types.QueryDatasetRequest{Id: ds})
	require.NoError(t, err)
	require.Equal(t, f.dataset(ds), dsRes.Dataset)
	require.Equal(t, uint64(2), dsRes.Dataset.Items)
	_, err = f.q.Dataset(f.ctx, &types.QueryDatasetRequest{Id: 99})
	dfRequireCode(t, codes.NotFound, err)

	page1, err := f.q.Datasets(f.ctx, &types.QueryDatasetsRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}})
	require.NoError(t, err)
	require.Len(t, page1.Datasets, 1)
	require.Equal(t, ds, page1.Datasets[0].Id)
	require.Equal(t, uint64(2), page1.Pagination.Total)
	page2, err := f.q.Datasets(f.ctx, &types.QueryDatasetsRequest{Pagination: &query.PageRequest{Key: page1.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, page2.Datasets, 1)
	require.Equal(t, other, page2.Datasets[0].Id)

	itemRes, err := f.q.Item(f.ctx, &types.QueryItemRequest{Id: i2})
	require.NoError(t, err)
	require.Equal(t, f.item(i2), itemRes.Item)
	_, err = f.q.Item(f.ctx, &types.QueryItemRequest{Id: 99})
	dfRequireCode(t, codes.NotFound, err)

	// A dataset's items only, by id, paginated.
	items, err := f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: ds})
	require.NoError(t, err)
	require.Equal(t, []types.Item{f.item(i1), f.item(i3)}, items.Items)
	items, err = f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: ds, Pagination: &query.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.Equal(t, []types.Item{f.item(i1)}, items.Items)
	require.NotEmpty(t, items.Pagination.NextKey)
	items, err = f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: ds, Pagination: &query.PageRequest{Key: items.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []types.Item{f.item(i3)}, items.Items)
	items, err = f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: other})
	require.NoError(t, err)
	require.Equal(t, []types.Item{f.item(i2)}, items.Items)
	_, err = f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: 99})
	dfRequireCode(t, codes.NotFound, err)

	// Pending annotations by annotator address; none once the item is final.
	anns, err := f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{ItemId: i1})
	require.NoError(t, err)
	stake := sdk.NewInt64Coin(dfDenom, dfStake)
	require.Equal(t, []types.Annotation{
		{ItemId: i1, Annotator: f.bech(alice), Label: "cat", Stake: stake},
		{ItemId: i1, Annotator: f.bech(bob), Label: "dog", Stake: stake},
	}, anns.Annotations)
	anns, err = f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{ItemId: i3})
	require.NoError(t, err)
	require.Empty(t, anns.Annotations)
	_, err = f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{ItemId: 99})
	dfRequireCode(t, codes.NotFound, err)
	f.annotate(f.account("dave"), i1, "cat")
	anns, err = f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{ItemId: i1})
	require.NoError(t, err)
	require.Empty(t, anns.Annotations)

	st, err := f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{Annotator: f.bech(bob)})
	require.NoError(t, err)
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(bob), Disagreed: 1, Strikes: 1}, st.Stats)
	st, err = f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{Annotator: f.bech(dfAddr("stranger"))})
	require.NoError(t, err)
	require.Equal(t, types.AnnotatorStats{Annotator: f.bech(dfAddr("stranger"))}, st.Stats)
	_, err = f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{Annotator: "nope"})
	dfRequireCode(t, codes.InvalidArgument, err)
}

func TestQueryTasks(t *testing.T) {
	f := newDataFixture(t)
	w1, w2, w3 := dfAddr("w1"), dfAddr("w2"), dfAddr("w3")
	coin := sdk.NewInt64Coin(dfDenom, 10_000_000)
	running := types.Task{Id: 1, Creator: f.bech(dfAddr("creator")), BaseModelId: "m", Rounds: 3, Budget: coin,
		Spent: sdk.NewInt64Coin(dfDenom, 0), Status: types.TASK_STATUS_RUNNING, CurrentRound: 2, Workers: 2}
	open := types.Task{Id: 2, Creator: f.bech(dfAddr("creator")), BaseModelId: "m", Rounds: 1, Budget: coin,
		Spent: sdk.NewInt64Coin(dfDenom, 0), Status: types.TASK_STATUS_OPEN, Workers: 1}
	require.NoError(t, f.k.Tasks.Set(f.ctx, 1, running))
	require.NoError(t, f.k.Tasks.Set(f.ctx, 2, open))
	for _, key := range []collections.Pair[uint64, sdk.AccAddress]{
		collections.Join(uint64(1), w2), collections.Join(uint64(1), w1), collections.Join(uint64(2), w3),
	} {
		require.NoError(t, f.k.TaskWorkers.Set(f.ctx, key))
	}
	r1 := types.Round{TaskId: 1, Number: 1, Phase: types.ROUND_PHASE_FINALIZED, Budget: coin}
	r2 := types.Round{TaskId: 1, Number: 2, Phase: types.ROUND_PHASE_COMMIT, Budget: coin}
	require.NoError(t, f.k.Rounds.Set(f.ctx, collections.Join(uint64(1), uint32(1)), r1))
	require.NoError(t, f.k.Rounds.Set(f.ctx, collections.Join(uint64(1), uint32(2)), r2))
	f.next()

	task, err := f.q.Task(f.ctx, &types.QueryTaskRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, running, task.Task)
	require.Equal(t, []string{f.bech(w1), f.bech(w2)}, task.Workers)
	task, err = f.q.Task(f.ctx, &types.QueryTaskRequest{Id: 2})
	require.NoError(t, err)
	require.Equal(t, []string{f.bech(w3)}, task.Workers)
	_, err = f.q.Task(f.ctx, &types.QueryTaskRequest{Id: 9})
	dfRequireCode(t, codes.NotFound, err)

	tasks, err := f.q.Tasks(f.ctx, &types.QueryTasksRequest{Pagination: &query.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.Equal(t, []types.Task{running}, tasks.Tasks)
	tasks, err = f.q.Tasks(f.ctx, &types.QueryTasksRequest{Pagination: &query.PageRequest{Key: tasks.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []types.Task{open}, tasks.Tasks)

	round, err := f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 1})
	require.NoError(t, err)
	require.Equal(t, r2, round.Round, "number 0 is the current round")
	round, err = f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 1, Number: 1})
	require.NoError(t, err)
	require.Equal(t, r1, round.Round)
	_, err = f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 1, Number: 3})
	dfRequireCode(t, codes.NotFound, err)
	_, err = f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 2})
	dfRequireCode(t, codes.NotFound, err)
	_, err = f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 9})
	dfRequireCode(t, codes.NotFound, err)
}

func TestUpdateParams(t *testing.T) {
	f := newDataFixture(t)
	p := f.params
	p.DataPointsPerLabel = 7
	f.requireRejected(types.ErrInvalidSigner, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.bech(dfAddr("alice")), Params: p})
		return err
	})
	bad := p
	bad.AnnotatorsPerItem = types.MaxAnnotatorsBound + 1
	f.requireRejected(types.ErrInvalidParams, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: bad})
		return err
	})
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	got, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.Equal(t, []types.EventParamsUpdated{{Authority: f.authority}}, dfEvents[types.EventParamsUpdated](f))
}
