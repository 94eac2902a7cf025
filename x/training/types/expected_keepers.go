//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// AccountKeeper is what x/training needs from x/auth.
type AccountKeeper interface {
	AddressCodec() address.Codec
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper is what x/training needs from x/bank.
type BankKeeper interface {
	// SendCoinsFromAccountToModule escrows annotation stakes and task budgets.
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	// SendCoinsFromModuleToAccount returns stakes and refunds budgets.
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipient sdk.AccAddress, amt sdk.Coins) error
	// BurnCoins burns slashed annotation stakes.
	BurnCoins(ctx context.Context, moduleName string, amounts sdk.Coins) error
	// GetBalance: InitGenesis checks the module account holds the escrowed stakes and budgets.
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// ComputeKeeper is what x/training needs from x/compute.
type ComputeKeeper interface {
	// GetWorker: a joining worker must be registered and serve the base model.
	GetWorker(ctx context.Context, worker sdk.AccAddress) (computetypes.Worker, error)
	// RecordJobOutcome moves a worker's reputation (silent participants lose it).
	RecordJobOutcome(ctx context.Context, worker sdk.AccAddress, success bool) (uint32, error)
	// Seed draws a round's participants and aggregators.
	Seed(ctx context.Context, purpose string, id []byte) []byte
}

// PoolKeeper is what x/training needs from x/pool.
type PoolKeeper interface {
	// IsEligible: only workers of eligible pools join and are drawn.
	IsEligible(ctx context.Context, provider sdk.AccAddress) (bool, error)
	// AddRewards pays a participant's or aggregator's share into its provider's pool.
	AddRewards(ctx context.Context, fromModule string, provider sdk.AccAddress, amt sdk.Coins) error
	// Slash punishes an aggregator outvoted by the quorum.
	Slash(ctx context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, infractionHeight int64) (math.Int, error)
}

// InferenceKeeper is what x/training needs from x/inference.
type InferenceKeeper interface {
	// GetModel finds a task's base model (runtime, weights digest).
	GetModel(ctx context.Context, id string) (inferencetypes.Model, error)
	// RegisterCandidateModel registers a finished task's checkpoint as a
	// CANDIDATE model (promotion to ACTIVE is an x/dao decision).
	RegisterCandidateModel(ctx context.Context, model inferencetypes.Model) error
}

// RewardsKeeper credits x/rewards points (data for labels, training for updates).
type RewardsKeeper interface {
	AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, opts ...rewardstypes.PointsOption) (uint64, error)
}
