package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module.
	ModuleName = "compute"
	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName
)

// Store prefixes. One byte each; never renumber (the layout is pinned by
// keeper/keys_test.go).
var (
	// ParamsKey holds the module Params (Item).
	ParamsKey = collections.NewPrefix(0)
	// WorkersKey maps worker address bytes → Worker (IndexedMap primary).
	WorkersKey = collections.NewPrefix(1)
	// WorkersByProviderKey is the set of (provider, worker) pairs: the provider index.
	WorkersByProviderKey = collections.NewPrefix(2)
	// AuthorizationsKey is the set of (provider, worker) pairs that may register.
	AuthorizationsKey = collections.NewPrefix(3)
	// ProviderUnitsKey maps provider → sum of its workers' compute units,
	// mirrored to x/pool through SetComputeUnits.
	ProviderUnitsKey = collections.NewPrefix(4)
	// EpochKey holds the current EpochInfo (Item).
	EpochKey = collections.NewPrefix(5)
	// SettlingKey maps epoch number → EpochInfo of earlier epochs not yet settled.
	SettlingKey = collections.NewPrefix(6)
	// CommitmentsKey maps (epoch, worker) → Commitment.
	CommitmentsKey = collections.NewPrefix(7)
	// TombstonesKey maps the address of a deregistered worker → its last
	// record, restored on re-registration so leaving cannot launder history.
	TombstonesKey = collections.NewPrefix(8)
	// BeaconKey holds the last randomness-beacon output (Item).
	BeaconKey = collections.NewPrefix(9)
	// BeaconValidatorsKey maps a validator's consensus address → BeaconValidator.
	BeaconValidatorsKey = collections.NewPrefix(10)
	// ChallengedKey is the set of (epoch, worker) pairs that owe epoch an
	// outcome, fixed when its commit window closes (issue 17, M2/M5).
	ChallengedKey = collections.NewPrefix(11)
	// WorkersByModelKey is the set of (model id, worker) pairs: the workers
	// serving each model, so an assignment reads only the model's workers
	// (issue 17, M5). Rebuilt from the workers, never exported.
	WorkersByModelKey = collections.NewPrefix(12)
)
