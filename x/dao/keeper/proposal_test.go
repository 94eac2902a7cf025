package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/x/dao/types"
)

func TestSubmitProposal(t *testing.T) {
	f := newFixture(t)
	f.voters()
	proposer, grants := f.account("proposer"), f.account("grants")
	before, escrow := f.balance(proposer), f.escrowBalance()
	now := f.ctx.BlockTime()

	id := f.submit(proposer, f.send(grants, 1_000))
	require.Equal(t, uint64(1), id, "ids start at 1")
	require.Equal(t, before-deposit, f.balance(proposer))
	require.Equal(t, escrow+deposit, f.escrowBalance())

	p := f.proposal(id)
	require.Equal(t, types.PROPOSAL_STATUS_VOTING, p.Status)
	require.Equal(t, f.bech(proposer), p.Proposer)
	require.Equal(t, "Fund the inference grants", p.Title)
	require.Equal(t, "ipfs://meta", p.Metadata)
	require.Len(t, p.Messages, 1)
	require.Equal(t, f.ctx.BlockHeight(), p.SubmitHeight)
	require.True(t, p.SubmitTime.Equal(now))
	require.True(t, p.VotingEnd.Equal(now.Add(votingPeriod)))
	require.True(t, p.Eta.Equal(now.Add(votingPeriod+timelock)))
	require.True(t, p.Expiry.Equal(now.Add(votingPeriod+timelock+executionWindow)))
	require.Equal(t, intOf(17_000), p.TotalPower, "the locks of the previous block")
	require.Equal(t, types.NewTally(), p.Tally)
	require.Equal(t, [3]uint32{2000, 5000, 3340}, [3]uint32{p.QuorumBps, p.ThresholdBps, p.VetoThresholdBps})
	require.Equal(t, types.ANALYSIS_STATUS_UNSPECIFIED, p.Analysis.Status, "analysis off")
	require.Empty(t, f.inference.requests)

	has, err := f.k.VotingQueue.Has(f.ctx, collections.Join(p.VotingEnd, id))
	require.NoError(t, err)
	require.True(t, has)
	ev := typedEvents[types.EventProposalSubmitted](f)
	require.Equal(t, []types.EventProposalSubmitted{{
		ProposalId: 1, Proposer: f.bech(proposer), VotingEnd: p.VotingEnd.Format(time.RFC3339),
	}}, ev)

	// The next one gets the next id; the snapshot does not see locks of its own block.
	f.lock(f.account("dave"), 9_000_000)
	id2 := f.submit(proposer, f.send(grants, 1))
	require.Equal(t, uint64(2), id2)
	require.Equal(t, intOf(17_000), f.proposal(id2).TotalPower)
}

func TestSubmitProposalErrors(t *testing.T) {
	f := newFixture(t, withParams(func(p *types.Params) { p.MaxMessages = 2 }))
	proposer, grants, alice := f.account("proposer"), f.account("grants"), f.account("alice")
	f.next(time.Minute)
	before := f.balance(proposer)

	unknown := f.submitMsg(proposer, f.send(grants, 1))
	unknown.Messages = []*codectypes.Any{{TypeUrl: "/mesh.nothing.v1.MsgNothing", Value: []byte{1}}}
	noHandler := f.submitMsg(proposer, &authtypes.MsgUpdateParams{Authority: f.authority, Params: authtypes.DefaultParams()})
	low := f.submitMsg(proposer, f.send(grants, 1))
	low.Deposit = sdk.NewCoins(sdk.NewInt64Coin(denom, deposit-1))
	otherDenom := f.submitMsg(proposer, f.send(grants, 1))
	otherDenom.Deposit = sdk.NewCoins(sdk.NewInt64Coin("uother", deposit))
	poor := f.submitMsg(f.account("poor"), f.send(grants, 1))
	poor.Deposit = sdk.NewCoins(sdk.NewInt64Coin(denom, funds+1))
	byDAO := f.submitMsg(proposer, f.send(grants, 1))
	byDAO.Proposer = f.authority
	invalidMsg := f.submitMsg(proposer, &types.MsgUpdateParams{Authority: f.authority, Params: types.Params{}})
	newDenom := f.params
	newDenom.LockDenom = "uother"

	for _, tc := range []struct {
		name string
		msg  *types.MsgSubmitProposal
		want error
	}{
		{"deposit too low", low, types.ErrDepositTooLow},
		{"deposit in another denom", otherDenom, types.ErrDepositTooLow},
		{"not signed by the DAO", f.submitMsg(proposer, &banktypes.MsgSend{
			FromAddress: f.bech(alice), ToAddress: f.bech(grants), Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 1)),
		}), types.ErrInvalidProposal},
		{"unknown message type", unknown, types.ErrInvalidProposal},
		{"no handler", noHandler, types.ErrInvalidProposal},
		{"too many messages", f.submitMsg(proposer, f.send(grants, 1), f.send(grants, 2), f.send(grants, 3)), types.ErrInvalidProposal},
		{"no message", f.submitMsg(proposer), types.ErrInvalidProposal},
		{"empty title", func() *types.MsgSubmitProposal { m := f.submitMsg(proposer, f.send(grants, 1)); m.Title = ""; return m }(), types.ErrInvalidProposal},
		{"proposer cannot pay", poor, sdkerrors.ErrInsufficientFunds},
		{"the DAO as proposer", byDAO, types.ErrInvalidProposal},
		{"invalid params of the DAO", invalidMsg, types.ErrInvalidProposal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.requireRejected(tc.want, func() error {
				if err := tc.msg.ValidateBasic(); err != nil {
					return err
				}
				_, err := f.msg.SubmitProposal(f.ctx, tc.msg)
				return err
			}, tc.name)
		})
	}
	// A message of the DAO's own module is checked like any other: its
	// ValidateBasic, signer, handler; the keeper's checks run when it does.
	_, err := f.msg.SubmitProposal(f.ctx, f.submitMsg(proposer, &types.MsgUpdateParams{Authority: f.authority, Params: newDenom}))
	require.NoError(t, err)

	require.Equal(t, before-deposit, f.balance(proposer))
	n, err := f.k.NextProposalID.Peek(f.ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(2), n, "rejected proposals take no id")
}

func TestSubmitProposalErrorMessages(t *testing.T) {
	f := newFixture(t)
	proposer, alice := f.account("proposer"), f.account("alice")
	_, err := f.msg.SubmitProposal(f.ctx, f.submitMsg(proposer, f.send(alice, 1), &banktypes.MsgSend{
		FromAddress: f.bech(alice), ToAddress: f.bech(proposer), Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 1)),
	}))
	require.ErrorIs(t, err, types.ErrInvalidProposal)
	require.ErrorContains(t, err, "message 1 (/cosmos.bank.v1beta1.MsgSend)")
	require.ErrorContains(t, err, f.authority)

	_, err = f.msg.SubmitProposal(f.ctx, f.submitMsg(proposer, &authtypes.MsgUpdateParams{Authority: f.authority, Params: authtypes.DefaultParams()}))
	require.ErrorContains(t, err, "message 0 (/cosmos.auth.v1beta1.MsgUpdateParams): no handler")
}

func TestProposalQueries(t *testing.T) {
	f := newFixture(t)
	alice, bob, _ := f.voters()
	proposer, grants := f.account("proposer"), f.account("grants")
	f.fundTreasury(5_000)
	var ids []uint64
	for i := range 3 {
		ids = append(ids, f.submit(proposer, f.send(grants, int64(i+1))))
	}
	f.vote(alice, ids[0], types.VOTE_OPTION_YES)
	f.vote(bob, ids[0], types.VOTE_OPTION_NO)
	f.vote(alice, ids[1], types.VOTE_OPTION_YES)
	f.at(f.proposal(ids[0]).VotingEnd)
	f.endBlock()
	// ids[0]: yes 10000 > 50 % of 15000: PASSED; ids[1]: PASSED; ids[2]: no quorum.
	f.next(time.Second)

	res, err := f.q.Proposal(f.ctx, &types.QueryProposalRequest{ProposalId: ids[0]})
	require.NoError(t, err)
	require.Equal(t, f.proposal(ids[0]), res.Proposal)
	_, err = f.q.Proposal(f.ctx, &types.QueryProposalRequest{ProposalId: 99})
	require.ErrorContains(t, err, "NotFound")

	all, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{})
	require.NoError(t, err)
	require.Len(t, all.Proposals, 3)
	passed, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{Status: types.PROPOSAL_STATUS_PASSED})
	require.NoError(t, err)
	require.Equal(t, []uint64{ids[0], ids[1]}, proposalIDs(passed.Proposals))
	rejected, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{Status: types.PROPOSAL_STATUS_REJECTED})
	require.NoError(t, err)
	require.Equal(t, []uint64{ids[2]}, proposalIDs(rejected.Proposals))
	page, err := f.q.Proposals(f.ctx, &types.QueryProposalsRequest{Pagination: &query.PageRequest{Limit: 2}})
	require.NoError(t, err)
	require.Equal(t, []uint64{ids[0], ids[1]}, proposalIDs(page.Proposals))
	require.NotEmpty(t, page.Pagination.NextKey)

	v, err := f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: ids[0], Voter: f.bech(bob)})
	require.NoError(t, err)
	require.Equal(t, types.VOTE_OPTION_NO, v.Vote.Option)
	require.Equal(t, intOf(5_000), v.Vote.OwnPower)
	_, err = f.q.Vote(f.ctx, &types.QueryVoteRequest{ProposalId: ids[1], Voter: f.bech(bob)})
	require.ErrorContains(t, err, "NotFound")
	votes, err := f.q.Votes(f.ctx, &types.QueryVotesRequest{ProposalId: ids[0]})
	require.NoError(t, err)
	require.Len(t, votes.Votes, 2)
	votes, err = f.q.Votes(f.ctx, &types.QueryVotesRequest{ProposalId: ids[1]})
	require.NoError(t, err)
	require.Len(t, votes.Votes, 1)
	require.Equal(t, f.bech(alice), votes.Votes[0].Voter)

	tr, err := f.q.Treasury(f.ctx, &types.QueryTreasuryRequest{})
	require.NoError(t, err)
	require.Equal(t, f.authority, tr.Address)
	require.Equal(t, "5000umesh", tr.Balance.String())

	params, err := f.q.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, f.params, params.Params)
}

func proposalIDs(ps []types.Proposal) []uint64 {
	out := make([]uint64, len(ps))
	for i, p := range ps {
		out[i] = p.Id
	}
	return out
}
