// Package cachectx runs a piece of state-machine work in a cache context of
// the current one: its writes and events are kept only if it succeeds. The
// modules use it wherever a failure must leave state untouched without
// failing the block or the transaction around it (calls into other modules,
// hooks, per-item work in block hooks).
package cachectx

import (
	"context"
	"fmt"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Run runs fn in a cache context and writes it only if fn returns nil. A
// panic becomes an error (PanicError), except running out of gas: that is
// the transaction's budget, not fn failing, and it propagates so that the
// sender cannot pick a gas limit that makes fn fail on purpose.
func Run(ctx context.Context, fn func(ctx sdk.Context) error) error {
	return run(ctx, fn, false)
}

// RunRecoverOutOfGas is Run for work with its own gas meter (a callback
// with a gas limit) or running in a block hook: out of gas becomes an error
// too ("out of gas: <descriptor>").
func RunRecoverOutOfGas(ctx context.Context, fn func(ctx sdk.Context) error) error {
	return run(ctx, fn, true)
}

func run(ctx context.Context, fn func(ctx sdk.Context) error, recoverOOG bool) (err error) {
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	defer func() {
		if r := recover(); r != nil {
			if oog, ok := r.(storetypes.ErrorOutOfGas); ok {
				if !recoverOOG {
					panic(r)
				}
				err = fmt.Errorf("out of gas: %s", oog.Descriptor)
				return
			}
			err = PanicError(r)
		}
	}()
	if err := fn(cacheCtx); err != nil {
		return err
	}
	write()
	return nil
}

// PanicError turns a recovered panic into an error whose text is the same
// on every node: such texts can reach state (x/dao stores a failed
// proposal's result), and formatting an SDK error with %v or %w appends the
// file and line it was created at, which differ between builds. Only
// err.Error() and plain strings are used.
func PanicError(r any) error {
	switch v := r.(type) {
	case error:
		return fmt.Errorf("panic: %s", v.Error())
	case string:
		return fmt.Errorf("panic: %s", v)
	default:
		return fmt.Errorf("panic: %T", r)
	}
}
