package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// setStatus moves p to status and saves it: it leaves the voting queue when
// voting ends and the execution queue when a passed proposal ends; a PASSED
// proposal enters the execution queue under its expiry; a final status
// settles the deposit — burned when VETOED, refunded to the proposer
// otherwise. It emits EventProposalStatus.
func (k Keeper) setStatus(ctx context.Context, p *types.Proposal, status types.ProposalStatus, result string) error {
	prev := p.Status
	if prev == types.PROPOSAL_STATUS_VOTING && status != types.PROPOSAL_STATUS_VOTING {
		if err := k.VotingQueue.Remove(ctx, collections.Join(p.VotingEnd, p.Id)); err != nil {
			return err
		}
	}
	if prev == types.PROPOSAL_STATUS_PASSED && status != types.PROPOSAL_STATUS_PASSED {
		if err := k.ExecutionQueue.Remove(ctx, collections.Join(p.Expiry, p.Id)); err != nil {
			return err
		}
	}
	if status == types.PROPOSAL_STATUS_PASSED && prev != types.PROPOSAL_STATUS_PASSED {
		if err := k.ExecutionQueue.Set(ctx, collections.Join(p.Expiry, p.Id)); err != nil {
			return err
		}
	}
	if status.IsFinal() && !prev.IsFinal() && !p.Deposit.IsZero() {
		if status == types.PROPOSAL_STATUS_VETOED {
			if err := k.bank.BurnCoins(ctx, types.EscrowAccount, p.Deposit); err != nil {
				return err
			}
		} else {
			proposer, err := k.addrBytes(p.Proposer)
			if err != nil {
				return err
			}
			if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.EscrowAccount, proposer, p.Deposit); err != nil {
				return err
			}
		}
	}
	p.Status, p.Result = status, result
	if err := k.Proposals.Set(ctx, p.Id, *p); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventProposalStatus{ProposalId: p.Id, Status: status, Result: result})
}
