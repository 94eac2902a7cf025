package keeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// CastVote records voter's vote on proposal id and returns it.
//
// Any option is accepted while the proposal is VOTING and before its
// voting_end; a new vote replaces the voter's previous one. While a PASSED
// proposal waits for its ETA only VETO is accepted, and a veto that brings
// the tally to the proposal's veto threshold vetoes it at once (its deposit
// is burned).
//
// A vote carries the voter's power at the proposal's snapshot (the state
// before its submission block): its own lock power plus the own power of the
// accounts delegating to it then, less those of them that voted themselves.
// A delegator's first vote on a proposal takes its own power back from its
// delegate — from the delegate's recorded vote if there is one, and through
// Overrides for a vote the delegate casts later — so that the tally is the
// same in whichever order the two vote.
//
// Every check comes before the first write: a rejected vote changes nothing.
func (k Keeper) CastVote(ctx context.Context, voter sdk.AccAddress, id uint64, option types.VoteOption) (types.Vote, error) {
	if _, ok := types.VoteOption_name[int32(option)]; !ok || option == types.VOTE_OPTION_UNSPECIFIED {
		return types.Vote{}, errorsmod.Wrapf(types.ErrInvalidVote, "%d", option)
	}
	voterStr := k.addrString(voter)
	p, err := k.Proposals.Get(ctx, id)
	if err != nil {
		return types.Vote{}, kit.NotFound(err, types.ErrProposalNotFound, fmt.Sprint(id))
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	inTimelock := false
	switch {
	case p.Status == types.PROPOSAL_STATUS_VOTING && now.Before(p.VotingEnd):
	case p.Status == types.PROPOSAL_STATUS_PASSED && now.Before(p.Eta):
		if option != types.VOTE_OPTION_VETO {
			return types.Vote{}, errorsmod.Wrapf(types.ErrVotingClosed,
				"proposal %d passed: only veto votes are accepted until its ETA %s", id, p.Eta.UTC().Format(time.RFC3339))
		}
		inTimelock = true
	default:
		return types.Vote{}, errorsmod.Wrapf(types.ErrVotingClosed, "proposal %d is %s (voting ended %s)",
			id, p.Status, p.VotingEnd.UTC().Format(time.RFC3339))
	}

	snapshot := p.SubmitHeight
	own, err := k.OwnPowerAt(ctx, voter, snapshot)
	if err != nil {
		return types.Vote{}, err
	}
	delegated, err := k.DelegatedPowerAt(ctx, voter, snapshot)
	if err != nil {
		return types.Vote{}, err
	}
	overridden, err := k.override(ctx, id, voter)
	if err != nil {
		return types.Vote{}, err
	}
	delegated = math.MaxInt(delegated.Sub(overridden), math.ZeroInt())
	if own.Add(delegated).IsZero() {
		return types.Vote{}, errorsmod.Wrapf(types.ErrNoVotingPower, "%s at height %d (proposal %d)", voterStr, snapshot-1, id)
	}
	voteKey := collections.Join(id, voter)
	prev, err := k.Votes.Get(ctx, voteKey)
	hasPrev := err == nil
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return types.Vote{}, err
	}

	// During the timelock only accounts that did not vote may veto: letting
	// the losing side turn its no into veto would raise the bar to pass from
	// threshold_bps to about 1 − veto_threshold_bps of the turnout.
	if inTimelock && hasPrev {
		return types.Vote{}, errorsmod.Wrapf(types.ErrVotingClosed,
			"proposal %d passed: %s already voted %s; during the timelock only accounts that did not vote may veto", id, voterStr, prev.Option)
	}

	// Writes from here on.
	if hasPrev {
		p.Tally.Add(prev.Option, prev.OwnPower.Add(prev.DelegatedPower).Neg())
	} else if own.IsPositive() {
		if err := k.overrideDelegate(ctx, &p, voter, own); err != nil {
			return types.Vote{}, err
		}
	}
	vote := types.Vote{ProposalId: id, Voter: voterStr, Option: option, OwnPower: own, DelegatedPower: delegated}
	if err := k.Votes.Set(ctx, voteKey, vote); err != nil {
		return types.Vote{}, err
	}
	power := own.Add(delegated)
	p.Tally.Add(option, power)
	if err := k.Proposals.Set(ctx, id, p); err != nil {
		return types.Vote{}, err
	}
	if err := kit.Emit(ctx, &types.EventVoted{ProposalId: id, Voter: voterStr, Option: option, Power: power.String()}); err != nil {
		return types.Vote{}, err
	}
	if inTimelock && p.Tally.Vetoed(p.VetoThresholdBps) {
		reason := "vetoed during the timelock: veto " + p.Tally.Veto.String() + " of turnout " + p.Tally.Turnout().String()
		if err := k.setStatus(ctx, &p, types.PROPOSAL_STATUS_VETOED, reason); err != nil {
			return types.Vote{}, err
		}
	}
	return vote, nil
}

// override is the own power of delegate's delegators that voted themselves on proposal id.
func (k Keeper) override(ctx context.Context, id uint64, delegate sdk.AccAddress) (math.Int, error) {
	o, err := k.Overrides.Get(ctx, collections.Join(id, delegate))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return o, err
}

// overrideDelegate takes own (the first vote of voter on p) back from the
// delegate voter had at p's snapshot: into Overrides, so that a later vote of
// the delegate leaves it out, and out of the delegate's vote and p's tally if
// the delegate has voted already.
func (k Keeper) overrideDelegate(ctx context.Context, p *types.Proposal, voter sdk.AccAddress, own math.Int) error {
	delegate, err := k.DelegateAt(ctx, voter, p.SubmitHeight)
	if err != nil || delegate == nil {
		return err
	}
	overridden, err := k.override(ctx, p.Id, delegate)
	if err != nil {
		return err
	}
	if err := k.Overrides.Set(ctx, collections.Join(p.Id, delegate), overridden.Add(own)); err != nil {
		return err
	}
	key := collections.Join(p.Id, delegate)
	dv, err := k.Votes.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The delegate's vote holds at least own (own counted in its delegated
	// power at the snapshot); the floor only guards an inconsistent state.
	removed := math.MinInt(own, dv.DelegatedPower)
	dv.DelegatedPower = dv.DelegatedPower.Sub(removed)
	p.Tally.Add(dv.Option, removed.Neg())
	return k.Votes.Set(ctx, key, dv)
}
