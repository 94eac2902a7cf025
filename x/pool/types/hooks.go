package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PoolHooks lets another module act on x/pool events.
type PoolHooks interface {
	// BeforeSharesChange runs before Delegate or Undelegate changes the
	// shares of provider's pool (the pool may not exist). x/rewards pays the
	// provider's rewards of closed epochs into the pool there, at the shares
	// that earned them, so that a delegation made just before a claim cannot
	// take part of rewards earned before it. An error is logged and does not
	// stop the delegation.
	BeforeSharesChange(ctx context.Context, provider sdk.AccAddress) error
}
