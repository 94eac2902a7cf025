package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module and of its module account, which
	// holds the pot and what closed epochs still owe.
	ModuleName = "rewards"

	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName

	// TreasuryModuleName is the DAO treasury module account (x/dao) that
	// receives treasury_share_bps of each block's rewards.
	TreasuryModuleName = "dao"

	// ProtocolFeeAccount is x/inference's protocol fee module account, swept
	// into the pot every block.
	ProtocolFeeAccount = "inference_protocol"
)

// Reward categories recorded by the modules of this repository. Params may
// add or drop categories; AddPoints rejects a name that is not in params.
const (
	// CategoryPoC is proof-of-compute: x/compute records verified capacity.
	CategoryPoC = "poc"
	// CategoryInference is inference: x/inference records agreed answers.
	CategoryInference = "inference"
	// CategoryTraining is federated training (x/training).
	CategoryTraining = "training"
	// CategoryData is datasets and annotations (x/training).
	CategoryData = "data"
)

// BpsScale is 100% in basis points.
const BpsScale = 10_000

// Collection prefixes. One byte each; never renumber (the layout is pinned by
// a test in keeper/keys_test.go).
var (
	// ParamsKey stores the module Params (Item).
	ParamsKey = collections.NewPrefix(0)
	// CurrentEpochKey stores the open epoch number (Item).
	CurrentEpochKey = collections.NewPrefix(1)
	// EpochsKey stores EpochSummary by epoch number.
	EpochsKey = collections.NewPrefix(2)
	// PointsKey stores unclaimed points by (account, epoch, category).
	PointsKey = collections.NewPrefix(3)
	// ContributorsKey stores a contributor's index by (category, account).
	ContributorsKey = collections.NewPrefix(4)
	// ContributorCountKey stores the number of contributors by category.
	ContributorCountKey = collections.NewPrefix(5)
	// OutstandingKey stores Σ (reserved − claimed) over closed epochs (Item).
	OutstandingKey = collections.NewPrefix(6)
)
