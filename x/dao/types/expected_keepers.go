//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// AccountKeeper is what x/dao needs from x/auth.
type AccountKeeper interface {
	// AddressCodec converts bech32 strings to address bytes.
	AddressCodec() address.Codec
	// GetModuleAddress finds the treasury and escrow accounts.
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper is what x/dao needs from x/bank.
type BankKeeper interface {
	// SendCoinsFromAccountToModule escrows locks and deposits.
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	// SendCoinsFromModuleToAccount returns unlocked tokens and refunded deposits.
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	// BurnCoins burns vetoed deposits (the escrow account is a Burner).
	BurnCoins(ctx context.Context, moduleName string, amounts sdk.Coins) error
	// GetAllBalances reads the treasury.
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	// SpendableCoins checks a proposer can pay its deposit.
	SpendableCoins(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// InferenceKeeper is what x/dao needs from x/inference: the analysis job.
type InferenceKeeper interface {
	// RequestInference opens a job paid by requester (the treasury).
	RequestInference(ctx context.Context, requester sdk.AccAddress, msg *inferencetypes.MsgRequestInference) (inferencetypes.Job, error)
}

// MessageRouter routes a proposal's messages to their handlers.
type MessageRouter interface {
	Handler(msg sdk.Msg) baseapp.MsgServiceHandler
}
