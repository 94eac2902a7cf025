package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/training/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/training Msg service. Each handler calls
// the keeper, which checks state and emits the events; baseapp has run the
// message's ValidateBasic.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// RegisterDataset implements types.MsgServer.
func (s msgServer) RegisterDataset(ctx context.Context, msg *types.MsgRegisterDataset) (*types.MsgRegisterDatasetResponse, error) {
	id, err := s.Keeper.RegisterDataset(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterDatasetResponse{DatasetId: id}, nil
}

// ContributeItem implements types.MsgServer.
func (s msgServer) ContributeItem(ctx context.Context, msg *types.MsgContributeItem) (*types.MsgContributeItemResponse, error) {
	id, err := s.Keeper.ContributeItem(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgContributeItemResponse{ItemId: id}, nil
}

// Annotate implements types.MsgServer.
func (s msgServer) Annotate(ctx context.Context, msg *types.MsgAnnotate) (*types.MsgAnnotateResponse, error) {
	final, label, err := s.Keeper.Annotate(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgAnnotateResponse{Final: final, Label: label}, nil
}

// CreateTask implements types.MsgServer.
func (s msgServer) CreateTask(ctx context.Context, msg *types.MsgCreateTask) (*types.MsgCreateTaskResponse, error) {
	id, err := s.Keeper.CreateTask(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateTaskResponse{TaskId: id}, nil
}

// JoinTask implements types.MsgServer.
func (s msgServer) JoinTask(ctx context.Context, msg *types.MsgJoinTask) (*types.MsgJoinTaskResponse, error) {
	if err := s.Keeper.JoinTask(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgJoinTaskResponse{}, nil
}

// CommitUpdate implements types.MsgServer.
func (s msgServer) CommitUpdate(ctx context.Context, msg *types.MsgCommitUpdate) (*types.MsgCommitUpdateResponse, error) {
	if err := s.Keeper.CommitUpdate(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgCommitUpdateResponse{}, nil
}

// RevealUpdate implements types.MsgServer.
func (s msgServer) RevealUpdate(ctx context.Context, msg *types.MsgRevealUpdate) (*types.MsgRevealUpdateResponse, error) {
	if err := s.Keeper.RevealUpdate(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgRevealUpdateResponse{}, nil
}

// SubmitAggregate implements types.MsgServer.
func (s msgServer) SubmitAggregate(ctx context.Context, msg *types.MsgSubmitAggregate) (*types.MsgSubmitAggregateResponse, error) {
	if err := s.Keeper.SubmitAggregate(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgSubmitAggregateResponse{}, nil
}

// UpdateParams implements types.MsgServer.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
