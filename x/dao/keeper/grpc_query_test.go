package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/dao/types"
)

// TestQueryStatusCodes: what does not exist is codes.NotFound (REST 404)
// and a malformed request codes.InvalidArgument (REST 400), never a 500
// (issue 17, hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t)
	alice, bob, _ := f.voters()
	proposer, grants := f.account("proposer"), f.account("grants")
	f.fundTreasury(5_000)
	id := f.submit(proposer, f.send(grants, 1))
	f.vote(alice, id, types.VOTE_OPTION_YES)
	nobody := f.bech(f.account("nobody"))
	_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: id, Voter: f.bech(alice)})
	require.NoError(t, err)

	both := &query.PageRequest{Key: []byte{1}, Offset: 1}
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"proposal not found": {func() error {
			_, err := f.q.Proposal(f.ctx, &types.QueryProposalRequest{ProposalId: id + 1})
			return err
		}, codes.NotFound},
		"proposal: id 0": {func() error {
			_, err := f.q.Proposal(f.ctx, &types.QueryProposalRequest{})
			return err
		}, codes.InvalidArgument},
		"proposals: unknown status": {func() error {
			_, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{Status: 99})
			return err
		}, codes.InvalidArgument},
		"proposals: key and offset": {func() error {
			_, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"vote not found": {func() error {
			_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: id, Voter: f.bech(bob)})
			return err
		}, codes.NotFound},
		"vote on a missing proposal": {func() error {
			_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: id + 1, Voter: f.bech(alice)})
			return err
		}, codes.NotFound},
		"vote: proposal id 0": {func() error {
			_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{Voter: f.bech(alice)})
			return err
		}, codes.InvalidArgument},
		"vote: bad voter": {func() error {
			_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: id, Voter: "not-an-address"})
			return err
		}, codes.InvalidArgument},
		"vote: empty voter": {func() error {
			_, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: id})
			return err
		}, codes.InvalidArgument},
		"votes of a missing proposal": {func() error {
			_, err := f.q.Votes(f.ctx, &types.QueryVotesRequest{ProposalId: id + 1})
			return err
		}, codes.NotFound},
		"votes: proposal id 0": {func() error {
			_, err := f.q.Votes(f.ctx, &types.QueryVotesRequest{})
			return err
		}, codes.InvalidArgument},
		"votes: key and offset": {func() error {
			_, err := f.q.Votes(f.ctx, &types.QueryVotesRequest{ProposalId: id, Pagination: both})
			return err
		}, codes.InvalidArgument},
		"lock not found": {func() error {
			_, err := f.q.Lock(f.ctx, &types.QueryLockRequest{Owner: nobody})
			return err
		}, codes.NotFound},
		"lock: bad owner": {func() error {
			_, err := f.q.Lock(f.ctx, &types.QueryLockRequest{Owner: "x"})
			return err
		}, codes.InvalidArgument},
		"locks: key and offset": {func() error {
			_, err := f.q.Locks(f.ctx, &types.QueryLocksRequest{Pagination: both})
			return err
		}, codes.InvalidArgument},
		"delegation: bad account": {func() error {
			_, err := f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: "x"})
			return err
		}, codes.InvalidArgument},
		"delegation: key and offset": {func() error {
			_, err := f.q.Delegation(f.ctx, &types.QueryDelegationRequest{Account: f.bech(alice), Pagination: both})
			return err
		}, codes.InvalidArgument},
		"power: bad account": {func() error {
			_, err := f.q.Power(f.ctx, &types.QueryPowerRequest{Account: "x"})
			return err
		}, codes.InvalidArgument},
		"power: empty account": {func() error {
			_, err := f.q.Power(f.ctx, &types.QueryPowerRequest{})
			return err
		}, codes.InvalidArgument},
		"power on a missing proposal": {func() error {
			_, err := f.q.Power(f.ctx, &types.QueryPowerRequest{Account: f.bech(alice), ProposalId: id + 1})
			return err
		}, codes.NotFound},
		"empty request": {func() error {
			_, err := f.q.Votes(f.ctx, nil)
			return err
		}, codes.InvalidArgument},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
		require.NotEmpty(t, status.Convert(err).Message(), name)
	}

	// The answers that do exist still come.
	votes, err := f.q.Votes(f.ctx, &types.QueryVotesRequest{ProposalId: id})
	require.NoError(t, err)
	require.Len(t, votes.Votes, 1)
	_, err = f.q.Power(f.ctx, &types.QueryPowerRequest{Account: nobody})
	require.NoError(t, err, "no power is an answer")
}
