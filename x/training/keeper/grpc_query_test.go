package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/training/types"
)

// TestQueryStatusCodes: what does not exist is codes.NotFound (REST 404)
// and a malformed request codes.InvalidArgument (REST 400), never a 500
// (issue 17, hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newDataFixture(t)
	ds, carol, _, _, _, _ := dfSetup(f)
	item := f.contribute(carol, ds, "one")
	coin := sdk.NewInt64Coin(dfDenom, 10_000_000)
	require.NoError(t, f.k.Tasks.Set(f.ctx, 1, types.Task{Id: 1, Creator: f.bech(dfAddr("creator")), BaseModelId: "m", Rounds: 1,
		Budget: coin, Spent: sdk.NewInt64Coin(dfDenom, 0), Status: types.TASK_STATUS_OPEN}))
	f.next()

	both := &query.PageRequest{Key: []byte{1}, Offset: 1}
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"dataset not found": {func() error {
			_, err := f.q.Dataset(f.ctx, &types.QueryDatasetRequest{Id: ds + 100})
			return err
		}, codes.NotFound},
		"dataset: id 0": {func() error {
			_, err := f.q.Dataset(f.ctx, &types.QueryDatasetRequest{})
			return err
		}, codes.InvalidArgument},
		"datasets: key and offset": {func() error {
			_, err := f.q.Datasets(f.ctx, &types.QueryDatasetsRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"item not found": {func() error {
			_, err := f.q.Item(f.ctx, &types.QueryItemRequest{Id: item + 100})
			return err
		}, codes.NotFound},
		"item: id 0": {func() error {
			_, err := f.q.Item(f.ctx, &types.QueryItemRequest{})
			return err
		}, codes.InvalidArgument},
		"items of a missing dataset": {func() error {
			_, err := f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: ds + 100})
			return err
		}, codes.NotFound},
		"items: dataset id 0": {func() error {
			_, err := f.q.Items(f.ctx, &types.QueryItemsRequest{})
			return err
		}, codes.InvalidArgument},
		"items: key and offset": {func() error {
			_, err := f.q.Items(f.ctx, &types.QueryItemsRequest{DatasetId: ds, Pagination: both})
			return err
		}, codes.InvalidArgument},
		"annotations of a missing item": {func() error {
			_, err := f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{ItemId: item + 100})
			return err
		}, codes.NotFound},
		"annotations: item id 0": {func() error {
			_, err := f.q.Annotations(f.ctx, &types.QueryAnnotationsRequest{})
			return err
		}, codes.InvalidArgument},
		"annotator: bad address": {func() error {
			_, err := f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{Annotator: "not-an-address"})
			return err
		}, codes.InvalidArgument},
		"annotator: empty address": {func() error {
			_, err := f.q.Annotator(f.ctx, &types.QueryAnnotatorRequest{})
			return err
		}, codes.InvalidArgument},
		"task not found": {func() error {
			_, err := f.q.Task(f.ctx, &types.QueryTaskRequest{Id: 9})
			return err
		}, codes.NotFound},
		"task: id 0": {func() error {
			_, err := f.q.Task(f.ctx, &types.QueryTaskRequest{})
			return err
		}, codes.InvalidArgument},
		"tasks: key and offset": {func() error {
			_, err := f.q.Tasks(f.ctx, &types.QueryTasksRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"round: task id 0": {func() error {
			_, err := f.q.Round(f.ctx, &types.QueryRoundRequest{Number: 1})
			return err
		}, codes.InvalidArgument},
		"round of a missing task": {func() error {
			_, err := f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 9, Number: 1})
			return err
		}, codes.NotFound},
		"round not started": {func() error {
			_, err := f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 1})
			return err
		}, codes.NotFound},
		"round not found": {func() error {
			_, err := f.q.Round(f.ctx, &types.QueryRoundRequest{TaskId: 1, Number: 5})
			return err
		}, codes.NotFound},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
		require.NotEmpty(t, status.Convert(err).Message(), name)
	}
	_, err := f.q.Item(f.ctx, &types.QueryItemRequest{Id: item})
	require.NoError(t, err)
}
