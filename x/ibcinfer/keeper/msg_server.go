package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/ibcinfer/types"
)

var _ types.MsgServer = msgServer{}

type msgServer struct{ k *Keeper }

// NewMsgServerImpl returns the Msg server.
func NewMsgServerImpl(k *Keeper) types.MsgServer { return msgServer{k: k} }

// RetryAck writes a pending acknowledgement of an ended job.
func (s msgServer) RetryAck(ctx context.Context, msg *types.MsgRetryAck) (*types.MsgRetryAckResponse, error) {
	if err := s.k.RetryAck(sdk.UnwrapSDKContext(ctx), msg.JobId); err != nil {
		return nil, err
	}
	return &types.MsgRetryAckResponse{}, nil
}

// UpdateParams sets the params (authority only).
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.k.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
