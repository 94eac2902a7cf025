package keeper

import (
	"context"
	"fmt"
	"math/big"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	pooltypes "github.com/llmesh/mesh/x/pool/types"
	"github.com/llmesh/mesh/x/rewards/types"
)

// earnings is the result of a scan of an account's points.
type earnings struct {
	amount   sdk.Coins
	epochs   uint32
	first    uint64
	last     uint64
	more     bool
	keys     []collections.Triple[sdk.AccAddress, uint64, string]
	epochsAt []types.EpochSummary // summaries with Claimed updated, in epoch order
	open     []types.CategoryPoints
}

// scan walks account's points oldest epoch first: closed epochs (at most
// maxEpochs of them) are priced at their rates; the open epoch's points are
// listed. It writes nothing.
func (k Keeper) scan(ctx context.Context, account sdk.AccAddress, maxEpochs uint32) (earnings, error) {
	current, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return earnings{}, err
	}
	e := earnings{amount: sdk.NewCoins()}
	var summary *types.EpochSummary
	it, err := k.Points.Iterate(ctx, collections.NewPrefixedTripleRange[sdk.AccAddress, uint64, string](account))
	if err != nil {
		return earnings{}, err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return earnings{}, err
		}
		epoch, category, points := kv.Key.K2(), kv.Key.K3(), kv.Value
		if epoch >= current {
			e.open = append(e.open, types.CategoryPoints{Category: category, Points: points})
			continue
		}
		if summary == nil || summary.Epoch != epoch {
			if e.epochs == maxEpochs {
				e.more = true
				break
			}
			s, err := k.Epochs.Get(ctx, epoch)
			if err != nil {
				return earnings{}, errorsmod.Wrapf(types.ErrEpochNotFound, "epoch %d: %v", epoch, err)
			}
			e.epochsAt = append(e.epochsAt, s)
			summary = &e.epochsAt[len(e.epochsAt)-1]
			e.epochs++
			if e.first == 0 {
				e.first = epoch
			}
			e.last = epoch
		}
		e.keys = append(e.keys, kv.Key)
		c := summary.Category(category)
		if c == nil {
			continue // no rate: the points earn nothing
		}
		for _, r := range c.Rate {
			amt := payout(new(big.Int).SetUint64(points), r.Amount.BigInt())
			if !amt.IsPositive() {
				continue
			}
			coin := sdk.NewCoin(r.Denom, amt)
			c.Claimed = c.Claimed.Add(coin)
			e.amount = e.amount.Add(coin)
		}
	}
	return e, nil
}

// Claim pays account's points in its oldest unclaimed closed epochs, at most
// max_epochs_per_claim of them. An account that runs an x/pool pool is paid
// into the pool (AddRewards: commission, then delegators), and when it
// claims for itself the pool then pays it its commission and
// self-delegation rewards. Anyone may claim for a pool; an account without
// a pool may only claim for itself and is paid directly.
//
// Errors (nothing moves): ErrUnauthorized, ErrNothingToClaim (no points in
// closed epochs — a second claim gets it), and ErrInsufficientFund should
// claimed ever exceed what an epoch reserved.
func (k Keeper) Claim(ctx context.Context, claimant, account sdk.AccAddress) (*types.MsgClaimRewardsResponse, error) {
	claimantStr, accountStr := k.addrString(claimant), k.addrString(account)
	hasPool, err := k.pool.HasPool(ctx, account)
	if err != nil {
		return nil, err
	}
	if !hasPool && !claimant.Equals(account) {
		return nil, errorsmod.Wrapf(types.ErrUnauthorized, "%s may not claim for %s", claimantStr, accountStr)
	}
	e, err := k.settle(ctx, account, hasPool)
	if err != nil {
		return nil, err
	}
	if e.epochs == 0 {
		current, _ := k.CurrentEpoch.Get(ctx)
		if len(e.open) > 0 {
			return nil, errorsmod.Wrapf(types.ErrNothingToClaim, "%s has points only in the open epoch %d; they are paid after it closes", accountStr, current)
		}
		return nil, errorsmod.Wrapf(types.ErrNothingToClaim, "%s has no unclaimed points", accountStr)
	}
	resp := &types.MsgClaimRewardsResponse{Amount: e.amount, Epochs: e.epochs, ToPool: hasPool, Withdrawn: sdk.NewCoins(), More: e.more}
	if hasPool && claimant.Equals(account) {
		if resp.Withdrawn, err = k.pool.Claim(ctx, account, account); err != nil {
			return nil, err
		}
	}
	return resp, kit.Emit(ctx, &types.EventRewardsClaimed{
		Claimant: claimantStr, Account: accountStr, Amount: e.amount.String(), Epochs: e.epochs,
		FirstEpoch: e.first, LastEpoch: e.last, ToPool: hasPool, Withdrawn: resp.Withdrawn.String(), More: e.more,
	})
}

// settle pays account's points in its oldest unclaimed closed epochs (at
// most max_epochs_per_claim): into its pool when hasPool, else to the
// account. With no closed epoch to pay it writes nothing and returns the
// scan (epochs 0, open points listed).
func (k Keeper) settle(ctx context.Context, account sdk.AccAddress, hasPool bool) (earnings, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return earnings{}, err
	}
	e, err := k.scan(ctx, account, params.MaxEpochsPerClaim)
	if err != nil || e.epochs == 0 {
		return e, err
	}
	for _, s := range e.epochsAt {
		for _, c := range s.Categories {
			if !c.Claimed.IsAllLTE(c.Reserved) {
				return earnings{}, errInvariant("epoch %d %s: claims %s exceed reserved %s", s.Epoch, c.Category, c.Claimed, c.Reserved)
			}
		}
	}
	owed, err := k.outstanding(ctx)
	if err != nil {
		return earnings{}, err
	}
	left, neg := owed.SafeSub(e.amount...)
	if neg {
		return earnings{}, errInvariant("claim of %s exceeds the outstanding %s", e.amount, owed)
	}

	for _, key := range e.keys {
		if err := k.Points.Remove(ctx, key); err != nil {
			return earnings{}, err
		}
	}
	for _, s := range e.epochsAt {
		if err := k.Epochs.Set(ctx, s.Epoch, s); err != nil {
			return earnings{}, err
		}
	}
	if err := k.Outstanding.Set(ctx, types.Balance{Coins: left}); err != nil {
		return earnings{}, err
	}
	if e.amount.IsZero() {
		return e, nil
	}
	if hasPool {
		return e, k.pool.AddRewards(ctx, types.ModuleName, account, e.amount)
	}
	return e, k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, account, e.amount)
}

// PoolHooks returns the x/pool hooks of x/rewards.
func (k Keeper) PoolHooks() pooltypes.PoolHooks { return poolHooks{k} }

type poolHooks struct{ k Keeper }

// BeforeSharesChange pays the provider's rewards of closed epochs into its
// pool before a delegation or undelegation changes its shares, so that they
// go to the shares that earned them: a stake added just before a claim
// cannot take part of them. Bounded like a claim (max_epochs_per_claim);
// EventRewardsClaimed has an empty claimant.
func (h poolHooks) BeforeSharesChange(ctx context.Context, provider sdk.AccAddress) error {
	hasPool, err := h.k.pool.HasPool(ctx, provider)
	if err != nil || !hasPool {
		return err
	}
	e, err := h.k.settle(ctx, provider, true)
	if err != nil || e.epochs == 0 {
		return err
	}
	return kit.Emit(ctx, &types.EventRewardsClaimed{
		Account: h.k.addrString(provider), Amount: e.amount.String(), Epochs: e.epochs,
		FirstEpoch: e.first, LastEpoch: e.last, ToPool: true, Withdrawn: sdk.NewCoins().String(), More: e.more,
	})
}

// Pending is what the account's unclaimed closed epochs are worth — the
// oldest types.MaxEpochsPerClaim (1000) of them; More says there are more —
// and its points in the open epoch (listed only when the scan reached it).
// One claim pays at most params.max_epochs_per_claim epochs, so paying all
// of Pending may take several claims.
func (k Keeper) Pending(ctx context.Context, account sdk.AccAddress) (*types.QueryPendingResponse, error) {
	e, err := k.scan(ctx, account, types.MaxEpochsPerClaim)
	if err != nil {
		return nil, err
	}
	current, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	hasPool, err := k.pool.HasPool(ctx, account)
	if err != nil {
		return nil, err
	}
	open := e.open
	if open == nil {
		open = []types.CategoryPoints{}
	}
	return &types.QueryPendingResponse{Amount: e.amount, Epochs: e.epochs, More: e.more, CurrentEpoch: current, OpenPoints: open, ToPool: hasPool}, nil
}

// errInvariant reports broken accounting; the operation is refused.
func errInvariant(format string, args ...any) error {
	return errorsmod.Wrap(types.ErrInsufficientFund, fmt.Sprintf(format, args...))
}
