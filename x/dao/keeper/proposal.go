package keeper

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// SubmitProposal checks msg against state and params, escrows its deposit and opens the proposal for
// voting until block time + voting_period; it returns the proposal id.
//
// Every message must be a routable sdk.Msg whose only signer is the DAO
// module account, and pass its ValidateBasic. The quorum base is the total
// voting power as of the block before this one, and the quorum, threshold
// and veto threshold are those of the params now: later params changes do not
// move the goalposts of an open proposal. With analysis_model set, an
// analysis job paid by the treasury is opened; its failure does not stop the
// proposal. Every check comes before the first write.
func (k Keeper) SubmitProposal(ctx context.Context, msg *types.MsgSubmitProposal) (uint64, error) {
	proposer, err := k.addrBytes(msg.Proposer)
	if err != nil {
		return 0, err
	}
	treasury := k.TreasuryAddress()
	// The refund of a deposit goes through x/bank, which refuses to send to
	// module accounts: a proposal of the DAO itself could never settle.
	if bytes.Equal(proposer, treasury) {
		return 0, errorsmod.Wrap(types.ErrInvalidProposal, "the DAO module account cannot submit proposals")
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if !msg.Deposit.IsAllGTE(params.MinDeposit) {
		return 0, errorsmod.Wrapf(types.ErrDepositTooLow, "deposit %s, min_deposit %s", msg.Deposit, params.MinDeposit)
	}
	if len(msg.Messages) > int(params.MaxMessages) {
		return 0, errorsmod.Wrapf(types.ErrInvalidProposal, "%d messages above max_messages %d", len(msg.Messages), params.MaxMessages)
	}
	if _, err := k.checkMessages(msg.Messages, treasury); err != nil {
		return 0, err
	}

	// The deposit transfer is the last check: insufficient funds leaves
	// nothing written.
	if !msg.Deposit.IsZero() {
		if err := k.bank.SendCoinsFromAccountToModule(ctx, proposer, types.EscrowAccount, msg.Deposit); err != nil {
			return 0, err
		}
	}
	id, err := k.NextProposalID.Next(ctx)
	if err != nil {
		return 0, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	now := sdkCtx.BlockTime()
	height := sdkCtx.BlockHeight()
	total, err := k.TotalPowerAt(ctx, height)
	if err != nil {
		return 0, err
	}
	votingEnd := now.Add(params.VotingPeriod)
	eta := votingEnd.Add(params.Timelock)
	p := types.Proposal{
		Id:               id,
		Proposer:         msg.Proposer,
		Title:            msg.Title,
		Summary:          msg.Summary,
		Metadata:         msg.Metadata,
		Messages:         msg.Messages,
		Deposit:          msg.Deposit,
		Status:           types.PROPOSAL_STATUS_VOTING,
		SubmitHeight:     height,
		SubmitTime:       now,
		VotingEnd:        votingEnd,
		Eta:              eta,
		Expiry:           eta.Add(params.ExecutionWindow),
		TotalPower:       total,
		Tally:            types.NewTally(),
		QuorumBps:        params.QuorumBps,
		ThresholdBps:     params.ThresholdBps,
		VetoThresholdBps: params.VetoThresholdBps,
	}
	p.Analysis = k.requestAnalysis(ctx, params, p)
	if p.Analysis.Status == types.ANALYSIS_STATUS_PENDING {
		if err := k.AnalysisJobs.Set(ctx, p.Analysis.JobId, id); err != nil {
			return 0, err
		}
	}
	if err := k.Proposals.Set(ctx, id, p); err != nil {
		return 0, err
	}
	if err := k.VotingQueue.Set(ctx, collections.Join(p.VotingEnd, id)); err != nil {
		return 0, err
	}
	return id, kit.Emit(ctx, &types.EventProposalSubmitted{
		ProposalId:    id,
		Proposer:      msg.Proposer,
		VotingEnd:     p.VotingEnd.UTC().Format(time.RFC3339),
		AnalysisJobId: p.Analysis.JobId,
	})
}

// checkMessages unpacks a proposal's messages and checks that each passes
// its ValidateBasic, is signed by signer alone and has a handler.
func (k Keeper) checkMessages(anys []*codectypes.Any, signer sdk.AccAddress) ([]sdk.Msg, error) {
	msgs := make([]sdk.Msg, 0, len(anys))
	for i, a := range anys {
		msg, err := k.unpackMsg(a)
		if err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidProposal, "message %d: %v", i, err)
		}
		url := sdk.MsgTypeURL(msg)
		if m, ok := msg.(sdk.HasValidateBasic); ok {
			if err := m.ValidateBasic(); err != nil {
				return nil, errorsmod.Wrapf(types.ErrInvalidProposal, "message %d (%s): %v", i, url, err)
			}
		}
		signers, _, err := k.cdc.GetMsgV1Signers(msg)
		if err != nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidProposal, "message %d (%s): signers: %v", i, url, err)
		}
		if len(signers) != 1 || !bytes.Equal(signers[0], signer) {
			return nil, errorsmod.Wrapf(types.ErrInvalidProposal, "message %d (%s): its only signer must be the DAO module account %s", i, url, k.addrString(signer))
		}
		if k.router == nil || k.router.Handler(msg) == nil {
			return nil, errorsmod.Wrapf(types.ErrInvalidProposal, "message %d (%s): no handler", i, url)
		}
		msgs = append(msgs, msg)
	}
	return msgs, nil
}

// unpackMsg resolves a proposal message through the interface registry.
func (k Keeper) unpackMsg(a *codectypes.Any) (sdk.Msg, error) {
	if a == nil {
		return nil, errorsmod.Wrap(types.ErrInvalidProposal, "empty message")
	}
	var msg sdk.Msg
	if err := k.cdc.UnpackAny(a, &msg); err != nil {
		return nil, err
	}
	return msg, nil
}

// GetProposal returns proposal id.
func (k Keeper) GetProposal(ctx context.Context, id uint64) (types.Proposal, error) {
	p, err := k.Proposals.Get(ctx, id)
	return p, kit.NotFound(err, types.ErrProposalNotFound, fmt.Sprint(id))
}
