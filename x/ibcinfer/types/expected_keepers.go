package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// InferenceKeeper is what x/ibcinfer needs from x/inference.
type InferenceKeeper interface {
	// RequestInference creates (queues) a job paid by requester.
	RequestInference(ctx context.Context, requester sdk.AccAddress, msg *inferencetypes.MsgRequestInference) (inferencetypes.Job, error)
	// GetJob reads a job, for MsgRetryAck.
	GetJob(ctx context.Context, id uint64) (inferencetypes.Job, error)
}

// BankKeeper is what x/ibcinfer needs from x/bank to reverse a receipt.
type BankKeeper interface {
	SendCoins(ctx context.Context, from, to sdk.AccAddress, amt sdk.Coins) error
	SendCoinsFromAccountToModule(ctx context.Context, from sdk.AccAddress, module string, amt sdk.Coins) error
	BurnCoins(ctx context.Context, module string, amt sdk.Coins) error
}

// TransferKeeper is what x/ibcinfer needs from ICS-20: sending refunds and
// keeping the total escrow right when a native token goes back to escrow.
type TransferKeeper interface {
	Transfer(ctx context.Context, msg *transfertypes.MsgTransfer) (*transfertypes.MsgTransferResponse, error)
	GetTotalEscrowForDenom(ctx sdk.Context, denom string) sdk.Coin
	SetTotalEscrowForDenom(ctx sdk.Context, coin sdk.Coin)
}
