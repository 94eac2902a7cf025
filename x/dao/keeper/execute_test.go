package keeper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/llmesh/mesh/x/dao/types"
)

func TestExecuteProposal(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, grants, executor := f.account("proposer"), f.account("grants"), f.account("executor")
	f.fundTreasury(1_000_000)
	funded := f.balance(proposer)
	p := f.pass(proposer, alice, f.send(grants, 250_000))

	// During the timelock: refused, nothing changes.
	f.at(p.Eta.Add(-time.Second))
	f.requireRejected(types.ErrTimelock, func() error { _, err := f.execute(executor, p.Id); return err }, "before eta")

	// At the ETA: the treasury pays exactly the amount, the deposit comes back.
	f.at(p.Eta)
	grantsBefore := f.balance(grants)
	res, err := f.execute(executor, p.Id)
	require.NoError(t, err)
	require.Equal(t, &types.MsgExecuteProposalResponse{Status: types.PROPOSAL_STATUS_EXECUTED}, res)
	require.Equal(t, grantsBefore+250_000, f.balance(grants))
	require.Equal(t, int64(750_000), f.treasuryBalance())
	require.Equal(t, funded, f.balance(proposer), "deposit refunded")
	got := f.proposal(p.Id)
	require.Equal(t, types.PROPOSAL_STATUS_EXECUTED, got.Status)
	require.Equal(t, f.ctx.BlockHeight(), got.ExecutedHeight)
	require.Empty(t, got.Result)
	inExec, err := f.k.ExecutionQueue.Has(f.ctx, collections.Join(p.Expiry, p.Id))
	require.NoError(t, err)
	require.False(t, inExec)
	// The bank send's own events reach the transaction.
	require.True(t, f.transferredTo(grants))
	require.Equal(t, []types.EventProposalStatus{{ProposalId: p.Id, Status: types.PROPOSAL_STATUS_EXECUTED}},
		typedEvents[types.EventProposalStatus](f))

	// Twice: refused.
	f.next(time.Second)
	f.requireRejected(types.ErrAlreadyExecuted, func() error { _, err := f.execute(executor, p.Id); return err }, "twice")
}

func TestExecuteProposalRefused(t *testing.T) {
	f := newFixture(t)
	_, bob, _ := f.voters()
	proposer, grants, executor := f.account("proposer"), f.account("grants"), f.account("executor")
	f.fundTreasury(1_000)
	rejected := f.submit(proposer, f.send(grants, 1))
	f.vote(bob, rejected, types.VOTE_OPTION_NO)
	f.requireRejected(types.ErrNotPassed, func() error { _, err := f.execute(executor, rejected); return err }, "voting")
	f.at(f.proposal(rejected).Eta)
	f.endBlock()
	require.Equal(t, types.PROPOSAL_STATUS_REJECTED, f.status(rejected))
	f.next(time.Second)
	f.requireRejected(types.ErrNotPassed, func() error { _, err := f.execute(executor, rejected); return err }, "rejected")
	f.requireRejected(types.ErrProposalNotFound, func() error { _, err := f.execute(executor, 42); return err }, "unknown")
	f.requireRejected(types.ErrProposalNotFound, func() error { _, err := f.execute(executor, 0); return err }, "id 0")

	_, err := f.execute(executor, rejected)
	require.ErrorContains(t, err, "PROPOSAL_STATUS_REJECTED")
}

func TestExecuteProposalExpired(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, grants, executor := f.account("proposer"), f.account("grants"), f.account("executor")
	f.fundTreasury(1_000)
	funded := f.balance(proposer)
	p := f.pass(proposer, alice, f.send(grants, 1))

	// At the expiry, before the end blocker has run: refused.
	f.at(p.Expiry)
	f.requireRejected(types.ErrExecutionExpired, func() error { _, err := f.execute(executor, p.Id); return err }, "at expiry")
	f.endBlock()
	got := f.proposal(p.Id)
	require.Equal(t, types.PROPOSAL_STATUS_EXPIRED, got.Status)
	require.Contains(t, got.Result, "not executed before its expiry")
	require.Equal(t, funded, f.balance(proposer), "deposit refunded")
	require.Equal(t, int64(1_000), f.treasuryBalance())
	f.next(time.Second)
	f.requireRejected(types.ErrNotPassed, func() error { _, err := f.execute(executor, p.Id); return err }, "expired")
}

// The second message sends more than the treasury holds: the first send is
// undone, the proposal FAILED, the executor's transaction succeeds.
func TestExecuteProposalFailingMessage(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, grants, other, executor := f.account("proposer"), f.account("grants"), f.account("other"), f.account("executor")
	f.fundTreasury(1_000)
	funded := f.balance(proposer)
	p := f.pass(proposer, alice, f.send(grants, 600), f.send(other, 600))
	f.at(p.Eta)
	grantsBefore, otherBefore := f.balance(grants), f.balance(other)

	res, err := f.execute(executor, p.Id)
	require.NoError(t, err, "a failing message does not fail the transaction")
	require.Equal(t, types.PROPOSAL_STATUS_FAILED, res.Status)
	require.True(t, strings.HasPrefix(res.Result, "message 1 (/cosmos.bank.v1beta1.MsgSend): "), res.Result)
	require.Contains(t, res.Result, "insufficient funds")

	require.Equal(t, grantsBefore, f.balance(grants), "the first send is undone")
	require.Equal(t, otherBefore, f.balance(other))
	require.Equal(t, int64(1_000), f.treasuryBalance())
	require.Equal(t, funded, f.balance(proposer), "deposit refunded")
	got := f.proposal(p.Id)
	require.Equal(t, types.PROPOSAL_STATUS_FAILED, got.Status)
	require.Equal(t, res.Result, got.Result)
	require.Equal(t, f.ctx.BlockHeight(), got.ExecutedHeight)
	require.False(t, f.transferredTo(grants), "no event of the undone send")
	require.Equal(t, []types.EventProposalStatus{{ProposalId: p.Id, Status: types.PROPOSAL_STATUS_FAILED, Result: res.Result}},
		typedEvents[types.EventProposalStatus](f))

	f.next(time.Second)
	f.requireRejected(types.ErrAlreadyExecuted, func() error { _, err := f.execute(executor, p.Id); return err }, "failed")
}

// A proposal carrying x/dao's MsgUpdateParams changes the params: the DAO
// governs itself.
func TestExecuteProposalUpdatesParams(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, executor := f.account("proposer"), f.account("executor")
	newParams := f.params
	newParams.QuorumBps = 3000
	newParams.MaxProposalsPerBlock = 7
	newParams.MinDeposit = sdk.NewCoins(sdk.NewInt64Coin(denom, 5))
	p := f.pass(proposer, alice, &types.MsgUpdateParams{Authority: f.authority, Params: newParams})
	f.at(p.Eta)
	res, err := f.execute(executor, p.Id)
	require.NoError(t, err)
	require.Equal(t, types.PROPOSAL_STATUS_EXECUTED, res.Status, res.Result)
	got, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, newParams, got)
	require.Equal(t, []types.EventParamsUpdated{{Authority: f.authority}}, typedEvents[types.EventParamsUpdated](f))

	// Open proposals keep the thresholds they were submitted with; new ones get the new.
	require.Equal(t, uint32(2000), f.proposal(p.Id).QuorumBps)
	id := f.submit(proposer, &types.MsgUpdateParams{Authority: f.authority, Params: f.params})
	require.Equal(t, uint32(3000), f.proposal(id).QuorumBps)
}

// A proposal whose new params the keeper refuses (lock_denom while locks
// exist) fails at execution and changes nothing. Params failing their
// ValidateBasic are refused at submission (TestSubmitProposalErrors).
func TestExecuteProposalInvalidParams(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, executor := f.account("proposer"), f.account("executor")
	bad := f.params
	bad.LockDenom = "uother"
	p := f.pass(proposer, alice, &types.MsgUpdateParams{Authority: f.authority, Params: bad})
	f.at(p.Eta)
	res, err := f.execute(executor, p.Id)
	require.NoError(t, err)
	require.Equal(t, types.PROPOSAL_STATUS_FAILED, res.Status)
	require.Contains(t, res.Result, "message 0 (/mesh.dao.v1.MsgUpdateParams)")
	got, err := f.k.Params.Get(f.ctx)
	require.NoError(t, err)
	require.Equal(t, f.params, got)
}

// A proposal that executes itself (through the DAO's own MsgExecuteProposal)
// fails instead of recursing.
func TestExecuteProposalReentry(t *testing.T) {
	f := newFixture(t)
	alice, _, _ := f.voters()
	proposer, grants, executor := f.account("proposer"), f.account("grants"), f.account("executor")
	f.fundTreasury(1_000)
	p := f.pass(proposer, alice, f.send(grants, 100), &types.MsgExecuteProposal{Executor: f.authority, ProposalId: 1})
	require.Equal(t, uint64(1), p.Id)
	f.at(p.Eta)
	grantsBefore := f.balance(grants)
	res, err := f.execute(executor, p.Id)
	require.NoError(t, err)
	require.Equal(t, types.PROPOSAL_STATUS_FAILED, res.Status)
	require.Contains(t, res.Result, "message 1 (/mesh.dao.v1.MsgExecuteProposal)")
	require.Contains(t, res.Result, "already executed")
	require.Equal(t, grantsBefore, f.balance(grants))
	require.Equal(t, int64(1_000), f.treasuryBalance())
}

// Params updates by anyone but the DAO account are refused; lock_denom
// cannot change while locks exist.
func TestUpdateParams(t *testing.T) {
	f := newFixture(t)
	alice := f.account("alice")
	p := f.params
	p.QuorumBps = 1000
	f.requireRejected(types.ErrInvalidSigner, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.bech(alice), Params: p})
		return err
	}, "not the DAO")
	bad := p
	bad.MaxMessages = 0
	f.requireRejected(types.ErrInvalidParams, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: bad})
		return err
	}, "invalid")

	newDenom := p
	newDenom.LockDenom = "uother"
	_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: newDenom})
	require.NoError(t, err, "no locks yet")
	_, err = f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
	require.NoError(t, err)
	f.lock(alice, 1_000_000)
	f.requireRejected(types.ErrInvalidParams, func() error {
		_, err := f.msg.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: newDenom})
		return err
	}, "lock_denom with locks")
}

// transferredTo reports whether a bank transfer event to a was emitted in this block.
func (f *fixture) transferredTo(a sdk.AccAddress) bool {
	for _, e := range f.ctx.EventManager().Events() {
		if e.Type != banktypes.EventTypeTransfer {
			continue
		}
		for _, attr := range e.Attributes {
			if attr.Key == banktypes.AttributeKeyRecipient && attr.Value == f.bech(a) {
				return true
			}
		}
	}
	return false
}
