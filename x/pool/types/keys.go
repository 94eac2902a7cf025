package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module and of its module account, which
	// holds every bonded and unbonding token plus unclaimed rewards.
	ModuleName = "pool"

	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName

	// TreasuryModuleName is the module account of the DAO treasury (x/dao),
	// where slashed tokens go when Params.SlashDestination is TREASURY.
	TreasuryModuleName = "dao"
)

// Collection prefixes. One byte each; never renumber (the layout is pinned by
// a test in keeper/keys_test.go).
var (
	// ParamsKey stores the module Params (Item).
	ParamsKey = collections.NewPrefix(0)
	// PoolsKey stores Pool by provider address bytes.
	PoolsKey = collections.NewPrefix(1)
	// DelegationsKey stores Delegation by (provider, delegator).
	DelegationsKey = collections.NewPrefix(2)
	// DelegationsByDelegatorKey indexes delegations by (delegator, provider).
	DelegationsByDelegatorKey = collections.NewPrefix(3)
	// UnbondingsKey stores UnbondingEntry by id.
	UnbondingsKey = collections.NewPrefix(4)
	// UnbondingQueueKey orders unbondings by (completion time, id) for the EndBlocker.
	UnbondingQueueKey = collections.NewPrefix(5)
	// UnbondingsByProviderKey indexes unbondings by (provider, id) so Slash reaches them.
	UnbondingsByProviderKey = collections.NewPrefix(6)
	// UnbondingsByDelegatorKey indexes unbondings by (delegator, provider, id) for
	// queries and the per-(delegator, provider) entry cap.
	UnbondingsByDelegatorKey = collections.NewPrefix(7)
	// NextUnbondingIDKey is the sequence of unbonding ids.
	NextUnbondingIDKey = collections.NewPrefix(8)
	// EjectionsKey stores Ejection by provider address bytes (MsgEjectProvider).
	EjectionsKey = collections.NewPrefix(9)
)

// EjectionSlashReason is the reason Slash records for MsgEjectProvider.
const EjectionSlashReason = "dao-ejection"

// MaxEjectionReasonLength bounds MsgEjectProvider's reason, in bytes.
const MaxEjectionReasonLength = 256
