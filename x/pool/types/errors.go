package types

import errorsmod "cosmossdk.io/errors"

// x/pool errors. Codes start at 2 (1 is reserved by the SDK) and are never
// renumbered: clients match on them.
var (
	ErrInvalidSigner         = errorsmod.Register(ModuleName, 2, "expected authority account as signer")
	ErrInvalidParams         = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress        = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidAmount         = errorsmod.Register(ModuleName, 5, "invalid amount")
	ErrInvalidDenom          = errorsmod.Register(ModuleName, 6, "invalid denom")
	ErrPoolExists            = errorsmod.Register(ModuleName, 7, "pool already exists")
	ErrPoolNotFound          = errorsmod.Register(ModuleName, 8, "pool not found")
	ErrInvalidCommission     = errorsmod.Register(ModuleName, 9, "invalid commission rate")
	ErrSelfBondTooLow        = errorsmod.Register(ModuleName, 10, "self-bond below the minimum stake")
	ErrPoolInsolvent         = errorsmod.Register(ModuleName, 11, "pool has shares but no tokens")
	ErrDelegationNotFound    = errorsmod.Register(ModuleName, 12, "delegation not found")
	ErrInsufficientStake     = errorsmod.Register(ModuleName, 13, "amount exceeds the delegation's token value")
	ErrMaxUnbondingEntries   = errorsmod.Register(ModuleName, 14, "too many unbonding entries for this delegator and pool")
	ErrNotJailed             = errorsmod.Register(ModuleName, 15, "pool is not jailed")
	ErrJailPeriodNotOver     = errorsmod.Register(ModuleName, 16, "jail period not over")
	ErrSelfStakeTooLow       = errorsmod.Register(ModuleName, 17, "self-stake below the minimum for the registered compute units")
	ErrInvalidSlashFraction  = errorsmod.Register(ModuleName, 18, "slash fraction must be in [0, 1]")
	ErrZeroShares            = errorsmod.Register(ModuleName, 19, "amount too small: it converts to zero shares")
	ErrInvalidGenesis        = errorsmod.Register(ModuleName, 20, "invalid genesis state")
	ErrInvalidHeight         = errorsmod.Register(ModuleName, 21, "invalid height")
	ErrModuleAccountNotFound = errorsmod.Register(ModuleName, 22, "module account not found")
	ErrTombstoned            = errorsmod.Register(ModuleName, 23, "pool is tombstoned: ejected for good, it can never unjail")
	ErrInvalidReason         = errorsmod.Register(ModuleName, 24, "invalid ejection reason")
	ErrEjectionNotFound      = errorsmod.Register(ModuleName, 25, "ejection not found")
)
