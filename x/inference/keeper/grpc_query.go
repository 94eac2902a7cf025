package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Querier is the x/inference query server. Its errors are gRPC statuses:
// codes.NotFound for a model or job that does not exist (REST 404),
// codes.InvalidArgument for a malformed request (REST 400: an empty id, a bad
// address, a bad status filter or page request), codes.Internal otherwise.
type Querier struct{ Keeper }

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/inference query server.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

// Params returns the module params.
func (q Querier) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Model returns one model.
func (q Querier) Model(ctx context.Context, req *types.QueryModelRequest) (*types.QueryModelResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if req.Id == "" {
		return nil, status.Error(codes.InvalidArgument, "model id is empty")
	}
	m, err := q.Keeper.Models.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "model %q not found", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryModelResponse{Model: m}, nil
}

// Models lists the registered models by id.
func (q Querier) Models(ctx context.Context, req *types.QueryModelsRequest) (*types.QueryModelsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	models, page, err := query.CollectionPaginate(ctx, q.Keeper.Models, req.Pagination,
		func(_ string, m types.Model) (types.Model, error) { return m, nil })
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryModelsResponse{Models: models, Pagination: page}, nil
}

// Job returns one job with its assignments, commitments, reveals, result and payouts.
func (q Querier) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if err := kit.CheckID("job id", req.Id); err != nil {
		return nil, err
	}
	j, err := q.Keeper.Jobs.Get(ctx, req.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "job %d not found (or pruned)", req.Id)
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryJobResponse{Job: j}, nil
}

// Jobs lists jobs in id order, by requester, by worker or by status (at
// most one of them), optionally open ones only. With a worker, open_only
// reads the worker's queue index directly.
func (q Querier) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	filters := 0
	for _, set := range []bool{req.Requester != "", req.Worker != "", req.Status != types.JOB_STATUS_UNSPECIFIED} {
		if set {
			filters++
		}
	}
	if filters > 1 {
		return nil, status.Error(codes.InvalidArgument, "give at most one of requester, worker and status")
	}
	if _, ok := types.JobStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	keep := func(j types.Job) bool { return !req.OpenOnly || types.IsOpen(j.Status) }
	byPair := func(set collections.KeySet[collections.Pair[sdk.AccAddress, uint64]], who sdk.AccAddress) ([]types.Job, *query.PageResponse, error) {
		return query.CollectionFilteredPaginate(ctx, set, req.Pagination,
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (bool, error) {
				j, err := q.Keeper.Jobs.Get(ctx, key.K2())
				return err == nil && keep(j), ignoreNotFound(err)
			},
			func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Job, error) {
				return q.Keeper.Jobs.Get(ctx, key.K2())
			},
			query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](who))
	}

	var (
		jobs []types.Job
		page *query.PageResponse
		err  error
	)
	switch {
	case req.Requester != "":
		addr, aerr := q.addressCodec.StringToBytes(req.Requester)
		if aerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "requester: %v", aerr)
		}
		jobs, page, err = byPair(q.JobsByRequester, addr)
	case req.Worker != "":
		addr, aerr := q.addressCodec.StringToBytes(req.Worker)
		if aerr != nil {
			return nil, status.Errorf(codes.InvalidArgument, "worker: %v", aerr)
		}
		set := q.JobsByWorker
		if req.OpenOnly {
			set = q.OpenJobsByWorker
		}
		jobs, page, err = byPair(set, addr)
	case req.Status != types.JOB_STATUS_UNSPECIFIED:
		jobs, page, err = query.CollectionFilteredPaginate(ctx, q.JobsByStatus, req.Pagination,
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (bool, error) {
				return !req.OpenOnly || types.IsOpen(types.JobStatus(key.K1())), nil
			},
			func(key collections.Pair[int32, uint64], _ collections.NoValue) (types.Job, error) {
				return q.Keeper.Jobs.Get(ctx, key.K2())
			},
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.Status)))
	default:
		jobs, page, err = query.CollectionFilteredPaginate(ctx, q.Keeper.Jobs, req.Pagination,
			func(_ uint64, j types.Job) (bool, error) { return keep(j), nil },
			func(_ uint64, j types.Job) (types.Job, error) { return j, nil })
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryJobsResponse{Jobs: jobs, Pagination: page}, nil
}

// WorkerStats returns a worker's record (empty for a worker never assigned),
// its agreement rate and the median latency of its recent agreed jobs.
func (q Querier) WorkerStats(ctx context.Context, req *types.QueryWorkerStatsRequest) (*types.QueryWorkerStatsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	addr, err := q.addressCodec.StringToBytes(req.Worker)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "worker: %v", err)
	}
	s, err := q.getStats(ctx, addr)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryWorkerStatsResponse{
		Stats: s, AgreementRateBps: s.AgreementRateBps(), MedianLatencyBlocks: s.MedianLatency(),
	}, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	return err
}
