package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module and of the DAO treasury module
	// account: x/rewards' treasury share and (by x/pool params) slashed
	// stake arrive there; only executed proposals spend it.
	ModuleName = "dao"

	// EscrowAccount holds locked tokens and proposal deposits, apart from the
	// treasury, so that a proposal can never spend them. It burns vetoed
	// deposits.
	EscrowAccount = "dao_escrow"

	// StoreKey is the KV store key of the module.
	StoreKey = ModuleName

	// AnalysisCallback is the x/inference callback name of analysis jobs.
	AnalysisCallback = ModuleName
)

// Collection prefixes. One byte each; never renumber (the layout is pinned by
// a test in keeper/keys_test.go).
var (
	ParamsKey               = collections.NewPrefix(0)
	NextProposalIDKey       = collections.NewPrefix(1)
	LocksKey                = collections.NewPrefix(2)
	DelegationsKey          = collections.NewPrefix(3)
	DelegatorsByDelegateKey = collections.NewPrefix(4)
	ProposalsKey            = collections.NewPrefix(5)
	VotesKey                = collections.NewPrefix(6)
	OwnPowerKey             = collections.NewPrefix(7)
	DelegatedPowerKey       = collections.NewPrefix(8)
	TotalPowerKey           = collections.NewPrefix(9)
	DelegationHistoryKey    = collections.NewPrefix(10)
	OverridesKey            = collections.NewPrefix(11)
	VotingQueueKey          = collections.NewPrefix(12)
	ExecutionQueueKey       = collections.NewPrefix(13)
	AnalysisJobsKey         = collections.NewPrefix(14)
)
