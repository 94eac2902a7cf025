package keeper

import (
	"context"
	"fmt"
	"time"

	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/baseapp"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
)

// ExecuteProposal runs the messages of passed proposal id, in order, with the
// DAO module account as signer, between its ETA and its expiry.
//
// The messages run in one cache context: if any fails or panics, nothing any
// of them did is kept and the proposal is FAILED, with the message and its
// error as result; otherwise their writes and events are kept and it is
// EXECUTED. Either way the deposit is refunded and the call succeeds: a
// failing message ends the proposal, not the executor's transaction. Only out
// of gas aborts the transaction and leaves the proposal PASSED — else an
// executor could make any proposal fail by sending too little gas.
func (k Keeper) ExecuteProposal(ctx context.Context, id uint64) (types.ProposalStatus, string, error) {
	p, err := k.GetProposal(ctx, id)
	if err != nil {
		return 0, "", err
	}
	switch p.Status {
	case types.PROPOSAL_STATUS_PASSED:
	case types.PROPOSAL_STATUS_EXECUTED, types.PROPOSAL_STATUS_FAILED:
		return 0, "", errorsmod.Wrapf(types.ErrAlreadyExecuted, "proposal %d is %s", id, p.Status)
	default:
		return 0, "", errorsmod.Wrapf(types.ErrNotPassed, "proposal %d is %s", id, p.Status)
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	now := sdkCtx.BlockTime()
	if now.Before(p.Eta) {
		return 0, "", errorsmod.Wrapf(types.ErrTimelock, "proposal %d can be executed from %s", id, p.Eta.UTC().Format(time.RFC3339))
	}
	if !now.Before(p.Expiry) {
		return 0, "", errorsmod.Wrapf(types.ErrExecutionExpired, "proposal %d could be executed until %s", id, p.Expiry.UTC().Format(time.RFC3339))
	}

	status, result := types.PROPOSAL_STATUS_EXECUTED, ""
	if err := k.runMessages(sdkCtx, p); err != nil {
		status, result = types.PROPOSAL_STATUS_FAILED, err.Error()
	}
	p.ExecutedHeight = sdkCtx.BlockHeight()
	if err := k.setStatus(ctx, &p, status, result); err != nil {
		return 0, "", err
	}
	return status, result, nil
}

// runMessages runs p's messages in one cache context and writes it, with the
// handlers' events, only if all succeed. The error names the failing message.
func (k Keeper) runMessages(ctx sdk.Context, p types.Proposal) error {
	cacheCtx, write := ctx.CacheContext()
	// The proposal is marked EXECUTED inside the cache first, so that a
	// message that executes this same proposal again (directly or through
	// authz) fails instead of recursing.
	guard := p
	guard.Status = types.PROPOSAL_STATUS_EXECUTED
	if err := k.Proposals.Set(cacheCtx, p.Id, guard); err != nil {
		return err
	}
	var events sdk.Events
	for i, a := range p.Messages {
		url := ""
		if a != nil {
			url = a.TypeUrl
		}
		msg, err := k.unpackMsg(a)
		if err != nil {
			return fmt.Errorf("message %d (%s): %s", i, url, StableError(err))
		}
		var handler baseapp.MsgServiceHandler
		if k.router != nil {
			handler = k.router.Handler(msg)
		}
		if handler == nil {
			return fmt.Errorf("message %d (%s): no handler", i, url)
		}
		res, err := safeHandle(cacheCtx, handler, msg)
		if err != nil {
			k.Logger(ctx).Info("x/dao: proposal message failed", "proposal", p.Id, "message", i, "err", err)
			return fmt.Errorf("message %d (%s): %s", i, url, StableError(err))
		}
		if res != nil {
			events = append(events, res.GetEvents()...)
		}
	}
	write()
	ctx.EventManager().EmitEvents(events)
	return nil
}

// safeHandle runs a message handler, turning a panic other than out of gas
// into an error (as x/gov does for proposal messages).
func safeHandle(ctx sdk.Context, handler baseapp.MsgServiceHandler, msg sdk.Msg) (res *sdk.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(storetypes.ErrorOutOfGas); ok {
				panic(r)
			}
			err = cachectx.PanicError(r)
		}
	}()
	return handler(ctx, msg)
}
