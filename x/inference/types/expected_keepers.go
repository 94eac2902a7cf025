//go:generate go run go.uber.org/mock/mockgen@v0.6.0 -source=expected_keepers.go -package testutil -destination ../testutil/expected_keepers_mocks.go

package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// AccountKeeper is what x/inference needs from x/auth.
type AccountKeeper interface {
	// AddressCodec converts bech32 strings in messages and state to address bytes.
	AddressCodec() address.Codec
}

// BankKeeper is what x/inference needs from x/bank.
type BankKeeper interface {
	// SendCoinsFromAccountToModule escrows a request's max_fee.
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	// SendCoinsFromModuleToAccount refunds the unspent escrow.
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipient sdk.AccAddress, amt sdk.Coins) error
	// SendCoinsFromModuleToModule pays the protocol fee account.
	SendCoinsFromModuleToModule(ctx context.Context, senderModule, recipientModule string, amt sdk.Coins) error
	// BurnCoins burns fee_burn_bps of each paid fee.
	BurnCoins(ctx context.Context, moduleName string, amounts sdk.Coins) error
}

// ComputeKeeper is what x/inference needs from x/compute.
type ComputeKeeper interface {
	// IterateWorkers walks the whole worker registry in address order.
	IterateWorkers(ctx context.Context, fn func(addr sdk.AccAddress, w computetypes.Worker) (stop bool, err error)) error
	// IterateWorkersOfModel lists the candidates for an assignment: the
	// workers serving model, in address order (x/compute's model index).
	IterateWorkersOfModel(ctx context.Context, model string, fn func(w computetypes.Worker) (stop bool, err error)) error
	// GetWorker finds the provider of a worker to pay or slash at settlement.
	GetWorker(ctx context.Context, worker sdk.AccAddress) (computetypes.Worker, error)
	// RecordJobOutcome moves a worker's reputation after a job.
	RecordJobOutcome(ctx context.Context, worker sdk.AccAddress, success bool) (uint32, error)
	// Seed is the chain's one randomness function; it draws a job's workers.
	Seed(ctx context.Context, purpose string, id []byte) []byte
}

// PoolKeeper is what x/inference needs from x/pool.
type PoolKeeper interface {
	// IsEligible: only workers of unjailed, sufficiently staked pools get jobs.
	IsEligible(ctx context.Context, provider sdk.AccAddress) (bool, error)
	// SelfStake weighs a worker in the assignment draw.
	SelfStake(ctx context.Context, provider sdk.AccAddress) (math.Int, error)
	// AddRewards pays a worker's share into its provider's pool (commission, then delegators).
	AddRewards(ctx context.Context, fromModule string, provider sdk.AccAddress, amt sdk.Coins) error
	// Slash punishes a worker that disagreed on a deterministic model.
	Slash(ctx context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, infractionHeight int64) (math.Int, error)
}

// RewardsKeeper is x/rewards: credits points for verified work.
type RewardsKeeper interface {
	// AddPoints credits a provider for an agreed answer (CategoryInference)
	// and returns the points credited after multipliers.
	AddPoints(ctx context.Context, category string, account sdk.AccAddress, points uint64, opts ...rewardstypes.PointsOption) (uint64, error)
}

// ContractKeeper is what x/inference needs from x/wasm for "sudo"
// callbacks (the app adapts wasmd's keeper; nil: no contract callbacks).
type ContractKeeper interface {
	// IsContract reports whether addr is a CosmWasm contract.
	IsContract(ctx context.Context, addr sdk.AccAddress) bool
	// Sudo calls the contract's sudo entry point with msg (JSON).
	Sudo(ctx context.Context, contract sdk.AccAddress, msg []byte) ([]byte, error)
}
