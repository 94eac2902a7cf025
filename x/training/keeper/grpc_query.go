package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/training/types"
)

// Querier implements the x/training Query service. Its errors are gRPC
// statuses: codes.NotFound for a dataset, item, task or round that does not
// exist (REST 404), codes.InvalidArgument for a malformed request (REST 400:
// id 0, a bad address, a bad page request), codes.Internal otherwise.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/training Query service.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

var errEmptyRequest = kit.ErrEmptyRequest

// Params implements types.QueryServer.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Dataset implements types.QueryServer.
func (q Querier) Dataset(ctx context.Context, req *types.QueryDatasetRequest) (*types.QueryDatasetResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckID("dataset id", req.Id); err != nil {
		return nil, err
	}
	ds, err := q.Keeper.Datasets.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "dataset %d not found", req.Id)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryDatasetResponse{Dataset: ds}, nil
}

// Datasets implements types.QueryServer: datasets by id.
func (q Querier) Datasets(ctx context.Context, req *types.QueryDatasetsRequest) (*types.QueryDatasetsResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	datasets, page, err := query.CollectionPaginate(ctx, q.Keeper.Datasets, req.Pagination,
		func(_ uint64, ds types.Dataset) (types.Dataset, error) { return ds, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryDatasetsResponse{Datasets: datasets, Pagination: page}, nil
}

// Item implements types.QueryServer.
func (q Querier) Item(ctx context.Context, req *types.QueryItemRequest) (*types.QueryItemResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckID("item id", req.Id); err != nil {
		return nil, err
	}
	item, err := q.Keeper.Items.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "item %d not found", req.Id)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryItemResponse{Item: item}, nil
}

// Items implements types.QueryServer: a dataset's items by id.
func (q Querier) Items(ctx context.Context, req *types.QueryItemsRequest) (*types.QueryItemsResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckID("dataset_id", req.DatasetId); err != nil {
		return nil, err
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	switch has, err := q.Keeper.Datasets.Has(ctx, req.DatasetId); {
	case err != nil:
		return nil, kit.Internal(err)
	case !has:
		return nil, status.Errorf(codes.NotFound, "dataset %d not found", req.DatasetId)
	}
	items, page, err := query.CollectionPaginate(ctx, q.Keeper.ItemsByDataset, req.Pagination,
		func(key collections.Pair[uint64, uint64], _ collections.NoValue) (types.Item, error) {
			return q.Keeper.Items.Get(ctx, key.K2())
		},
		query.WithCollectionPaginationPairPrefix[uint64, uint64](req.DatasetId))
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryItemsResponse{Items: items, Pagination: page}, nil
}

// Annotations implements types.QueryServer: an OPEN item's annotations by
// annotator (at most annotators_per_item; none once the item is final).
func (q Querier) Annotations(ctx context.Context, req *types.QueryAnnotationsRequest) (*types.QueryAnnotationsResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckID("item_id", req.ItemId); err != nil {
		return nil, err
	}
	switch has, err := q.Keeper.Items.Has(ctx, req.ItemId); {
	case err != nil:
		return nil, kit.Internal(err)
	case !has:
		return nil, status.Errorf(codes.NotFound, "item %d not found", req.ItemId)
	}
	it, err := q.Keeper.Annotations.Iterate(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](req.ItemId))
	if err != nil {
		return nil, kit.Internal(err)
	}
	anns, err := it.Values()
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryAnnotationsResponse{Annotations: anns}, nil
}

// Annotator implements types.QueryServer: zero stats for an annotator without a record.
func (q Querier) Annotator(ctx context.Context, req *types.QueryAnnotatorRequest) (*types.QueryAnnotatorResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	annotator, err := q.addrBytes(req.Annotator)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	stats, err := q.annotatorStats(ctx, annotator)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryAnnotatorResponse{Stats: stats}, nil
}

// Task implements types.QueryServer: the task and the workers that joined it
// (at most max_task_workers), in address order.
func (q Querier) Task(ctx context.Context, req *types.QueryTaskRequest) (*types.QueryTaskResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	task, err := q.task(ctx, "id", req.Id)
	if err != nil {
		return nil, err
	}
	it, err := q.Keeper.TaskWorkers.Iterate(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](req.Id))
	if err != nil {
		return nil, kit.Internal(err)
	}
	keys, err := it.Keys()
	if err != nil {
		return nil, kit.Internal(err)
	}
	workers := make([]string, 0, len(keys))
	for _, key := range keys {
		w := q.addrString(key.K2())
		workers = append(workers, w)
	}
	return &types.QueryTaskResponse{Task: task, Workers: workers}, nil
}

// Tasks implements types.QueryServer: tasks by id.
func (q Querier) Tasks(ctx context.Context, req *types.QueryTasksRequest) (*types.QueryTasksResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	tasks, page, err := query.CollectionPaginate(ctx, q.Keeper.Tasks, req.Pagination,
		func(_ uint64, t types.Task) (types.Task, error) { return t, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryTasksResponse{Tasks: tasks, Pagination: page}, nil
}

// Round implements types.QueryServer; number 0 is the task's current round.
func (q Querier) Round(ctx context.Context, req *types.QueryRoundRequest) (*types.QueryRoundResponse, error) {
	if req == nil {
		return nil, errEmptyRequest
	}
	task, err := q.task(ctx, "task_id", req.TaskId)
	if err != nil {
		return nil, err
	}
	number := req.Number
	if number == 0 {
		if task.CurrentRound == 0 {
			return nil, status.Errorf(codes.NotFound, "task %d has not started a round", req.TaskId)
		}
		number = task.CurrentRound
	}
	round, err := q.Keeper.Rounds.Get(ctx, collections.Join(req.TaskId, number))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "round %d of task %d not found", number, req.TaskId)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryRoundResponse{Round: round}, nil
}

// task reads a requested task: id 0 is codes.InvalidArgument (ids start at
// 1), a missing task codes.NotFound.
func (q Querier) task(ctx context.Context, field string, id uint64) (types.Task, error) {
	if err := kit.CheckID(field, id); err != nil {
		return types.Task{}, err
	}
	task, err := q.Keeper.Tasks.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return task, status.Errorf(codes.NotFound, "task %d not found", id)
	}
	return task, kit.Internal(err)
}
