package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module. It has no module account: the
	// tokens of a request stay on its requester account (DeriveAccount) or in
	// x/inference's escrow.
	ModuleName = "ibcinfer"

	// StoreKey is the KV store key of the module. It is not the module name:
	// store keys must not prefix one another, and "ibc" is IBC core's.
	StoreKey = "inferibc"

	// JobCallback is the x/inference job-end callback name this module
	// registers; every job it creates names it.
	JobCallback = "ibc"

	// MemoKey is the top-level memo key this module reads.
	MemoKey = "mesh"
)

// Collection prefixes. One byte each; never renumber.
var (
	ParamsKey      = collections.NewPrefix(0x01)
	PendingAcksKey = collections.NewPrefix(0x02)
	RefundsKey     = collections.NewPrefix(0x03)
)
