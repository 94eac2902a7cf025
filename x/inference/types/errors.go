package types

import errorsmod "cosmossdk.io/errors"

// x/inference errors. Codes start at 2 (1 is reserved by the SDK) and are
// never renumbered: clients match on them.
var (
	ErrInvalidAuthority   = errorsmod.Register(ModuleName, 2, "invalid authority")
	ErrInvalidParams      = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress     = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidModel       = errorsmod.Register(ModuleName, 5, "invalid model")
	ErrModelExists        = errorsmod.Register(ModuleName, 6, "model already registered")
	ErrModelNotFound      = errorsmod.Register(ModuleName, 7, "model not found")
	ErrModelNotActive     = errorsmod.Register(ModuleName, 8, "model not active")
	ErrFeeDenomNotAllowed = errorsmod.Register(ModuleName, 9, "fee denom not allowed")
	ErrFeeTooLow          = errorsmod.Register(ModuleName, 10, "max fee below price × redundancy")
	ErrInvalidInput       = errorsmod.Register(ModuleName, 11, "invalid input")
	ErrInvalidRedundancy  = errorsmod.Register(ModuleName, 12, "invalid redundancy")
	ErrInvalidDeadline    = errorsmod.Register(ModuleName, 13, "invalid deadline")
	ErrInvalidMode        = errorsmod.Register(ModuleName, 14, "invalid consensus mode or tolerance")
	ErrUnknownCallback    = errorsmod.Register(ModuleName, 15, "unknown callback")
	ErrNotEnoughWorkers   = errorsmod.Register(ModuleName, 16, "not enough eligible workers")
	ErrJobNotFound        = errorsmod.Register(ModuleName, 17, "job not found")
	ErrNotAssigned        = errorsmod.Register(ModuleName, 18, "worker not assigned to the job")
	ErrWrongPhase         = errorsmod.Register(ModuleName, 19, "job not in the right phase")
	ErrAlreadyCommitted   = errorsmod.Register(ModuleName, 20, "already committed")
	ErrInvalidCommitment  = errorsmod.Register(ModuleName, 21, "invalid commitment")
	ErrNotCommitted       = errorsmod.Register(ModuleName, 22, "no commitment to reveal")
	ErrAlreadyRevealed    = errorsmod.Register(ModuleName, 23, "already revealed")
	ErrInvalidOutput      = errorsmod.Register(ModuleName, 24, "invalid output")
	ErrCommitmentMismatch = errorsmod.Register(ModuleName, 25, "reveal does not match the commitment")
	ErrDeadlinePassed     = errorsmod.Register(ModuleName, 26, "deadline passed")
	ErrCommitPhaseOver    = errorsmod.Register(ModuleName, 27, "commit phase over")
	ErrInvalidFee         = errorsmod.Register(ModuleName, 28, "invalid fee")
	ErrInvalidGenesis     = errorsmod.Register(ModuleName, 29, "invalid genesis")
	ErrJobEnded           = errorsmod.Register(ModuleName, 30, "job already ended")
	ErrNetworkAtCapacity  = errorsmod.Register(ModuleName, 31, "network at capacity")
)
