//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountKeeper is what x/pool needs from x/auth.
type AccountKeeper interface {
	// AddressCodec converts bech32 strings in messages to address bytes.
	AddressCodec() address.Codec
	// GetModuleAddress checks at start-up that the pool and dao accounts are registered.
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper is what x/pool needs from x/bank.
type BankKeeper interface {
	// SendCoinsFromAccountToModule escrows self-bonds and delegations.
	SendCoinsFromAccountToModule(ctx context.Context, senderAddr sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	// SendCoinsFromModuleToAccount pays matured unbondings and claimed rewards.
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	// SendCoinsFromModuleToModule takes rewards in (AddRewards) and sends slashes to the treasury.
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	// BurnCoins burns slashed tokens (the pool module account needs the Burner permission).
	BurnCoins(ctx context.Context, moduleName string, amounts sdk.Coins) error
	// GetBalance checks at genesis that the module account holds the bonded and unbonding tokens.
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}
