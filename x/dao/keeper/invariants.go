package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// CheckInvariants reports the first broken promise of x/dao (tests and the
// app simulation only: O(state)):
//
//   - escrow: the escrow account holds exactly Σ locks + the deposits of
//     the proposals not yet settled (what InitGenesis requires, as an equality);
//   - every delegation is in the delegate index and no account delegates to itself;
//   - every VOTING proposal is in the voting queue.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	locked := math.ZeroInt()
	err = k.Locks.Walk(ctx, nil, func(_ sdk.AccAddress, l types.Lock) (bool, error) {
		if !l.Amount.IsPositive() {
			return true, fmt.Errorf("lock of %s: amount %s", l.Owner, l.Amount)
		}
		locked = locked.Add(l.Amount)
		return false, nil
	})
	if err != nil {
		return err
	}
	deposits := sdk.NewCoins()
	err = k.Proposals.Walk(ctx, nil, func(id uint64, p types.Proposal) (bool, error) {
		if !p.Status.IsFinal() {
			deposits = deposits.Add(p.Deposit...)
		}
		if p.Status == types.PROPOSAL_STATUS_VOTING {
			if has, err := k.VotingQueue.Has(ctx, collections.Join(p.VotingEnd, id)); err != nil || !has {
				return true, fmt.Errorf("voting proposal %d not in the voting queue (%v)", id, err)
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Delegations.Walk(ctx, nil, func(delegator sdk.AccAddress, delegate []byte) (bool, error) {
		if delegator.Equals(sdk.AccAddress(delegate)) {
			return true, fmt.Errorf("%s delegates to itself", k.addrString(delegator))
		}
		if has, err := k.DelegatorsByDelegate.Has(ctx, collections.Join(sdk.AccAddress(delegate), delegator)); err != nil || !has {
			return true, fmt.Errorf("delegation of %s missing from the delegate index (%v)", k.addrString(delegator), err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	owed := deposits
	if locked.IsPositive() {
		owed = owed.Add(sdk.NewCoin(params.LockDenom, locked))
	}
	held := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.EscrowAccount))
	if !held.Equal(owed) {
		return fmt.Errorf("escrow holds %s, locks %s%s + open deposits %s = %s", held, locked, params.LockDenom, deposits, owed)
	}
	return nil
}
