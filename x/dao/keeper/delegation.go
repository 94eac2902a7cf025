package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// DelegateVotes makes delegate vote with delegator's own power, replacing any
// previous delegate. Power is not transitive: a delegate votes with its own
// power plus the own power of its direct delegators, never with what its
// delegators were given. A delegator that votes itself on a proposal takes
// its own power back for that proposal (see CastVote).
//
// The delegation graph is kept acyclic: the delegate's chain of delegates is
// walked, at most MaxDelegationDepth links, and must neither reach the
// delegator (ErrDelegationCycle) nor go on past the limit
// (ErrDelegationChainLong), so that the walk stays bounded. Delegating again
// to the current delegate is a no-op.
func (k Keeper) DelegateVotes(ctx context.Context, delegator, delegate sdk.AccAddress) error {
	if delegator.Equals(delegate) {
		return errorsmod.Wrap(types.ErrSelfDelegation, delegator.String())
	}
	delegatorStr := k.addrString(delegator)
	delegateStr := k.addrString(delegate)
	previous, hasPrevious, err := k.currentDelegate(ctx, delegator)
	if err != nil {
		return err
	}
	if hasPrevious && previous.Equals(delegate) {
		return nil
	}
	if err := k.checkChain(ctx, delegator, delegate); err != nil {
		return err
	}

	own, err := k.OwnPowerNow(ctx, delegator)
	if err != nil {
		return err
	}
	previousStr := ""
	if hasPrevious {
		previousStr = k.addrString(previous)
		if err := k.addDelegatedPower(ctx, previous, own.Neg()); err != nil {
			return err
		}
		if err := k.DelegatorsByDelegate.Remove(ctx, collections.Join(previous, delegator)); err != nil {
			return err
		}
	}
	if err := k.addDelegatedPower(ctx, delegate, own); err != nil {
		return err
	}
	if err := k.Delegations.Set(ctx, delegator, delegate); err != nil {
		return err
	}
	if err := k.DelegatorsByDelegate.Set(ctx, collections.Join(delegate, delegator)); err != nil {
		return err
	}
	if err := k.DelegationHistory.Set(ctx, collections.Join(delegator, currentBlock(ctx)), []byte(delegate)); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventDelegated{Delegator: delegatorStr, Delegate: delegateStr, Previous: previousStr})
}

// UndelegateVotes revokes delegator's delegation: its own power leaves its
// delegate's delegated power.
func (k Keeper) UndelegateVotes(ctx context.Context, delegator sdk.AccAddress) error {
	previous, found, err := k.currentDelegate(ctx, delegator)
	if err != nil {
		return err
	}
	if !found {
		return errorsmod.Wrapf(types.ErrNoDelegation, "%s", delegator)
	}
	delegatorStr := k.addrString(delegator)
	previousStr := k.addrString(previous)
	own, err := k.OwnPowerNow(ctx, delegator)
	if err != nil {
		return err
	}
	if err := k.addDelegatedPower(ctx, previous, own.Neg()); err != nil {
		return err
	}
	if err := k.Delegations.Remove(ctx, delegator); err != nil {
		return err
	}
	if err := k.DelegatorsByDelegate.Remove(ctx, collections.Join(previous, delegator)); err != nil {
		return err
	}
	// An empty checkpoint marks "no delegate" from this block on.
	if err := k.DelegationHistory.Set(ctx, collections.Join(delegator, currentBlock(ctx)), []byte{}); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventDelegated{Delegator: delegatorStr, Delegate: "", Previous: previousStr})
}

// currentDelegate is delegator's delegate in force, if any.
func (k Keeper) currentDelegate(ctx context.Context, delegator sdk.AccAddress) (sdk.AccAddress, bool, error) {
	bz, err := k.Delegations.Get(ctx, delegator)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return bz, true, nil
}

// checkChain walks delegate's chain of delegates: it fails if the chain
// reaches delegator (the new link would close a cycle) or has more than
// MaxDelegationDepth links.
func (k Keeper) checkChain(ctx context.Context, delegator, delegate sdk.AccAddress) error {
	cur := delegate
	for links := 0; ; links++ {
		next, found, err := k.currentDelegate(ctx, cur)
		if err != nil {
			return err
		}
		if !found {
			return nil
		}
		if links == types.MaxDelegationDepth {
			return errorsmod.Wrapf(types.ErrDelegationChainLong, "the delegate's chain has more than %d links", types.MaxDelegationDepth)
		}
		if next.Equals(delegator) {
			return errorsmod.Wrapf(types.ErrDelegationCycle, "%s already delegates, through %d links, to %s", delegate, links+1, delegator)
		}
		cur = next
	}
}
