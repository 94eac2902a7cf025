package types

import errorsmod "cosmossdk.io/errors"

// x/dao errors. Codes start at 2 (1 is reserved by the SDK) and are never
// renumbered: clients match on them.
var (
	ErrInvalidSigner       = errorsmod.Register(ModuleName, 2, "expected the DAO module account as signer")
	ErrInvalidParams       = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress      = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidAmount       = errorsmod.Register(ModuleName, 5, "invalid amount")
	ErrInvalidDuration     = errorsmod.Register(ModuleName, 6, "invalid lock duration")
	ErrLockTooSmall        = errorsmod.Register(ModuleName, 7, "lock below min_lock")
	ErrLockNotFound        = errorsmod.Register(ModuleName, 8, "lock not found")
	ErrLockNotExpired      = errorsmod.Register(ModuleName, 9, "lock has not ended")
	ErrDelegationCycle     = errorsmod.Register(ModuleName, 10, "delegation would create a cycle")
	ErrSelfDelegation      = errorsmod.Register(ModuleName, 11, "cannot delegate to oneself")
	ErrNoDelegation        = errorsmod.Register(ModuleName, 12, "no delegation")
	ErrInvalidProposal     = errorsmod.Register(ModuleName, 13, "invalid proposal")
	ErrDepositTooLow       = errorsmod.Register(ModuleName, 14, "deposit below min_deposit")
	ErrProposalNotFound    = errorsmod.Register(ModuleName, 15, "proposal not found")
	ErrInvalidVote         = errorsmod.Register(ModuleName, 16, "invalid vote option")
	ErrVotingClosed        = errorsmod.Register(ModuleName, 17, "proposal is not open for this vote")
	ErrNoVotingPower       = errorsmod.Register(ModuleName, 18, "no voting power at the proposal's snapshot")
	ErrNotPassed           = errorsmod.Register(ModuleName, 19, "proposal has not passed")
	ErrTimelock            = errorsmod.Register(ModuleName, 20, "proposal is timelocked until its ETA")
	ErrExecutionExpired    = errorsmod.Register(ModuleName, 21, "proposal's execution window is over")
	ErrAlreadyExecuted     = errorsmod.Register(ModuleName, 22, "proposal already executed")
	ErrInvalidGenesis      = errorsmod.Register(ModuleName, 23, "invalid genesis state")
	ErrDelegationChainLong = errorsmod.Register(ModuleName, 24, "delegation chain too long")
)
