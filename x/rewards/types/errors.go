package types

import errorsmod "cosmossdk.io/errors"

// x/rewards errors. Codes start at 2 (1 is reserved by the SDK) and are never
// renumbered: clients match on them.
var (
	ErrInvalidSigner    = errorsmod.Register(ModuleName, 2, "expected authority account as signer")
	ErrInvalidParams    = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress   = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrUnknownCategory  = errorsmod.Register(ModuleName, 5, "unknown reward category")
	ErrInvalidPoints    = errorsmod.Register(ModuleName, 6, "invalid points")
	ErrPointsOverflow   = errorsmod.Register(ModuleName, 7, "points overflow")
	ErrNothingToClaim   = errorsmod.Register(ModuleName, 8, "nothing to claim")
	ErrUnauthorized     = errorsmod.Register(ModuleName, 9, "only the account itself may claim: it runs no pool")
	ErrEpochNotFound    = errorsmod.Register(ModuleName, 10, "epoch not found")
	ErrInvalidGenesis   = errorsmod.Register(ModuleName, 11, "invalid genesis state")
	ErrInsufficientFund = errorsmod.Register(ModuleName, 12, "module balance below what closed epochs owe")
)
