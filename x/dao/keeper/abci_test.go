package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

func TestEndBlockerOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		votes  map[string]types.VoteOption
		want   types.ProposalStatus
		result string
		// refunded: the deposit goes back to the proposer; else it is burned.
		refunded bool
	}{
		{"no votes: no quorum", nil, types.PROPOSAL_STATUS_REJECTED, "no quorum: turnout 0 of total power 17000", true},
		// carol's 2000 is below 20 % of 17000 (3400).
		{"below quorum", map[string]types.VoteOption{"carol": types.VOTE_OPTION_YES}, types.PROPOSAL_STATUS_REJECTED,
			"no quorum: turnout 2000 of total power 17000", true},
		// veto 10000 of 15000 turnout ≥ 33.4 %, though yes would pass.
		{"veto", map[string]types.VoteOption{"alice": types.VOTE_OPTION_VETO, "bob": types.VOTE_OPTION_YES},
			types.PROPOSAL_STATUS_VETOED, "vetoed: 10000 of turnout 15000", false},
		// veto 5000 of 17000 turnout < 33.4 %: yes 12000 > 50 % of 12000.
		{"veto below threshold", map[string]types.VoteOption{"alice": types.VOTE_OPTION_YES, "bob": types.VOTE_OPTION_VETO, "carol": types.VOTE_OPTION_YES},
			types.PROPOSAL_STATUS_PASSED, "passed: yes 12000, no 0", true},
		{"yes above threshold", map[string]types.VoteOption{"alice": types.VOTE_OPTION_YES, "bob": types.VOTE_OPTION_NO},
			types.PROPOSAL_STATUS_PASSED, "passed: yes 10000, no 5000", true},
		{"no majority", map[string]types.VoteOption{"bob": types.VOTE_OPTION_YES, "alice": types.VOTE_OPTION_NO},
			types.PROPOSAL_STATUS_REJECTED, "rejected: yes 5000, no 10000", true},
		// Abstain counts for quorum only: yes 2000 > 50 % of 2000.
		{"abstain", map[string]types.VoteOption{"alice": types.VOTE_OPTION_ABSTAIN, "carol": types.VOTE_OPTION_YES},
			types.PROPOSAL_STATUS_PASSED, "passed: yes 2000, no 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			alice, bob, carol := f.voters()
			byName := map[string]sdk.AccAddress{"alice": alice, "bob": bob, "carol": carol}
			proposer, grants := f.account("proposer"), f.account("grants")
			funded := f.balance(proposer)
			id := f.submit(proposer, f.send(grants, 1))
			for _, name := range []string{"alice", "bob", "carol"} {
				if o, ok := tc.votes[name]; ok {
					f.vote(byName[name], id, o)
				}
			}
			p := f.proposal(id)

			// Nothing happens before voting_end.
			f.at(p.VotingEnd.Add(-time.Nanosecond))
			f.endBlock()
			require.Equal(t, types.PROPOSAL_STATUS_VOTING, f.status(id))

			f.at(p.VotingEnd)
			supply, escrow := f.supply(), f.escrowBalance()
			f.endBlock()
			p = f.proposal(id)
			require.Equal(t, tc.want, p.Status)
			require.Equal(t, tc.result, p.Result)
			require.Equal(t, []types.EventProposalStatus{{ProposalId: id, Status: tc.want, Result: tc.result}},
				typedEvents[types.EventProposalStatus](f))
			has, err := f.k.VotingQueue.Has(f.ctx, collections.Join(p.VotingEnd, id))
			require.NoError(t, err)
			require.False(t, has)
			inExec, err := f.k.ExecutionQueue.Has(f.ctx, collections.Join(p.Expiry, id))
			require.NoError(t, err)
			require.Equal(t, tc.want == types.PROPOSAL_STATUS_PASSED, inExec)

			switch {
			case tc.want == types.PROPOSAL_STATUS_PASSED:
				// Still escrowed until executed or expired.
				require.Equal(t, funded-deposit, f.balance(proposer))
				require.Equal(t, escrow, f.escrowBalance())
				require.True(t, p.Eta.Equal(p.VotingEnd.Add(timelock)))
				require.True(t, p.Expiry.Equal(p.Eta.Add(executionWindow)))
			case tc.refunded:
				require.Equal(t, funded, f.balance(proposer))
				require.Equal(t, escrow-deposit, f.escrowBalance())
				require.Equal(t, supply, f.supply())
			default:
				require.Equal(t, funded-deposit, f.balance(proposer))
				require.Equal(t, escrow-deposit, f.escrowBalance())
				require.Equal(t, supply-deposit, f.supply(), "the deposit is burned")
			}

			// Processed once only.
			f.next(time.Hour)
			before := f.snapshot()
			f.endBlock()
			require.Equal(t, before, f.snapshot())
		})
	}
}

// With max_proposals_per_block 2, five proposals whose voting ended in the
// same block end two per block, oldest first; the voting queue is served
// before the execution queue.
func TestEndBlockerBounded(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { p.MaxProposalsPerBlock = 2 }))
	alice, _, _ := f.voters()
	proposer, grants := f.account("proposer"), f.account("grants")

	passed := f.pass(proposer, alice, f.send(grants, 1))
	var ids []uint64
	for range 5 {
		ids = append(ids, f.submit(proposer, f.send(grants, 1)))
	}
	votingEnd := f.proposal(ids[0]).VotingEnd
	require.True(t, passed.Expiry.Before(votingEnd), "the passed proposal expires first")

	f.at(votingEnd)
	statuses := func() []types.ProposalStatus {
		var out []types.ProposalStatus
		for _, id := range append([]uint64{passed.Id}, ids...) {
			out = append(out, f.status(id))
		}
		return out
	}
	const (
		P = types.PROPOSAL_STATUS_PASSED
		V = types.PROPOSAL_STATUS_VOTING
		R = types.PROPOSAL_STATUS_REJECTED
		E = types.PROPOSAL_STATUS_EXPIRED
	)
	f.endBlock()
	require.Equal(t, []types.ProposalStatus{P, R, R, V, V, V}, statuses())
	require.Len(t, typedEvents[types.EventProposalStatus](f), 2)
	f.next(time.Second)
	f.endBlock()
	require.Equal(t, []types.ProposalStatus{P, R, R, R, R, V}, statuses())
	f.next(time.Second)
	f.endBlock()
	require.Equal(t, []types.ProposalStatus{E, R, R, R, R, R}, statuses(), "one voting, then one expiry")
	f.next(time.Second)
	f.endBlock()
	require.Empty(t, typedEvents[types.EventProposalStatus](f))
}

// A proposal whose processing fails is dropped from its queue with an event
// and does not stop the others.
func TestEndBlockerSkipsBrokenProposal(t *testing.T) {
	f := newFixture(t)
	proposer, grants := f.account("proposer"), f.account("grants")
	first := f.submit(proposer, f.send(grants, 1))
	second := f.submit(proposer, f.send(grants, 1))
	// Break the first: its deposit is no longer in escrow, so its refund fails.
	p := f.proposal(first)
	p.Deposit = p.Deposit.Add(p.Deposit...).Add(p.Deposit...)
	require.NoError(t, f.k.Proposals.Set(f.ctx, first, p))

	f.at(p.VotingEnd)
	f.endBlock()
	require.Equal(t, types.PROPOSAL_STATUS_VOTING, f.status(first), "left as it was")
	require.Equal(t, types.PROPOSAL_STATUS_REJECTED, f.status(second))
	require.True(t, f.hasEvent("mesh.dao.v1.EventProposalSkipped"))
	has, err := f.k.VotingQueue.Has(f.ctx, collections.Join(p.VotingEnd, first))
	require.NoError(t, err)
	require.False(t, has, "dropped, not retried every block")
	require.Equal(t, int64(deposit), f.escrowBalance(), "only the second deposit was refunded")
}
