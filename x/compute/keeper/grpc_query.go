package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/compute/types"
)

// Querier is the x/compute query server.
type Querier struct{ Keeper }

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/compute query server.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

// Params returns the module params.
func (q Querier) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Worker returns one worker.
func (q Querier) Worker(ctx context.Context, req *types.QueryWorkerRequest) (*types.QueryWorkerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	_, w, err := q.worker(ctx, req.Address)
	if err != nil {
		return nil, err
	}
	return &types.QueryWorkerResponse{Worker: w}, nil
}

// worker decodes a requested worker address and reads the worker.
func (q Querier) worker(ctx context.Context, bech string) (sdk.AccAddress, types.Worker, error) {
	addr, err := q.addrBytes(bech)
	if err != nil {
		return nil, types.Worker{}, status.Errorf(codes.InvalidArgument, "worker: %v", err)
	}
	w, err := q.Keeper.Workers.Get(ctx, addr)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, w, status.Errorf(codes.NotFound, "worker %s not found", bech)
	}
	if err != nil {
		return nil, w, status.Error(codes.Internal, err.Error())
	}
	return addr, w, nil
}

// Workers lists workers, by provider (through the provider index) and/or status.
func (q Querier) Workers(ctx context.Context, req *types.QueryWorkersRequest) (*types.QueryWorkersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := checkPage(req.Pagination); err != nil {
		return nil, err
	}
	if _, ok := types.WorkerStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	keep := func(w types.Worker) bool {
		return req.Status == types.WORKER_STATUS_UNSPECIFIED || w.Status == req.Status
	}
	if req.Provider == "" {
		workers, page, err := query.CollectionFilteredPaginate(ctx, q.Keeper.Workers, req.Pagination,
			func(_ sdk.AccAddress, w types.Worker) (bool, error) { return keep(w), nil },
			func(_ sdk.AccAddress, w types.Worker) (types.Worker, error) { return w, nil })
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		return &types.QueryWorkersResponse{Workers: workers, Pagination: page}, nil
	}

	provider, err := q.addrBytes(req.Provider)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "provider: %v", err)
	}
	workers, page, err := query.CollectionFilteredPaginate(ctx, q.WorkersByProvider, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, sdk.AccAddress], _ collections.NoValue) (bool, error) {
			w, err := q.Keeper.Workers.Get(ctx, key.K2())
			return err == nil && keep(w), err
		},
		func(key collections.Pair[sdk.AccAddress, sdk.AccAddress], _ collections.NoValue) (types.Worker, error) {
			return q.Keeper.Workers.Get(ctx, key.K2())
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](provider))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryWorkersResponse{Workers: workers, Pagination: page}, nil
}

// Challenge describes a worker's challenge in the current epoch (or a
// settling one): seed, shape, windows, its commitment and, once the sample
// seed is drawn, the rows it must reveal.
func (q Querier) Challenge(ctx context.Context, req *types.QueryChallengeRequest) (*types.QueryChallengeResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Epoch < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "epoch %d: must be 0 (current) or positive", req.Epoch)
	}
	addr, w, err := q.worker(ctx, req.Worker)
	if err != nil {
		return nil, err
	}
	e, err := q.Keeper.Epoch.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Error(codes.NotFound, "no compute epoch has started")
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if req.Epoch != 0 && req.Epoch != e.Number {
		if e, err = q.Settling.Get(ctx, req.Epoch); err != nil {
			return nil, status.Errorf(codes.NotFound, "epoch %d is neither current nor settling", req.Epoch)
		}
	}
	eligible, err := q.IsEligible(ctx, w, e.Number)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	res := &types.QueryChallengeResponse{
		Epoch: e.Number, Seed: ChallengeSeed(e, addr), N: e.PocDim, P: e.PocCols,
		CommitEnd: e.CommitEnd, RevealEnd: e.RevealEnd, Eligible: eligible,
	}
	c, err := q.Commitments.Get(ctx, collections.Join(e.Number, sdk.AccAddress(addr)))
	switch {
	case err == nil:
		res.Commitment, res.M = &c, c.Rows
		res.SampleIndices = SampleIndices(e, addr, c.Rows)
	case errors.Is(err, collections.ErrNotFound):
		// Not committed yet: m follows the worker's current claimed GOPS.
		if m, err := challengeRows(e, w.Spec); err == nil {
			res.M = m
		}
	default:
		return nil, status.Error(codes.Internal, err.Error())
	}
	return res, nil
}

// Epoch returns the current compute epoch and the query height.
func (q Querier) Epoch(ctx context.Context, _ *types.QueryEpochRequest) (*types.QueryEpochResponse, error) {
	e, err := q.Keeper.Epoch.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryEpochResponse{Epoch: e, Height: sdk.UnwrapSDKContext(ctx).BlockHeight()}, nil
}

// Beacon returns the last randomness-beacon output.
func (q Querier) Beacon(ctx context.Context, _ *types.QueryBeaconRequest) (*types.QueryBeaconResponse, error) {
	b, err := q.LastBeacon.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryBeaconResponse{Beacon: b}, nil
}

// BeaconValidators lists the validators' beacon records.
func (q Querier) BeaconValidators(ctx context.Context, req *types.QueryBeaconValidatorsRequest) (*types.QueryBeaconValidatorsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if err := checkPage(req.Pagination); err != nil {
		return nil, err
	}
	recs, page, err := query.CollectionPaginate(ctx, q.BeaconRecords, req.Pagination,
		func(_ []byte, v types.BeaconValidator) (types.BeaconValidator, error) { return v, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryBeaconValidatorsResponse{Validators: recs, Pagination: page}, nil
}

// checkPage refuses a page request that pagination would fail on: a key and
// an offset together are the caller's mistake, codes.InvalidArgument (REST
// 400), not a server error.
func checkPage(p *query.PageRequest) error {
	if p != nil && len(p.Key) != 0 && p.Offset != 0 {
		return status.Error(codes.InvalidArgument, "pagination: either offset or key, not both")
	}
	return nil
}
