package types

import errorsmod "cosmossdk.io/errors"

// x/compute errors. Codes start at 2 (1 is reserved by the SDK) and are never
// renumbered: clients match on them.
var (
	ErrInvalidAuthority   = errorsmod.Register(ModuleName, 2, "invalid authority")
	ErrInvalidParams      = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress     = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrWorkerNotFound     = errorsmod.Register(ModuleName, 5, "worker not found")
	ErrWorkerExists       = errorsmod.Register(ModuleName, 6, "worker already registered")
	ErrUnauthorized       = errorsmod.Register(ModuleName, 7, "unauthorized")
	ErrNoPool             = errorsmod.Register(ModuleName, 8, "provider has no pool")
	ErrTooManyWorkers     = errorsmod.Register(ModuleName, 9, "too many workers for provider")
	ErrInsufficientStake  = errorsmod.Register(ModuleName, 10, "provider self-stake below the minimum for its compute units")
	ErrInvalidSpec        = errorsmod.Register(ModuleName, 11, "invalid worker spec, models or endpoint")
	ErrNotEligible        = errorsmod.Register(ModuleName, 12, "worker not eligible in this epoch")
	ErrWrongEpoch         = errorsmod.Register(ModuleName, 13, "epoch not open")
	ErrCommitWindowClosed = errorsmod.Register(ModuleName, 14, "commit window closed")
	ErrDuplicateCommit    = errorsmod.Register(ModuleName, 15, "already committed in this epoch")
	ErrInvalidRoot        = errorsmod.Register(ModuleName, 16, "invalid Merkle root")
	ErrRevealWindow       = errorsmod.Register(ModuleName, 17, "reveal window not open")
	ErrNoCommitment       = errorsmod.Register(ModuleName, 18, "no commitment to reveal")
	ErrAlreadyRevealed    = errorsmod.Register(ModuleName, 19, "commitment already revealed")
	ErrInvalidReveal      = errorsmod.Register(ModuleName, 20, "malformed reveal")
	ErrNotJailed          = errorsmod.Register(ModuleName, 21, "worker not jailed")
	ErrStillJailed        = errorsmod.Register(ModuleName, 22, "worker still jailed")
	ErrPoolNotEligible    = errorsmod.Register(ModuleName, 23, "provider pool not eligible")
	ErrCommitmentPending  = errorsmod.Register(ModuleName, 24, "worker has an unrevealed commitment in an open epoch")
	ErrUnknownModel       = errorsmod.Register(ModuleName, 25, "model not registered in x/inference")
)
