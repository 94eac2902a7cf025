//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// AccountKeeper is what x/compute needs from x/auth.
type AccountKeeper interface {
	// AddressCodec converts bech32 strings in messages and state to address bytes.
	AddressCodec() address.Codec
}

// PoolKeeper is what x/compute needs from x/pool.
type PoolKeeper interface {
	// HasPool: a provider must have a pool to authorise workers.
	HasPool(ctx context.Context, provider sdk.AccAddress) (bool, error)
	// IsEligible: workers of an ineligible (jailed, under-staked) pool get no challenge.
	IsEligible(ctx context.Context, provider sdk.AccAddress) (bool, error)
	// MinSelfStake: the self-stake a provider needs for a total of units.
	MinSelfStake(ctx context.Context, units uint64) (math.Int, error)
	// SelfStake: the provider's own bonded stake, compared with MinSelfStake.
	SelfStake(ctx context.Context, provider sdk.AccAddress) (math.Int, error)
	// SetComputeUnits mirrors the provider's registered units into x/pool.
	SetComputeUnits(ctx context.Context, provider sdk.AccAddress, units uint64) error
	// Slash punishes provable proof-of-compute fraud.
	Slash(ctx context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, infractionHeight int64) (math.Int, error)
	// Jail takes a fraudulent provider's pool out of work until a height.
	Jail(ctx context.Context, provider sdk.AccAddress, until int64) error
	// WalkComputeUnits visits, in provider address order, every pool with
	// compute units: InitGenesis checks they agree with the workers.
	WalkComputeUnits(ctx context.Context, fn func(provider sdk.AccAddress, units uint64) (stop bool, err error)) error
}

// RewardsKeeper is x/rewards: credits points for verified work.
type RewardsKeeper interface {
	// AddPoints credits a provider's verified capacity (CategoryPoC) and
	// returns the points credited after multipliers.
	AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, opts ...rewardstypes.PointsOption) (uint64, error)
}

// EpochsKeeper is x/epochs: its record of the epoch that just started tells a
// live epoch from one fired to catch up after a chain halt.
type EpochsKeeper interface {
	GetEpochInfo(ctx sdk.Context, identifier string) (epochstypes.EpochInfo, error)
}

// ModelRegistry is x/inference's model list, wired by app/ after both
// keepers exist (Keeper.SetModelRegistry): x/inference imports x/compute,
// so x/compute cannot import it back.
type ModelRegistry interface {
	// HasModel: a worker may only claim models the chain can route to it.
	HasModel(ctx context.Context, id string) (bool, error)
}
