//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// AccountKeeper is what x/rewards needs from x/auth.
type AccountKeeper interface {
	// AddressCodec converts bech32 strings in messages to address bytes.
	AddressCodec() address.Codec
	// GetModuleAddress finds the fee collector, rewards, treasury and protocol fee accounts.
	GetModuleAddress(name string) sdk.AccAddress
	// GetModuleAccount and SetModuleAccount let the v1→v2 migration add the
	// Burner permission to the rewards account.
	GetModuleAccount(ctx context.Context, name string) sdk.ModuleAccountI
	SetModuleAccount(ctx context.Context, acc sdk.ModuleAccountI)
}

// BankKeeper is what x/rewards needs from x/bank.
type BankKeeper interface {
	// GetAllBalances reads the fee collector, the protocol fee account and the pot.
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
	// SendCoinsFromModuleToModule moves the block split and the protocol fees.
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	// SendCoinsFromModuleToAccount pays a claim to an account without a pool.
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipientAddr sdk.AccAddress, amt sdk.Coins) error
	// BurnCoins burns fee_burn_bps of each tx fee (from the "rewards" account, a Burner).
	BurnCoins(ctx context.Context, moduleName string, amounts sdk.Coins) error
}

// PoolKeeper is what x/rewards needs from x/pool.
type PoolKeeper interface {
	// HasPool: the rewards of an account that runs a pool go into the pool.
	HasPool(ctx context.Context, provider sdk.AccAddress) (bool, error)
	// AddRewards credits the pool: commission to the provider, the rest to delegators.
	AddRewards(ctx context.Context, fromModule string, provider sdk.AccAddress, amt sdk.Coins) error
	// Claim pays a provider its commission and self-delegation rewards.
	Claim(ctx context.Context, delegator, provider sdk.AccAddress) (sdk.Coins, error)
}
