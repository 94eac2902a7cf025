package types

import errorsmod "cosmossdk.io/errors"

// x/ibcinfer errors. Codes start at 2 (1 is reserved by the SDK) and are
// never renumbered: an error acknowledgement carries "ibcinfer/<code>", and
// counterparties match on it (docs/ibc.md).
var (
	ErrInvalidSigner    = errorsmod.Register(ModuleName, 2, "invalid authority")
	ErrInvalidParams    = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAddress   = errorsmod.Register(ModuleName, 4, "invalid address")
	ErrInvalidMemo      = errorsmod.Register(ModuleName, 5, "invalid inference memo")
	ErrMemoTooLarge     = errorsmod.Register(ModuleName, 6, "inference memo too large")
	ErrInvalidPacket    = errorsmod.Register(ModuleName, 7, "invalid transfer packet")
	ErrReceiveFailed    = errorsmod.Register(ModuleName, 8, "transfer receipt failed")
	ErrJobFailed        = errorsmod.Register(ModuleName, 9, "inference job failed")
	ErrJobExpired       = errorsmod.Register(ModuleName, 10, "inference job expired")
	ErrNoPendingAck     = errorsmod.Register(ModuleName, 11, "no pending acknowledgement")
	ErrJobNotEnded      = errorsmod.Register(ModuleName, 12, "job has not ended")
	ErrInvalidGenesis   = errorsmod.Register(ModuleName, 13, "invalid genesis")
	ErrReversalFailed   = errorsmod.Register(ModuleName, 14, "reversing the receipt failed")
	ErrUnsupportedToken = errorsmod.Register(ModuleName, 15, "unsupported token")
)
