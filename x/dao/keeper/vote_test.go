package keeper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// TestCastVote: each vote carries its snapshot power; a re-vote moves it to
// the new option.
func TestCastVote(t *testing.T) {
	f := newLockFixture(t)
	a, b, c, d := f.account("a"), f.account("b"), f.account("c"), f.account("d")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.lock(c, 10_000, lfDur2x)     // 200
	f.lock(d, lfMinLock, lfDur3x)  // 93

	f.next(time.Minute)
	p := f.proposal(0)
	for _, v := range []struct {
		who    sdk.AccAddress
		option types.VoteOption
		power  int64
	}{
		{a, types.VOTE_OPTION_YES, 1000},
		{b, types.VOTE_OPTION_NO, 8000},
		{c, types.VOTE_OPTION_ABSTAIN, 200},
		{d, types.VOTE_OPTION_VETO, 93},
	} {
		got := f.vote(v.who, p.Id, v.option)
		require.Equal(t, p.Id, got.ProposalId)
		require.Equal(t, f.bech(v.who), got.Voter)
		require.Equal(t, v.option, got.Option)
		require.Equal(t, v.power, got.OwnPower.Int64())
		require.True(t, got.DelegatedPower.IsZero())
		require.Equal(t, got, f.getVote(p.Id, v.who))
	}
	require.Equal(t, [4]int64{1000, 8000, 200, 93}, f.tally(p.Id))
	require.Equal(t, types.EventVoted{ProposalId: p.Id, Voter: f.bech(b), Option: types.VOTE_OPTION_NO, Power: "8000"},
		lfEvents[types.EventVoted](f)[1])

	f.next(time.Minute)
	v := f.vote(b, p.Id, types.VOTE_OPTION_YES)
	require.Equal(t, types.VOTE_OPTION_YES, v.Option)
	require.Equal(t, [4]int64{9000, 0, 200, 93}, f.tally(p.Id))
	require.Equal(t, types.VOTE_OPTION_YES, f.getVote(p.Id, b).Option)

	castErr := func(who sdk.AccAddress, id uint64, o types.VoteOption) func() error {
		return func() error { _, err := f.k.CastVote(f.ctx, who, id, o); return err }
	}
	f.requireRejected(types.ErrProposalNotFound, castErr(a, 99, types.VOTE_OPTION_YES))
	f.requireRejected(types.ErrInvalidVote, castErr(a, p.Id, types.VOTE_OPTION_UNSPECIFIED))
	f.requireRejected(types.ErrInvalidVote, castErr(a, p.Id, types.VoteOption(9)))
	f.requireRejected(types.ErrNoVotingPower, castErr(f.account("none"), p.Id, types.VOTE_OPTION_YES))
}

// TestVoteWindows: votes until voting_end; during the timelock only veto,
// until the ETA; nothing on a final proposal.
func TestVoteWindows(t *testing.T) {
	f := newLockFixture(t)
	a := f.account("a")
	f.lock(a, 1_000_000, lfMaxDur)
	f.next(time.Minute)
	p := f.proposal(0)
	rejected := f.proposal(0)
	castErr := func(id uint64, o types.VoteOption) func() error {
		return func() error { _, err := f.k.CastVote(f.ctx, a, id, o); return err }
	}

	f.next(f.params.VotingPeriod - time.Nanosecond) // 1ns before voting_end
	f.vote(a, p.Id, types.VOTE_OPTION_YES)
	p2 := f.getProposal(rejected.Id)
	p2.Status = types.PROPOSAL_STATUS_REJECTED
	require.NoError(t, f.k.Proposals.Set(f.ctx, p2.Id, p2))
	f.requireRejected(types.ErrVotingClosed, castErr(rejected.Id, types.VOTE_OPTION_YES), "rejected proposal")
	f.requireRejected(types.ErrVotingClosed, castErr(rejected.Id, types.VOTE_OPTION_VETO), "rejected proposal")

	f.next(time.Nanosecond) // at voting_end, before the end-of-voting tally
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_NO), "at voting_end")
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_VETO), "voting ended, not passed yet")

	f.pass(p.Id)
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_NO), "timelock")
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_YES), "timelock")
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_ABSTAIN), "timelock")

	f.next(f.params.Timelock) // at the ETA
	f.requireRejected(types.ErrVotingClosed, castErr(p.Id, types.VOTE_OPTION_VETO), "at the ETA")
	require.Equal(t, types.PROPOSAL_STATUS_PASSED, f.getProposal(p.Id).Status)
}

// TestVetoDuringTimelock: veto votes during the timelock below the threshold
// leave the proposal PASSED; the one that reaches it vetoes the proposal and
// burns its deposit.
func TestVetoDuringTimelock(t *testing.T) {
	f := newLockFixture(t)
	a, b, e := f.account("a"), f.account("b"), f.account("e")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.lock(e, 4_000_000, lfMaxDur) // 8000

	f.next(time.Minute)
	const deposit = 5000
	p := f.proposal(deposit)
	escrow, supply := f.escrow(), f.supply()
	require.Equal(t, int64(9_000_000+deposit), escrow)
	f.vote(b, p.Id, types.VOTE_OPTION_YES)
	f.vote(a, p.Id, types.VOTE_OPTION_YES)

	f.next(f.params.VotingPeriod)
	f.pass(p.Id)
	f.next(time.Hour) // in the timelock

	// a already voted: it cannot turn its vote into a veto now.
	f.requireRejected(types.ErrVotingClosed, func() error {
		_, err := f.k.CastVote(f.ctx, a, p.Id, types.VOTE_OPTION_VETO)
		return err
	}, "voted already")
	require.Equal(t, [4]int64{9000, 0, 0, 0}, f.tally(p.Id))

	// e, who had not voted, vetoes: 8000 of 17000 ≥ 33.4 %.
	v := f.vote(e, p.Id, types.VOTE_OPTION_VETO)
	require.Equal(t, int64(8000), v.OwnPower.Int64())
	got := f.getProposal(p.Id)
	require.Equal(t, types.PROPOSAL_STATUS_VETOED, got.Status)
	require.True(t, strings.HasPrefix(got.Result, "vetoed during the timelock"), got.Result)
	require.Equal(t, [4]int64{9000, 0, 0, 8000}, f.tally(p.Id))
	require.Equal(t, escrow-deposit, f.escrow(), "deposit burned from escrow")
	require.Equal(t, supply-deposit, f.supply(), "deposit burned")
	require.Zero(t, f.balance(lfAddr("proposer", 2)), "nothing refunded")
	has, err := f.k.ExecutionQueue.Has(f.ctx, collections.Join(p.Expiry, p.Id))
	require.NoError(t, err)
	require.False(t, has, "out of the execution queue")
	require.Equal(t, []types.EventProposalStatus{{ProposalId: p.Id, Status: types.PROPOSAL_STATUS_VETOED, Result: got.Result}},
		lfEvents[types.EventProposalStatus](f))

	f.requireRejected(types.ErrVotingClosed, func() error {
		_, err := f.k.CastVote(f.ctx, b, p.Id, types.VOTE_OPTION_VETO)
		return err
	}, "vetoed")
}

// TestDelegatorOverride: a delegator that votes itself takes its own power
// back from its delegate, whether it votes before or after the delegate.
func TestDelegatorOverride(t *testing.T) {
	type result struct {
		tally     [4]int64
		a, b, c   types.Vote
		overrides string
	}
	run := func(t *testing.T, delegatorFirst bool) result {
		f := newLockFixture(t)
		a, b, c, e := f.account("a"), f.account("b"), f.account("c"), f.account("e")
		f.lock(a, 1_000_000, lfMinDur) // 1000
		f.lock(b, 4_000_000, lfMaxDur) // 8000
		f.lock(c, 10_000, lfDur2x)     // 200: the delegate
		f.lock(e, lfMinLock, lfDur3x)  // 93
		f.delegate(a, c)
		f.delegate(b, c)

		f.next(time.Minute)
		p := f.proposal(0)
		f.delegate(e, c) // in the submission block: not part of the snapshot
		if delegatorFirst {
			f.vote(a, p.Id, types.VOTE_OPTION_NO)
			vc := f.vote(c, p.Id, types.VOTE_OPTION_YES)
			require.Equal(t, int64(8000), vc.DelegatedPower.Int64(), "a's 1000 left out")
		} else {
			vc := f.vote(c, p.Id, types.VOTE_OPTION_YES)
			require.Equal(t, int64(9000), vc.DelegatedPower.Int64())
			f.vote(a, p.Id, types.VOTE_OPTION_NO)
		}
		require.Equal(t, [4]int64{8200, 1000, 0, 0}, f.tally(p.Id))

		// a's re-vote does not take its power back twice.
		f.vote(a, p.Id, types.VOTE_OPTION_ABSTAIN)
		require.Equal(t, [4]int64{8200, 0, 1000, 0}, f.tally(p.Id))
		// e delegated after the snapshot: its vote is its own, c keeps 8000.
		f.vote(e, p.Id, types.VOTE_OPTION_NO)
		require.Equal(t, int64(8000), f.getVote(p.Id, c).DelegatedPower.Int64())
		require.Equal(t, [4]int64{8200, 93, 1000, 0}, f.tally(p.Id))
		// b votes too: c is left with its own 200.
		f.vote(b, p.Id, types.VOTE_OPTION_VETO)
		require.Equal(t, [4]int64{200, 93, 1000, 8000}, f.tally(p.Id))
		vc := f.vote(c, p.Id, types.VOTE_OPTION_NO)
		require.Equal(t, [2]int64{200, 0}, [2]int64{vc.OwnPower.Int64(), vc.DelegatedPower.Int64()})
		require.Equal(t, [4]int64{0, 293, 1000, 8000}, f.tally(p.Id))

		o, err := f.k.Overrides.Get(f.ctx, collections.Join(p.Id, c))
		require.NoError(t, err)
		return result{f.tally(p.Id), f.getVote(p.Id, a), f.getVote(p.Id, b), f.getVote(p.Id, c), o.String()}
	}
	first := run(t, true)
	second := run(t, false)
	require.Equal(t, first, second)
	require.Equal(t, "9000", first.overrides)
}
