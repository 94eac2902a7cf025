package keeper

import (
	"context"
	"fmt"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// InitGenesis loads a validated genesis state and rebuilds every index and
// queue from the jobs: requester and worker indexes, the open-job queue of
// each worker, the status index, the commit and deadline queues of open
// jobs and the prune queue of ended ones (ended_height + job_retention_blocks).
//
// The escrow of the open jobs must be in the module account: x/bank's
// genesis, which runs first (app/modules.go), must give the "inference"
// account exactly Σ max_fee of the open jobs, per denom (checkEscrow; issue
// 17, genesis cross-check). Nothing is sent or minted.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.checkEscrow(ctx, gs.Jobs); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, m := range gs.Models {
		if err := k.Models.Set(ctx, m.Id, m); err != nil {
			return err
		}
	}
	for _, j := range gs.Jobs {
		if err := k.importJob(ctx, gs.Params, j); err != nil {
			return fmt.Errorf("job %d: %w", j.Id, err)
		}
	}
	for _, s := range gs.WorkerStats {
		addr, err := k.addrBytes(s.Worker)
		if err != nil {
			return fmt.Errorf("worker stats %s: %w", s.Worker, err)
		}
		if err := k.WorkerStats.Set(ctx, addr, s); err != nil {
			return err
		}
	}
	return k.NextJobID.Set(ctx, gs.NextJobId)
}

// escrowBank is the part of x/bank that checkEscrow reads (the app's and
// the tests' bank keepers have it; types.BankKeeper, which moves funds, does
// not declare it).
type escrowBank interface {
	GetAllBalances(ctx context.Context, addr sdk.AccAddress) sdk.Coins
}

// checkEscrow refuses a genesis whose "inference" module account does not
// hold exactly the escrow of its open jobs: Σ max_fee over the QUEUED,
// COMMITTING and REVEALING jobs, per denom. That is the keeper's promise at
// every block (keeper.go; CheckInvariants): a request escrows max_fee into
// the account, and the job's end pays, burns and refunds all of it, a
// refund x/bank refuses going to the treasury. Nothing else reaches the
// account: it is a blocked address for bank sends (app.BlockedAddresses),
// the callback gas of a contract's "sudo" request is gas charged to its
// transaction, not coins, and x/ibcinfer's funds are in the derived
// requester accounts and the transfer escrow until its jobs escrow them
// here as any requester's. An export of any state the chain reaches
// therefore passes; a hand-made genesis that funds open jobs short (their
// settlement would fail) or leaves stray coins in the account is refused.
// jobs is walked in its slice order, and the comparison runs over the
// sorted denoms.
func (k Keeper) checkEscrow(ctx context.Context, jobs []types.Job) error {
	escrowed := sdk.NewCoins()
	open := 0
	for _, j := range jobs {
		if types.IsOpen(j.Status) {
			escrowed = escrowed.Add(j.MaxFee)
			open++
		}
	}
	bank, ok := k.bank.(escrowBank)
	if !ok {
		return errorsmod.Wrap(types.ErrInvalidGenesis, "escrow check: the bank keeper cannot read balances")
	}
	account := authtypes.NewModuleAddress(types.ModuleName)
	held := bank.GetAllBalances(ctx, account)
	if held.Equal(escrowed) {
		return nil
	}
	var diffs []string
	for _, denom := range held.Add(escrowed...).Denoms() { // sorted
		if h, e := held.AmountOf(denom), escrowed.AmountOf(denom); !h.Equal(e) {
			diffs = append(diffs, fmt.Sprintf("%s: holds %s, escrow %s", denom, h, e))
		}
	}
	return errorsmod.Wrapf(types.ErrInvalidGenesis,
		"escrow: the %s module account %s must hold exactly the max_fee of the %d open jobs (QUEUED, COMMITTING, REVEALING), %s; x/bank's genesis gives it %s (%s)",
		types.ModuleName, k.addrString(account), open, coinsOrNone(escrowed), coinsOrNone(held), strings.Join(diffs, "; "))
}

// coinsOrNone renders coins, "nothing" for none.
func coinsOrNone(c sdk.Coins) string {
	if c.IsZero() {
		return "nothing"
	}
	return c.String()
}

func (k Keeper) importJob(ctx context.Context, params types.Params, j types.Job) error {
	requester, err := k.addrBytes(j.Requester)
	if err != nil {
		return err
	}
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	if err := k.JobsByRequester.Set(ctx, collections.Join(requester, j.Id)); err != nil {
		return err
	}
	if err := k.JobsByStatus.Set(ctx, collections.Join(int32(j.Status), j.Id)); err != nil {
		return err
	}
	open := types.IsOpen(j.Status)
	if j.CallbackPending && !open {
		if err := k.CallbackQueue.Set(ctx, collections.Join(j.EndedHeight, j.Id)); err != nil {
			return err
		}
	}
	for _, a := range j.Assignments {
		w, err := k.addrBytes(a.Worker)
		if err != nil {
			return err
		}
		if err := k.JobsByWorker.Set(ctx, collections.Join(w, j.Id)); err != nil {
			return err
		}
		if open {
			if err := k.OpenJobsByWorker.Set(ctx, collections.Join(w, j.Id)); err != nil {
				return err
			}
		}
	}
	switch {
	case j.Status == types.JOB_STATUS_QUEUED:
		n, err := k.queueLength(ctx, j.ModelId)
		if err != nil {
			return err
		}
		if err := k.WaitQueue.Set(ctx, collections.Join(j.ModelId, j.Id)); err != nil {
			return err
		}
		if err := k.QueueLength.Set(ctx, j.ModelId, n+1); err != nil {
			return err
		}
		return k.DeadlineQueue.Set(ctx, collections.Join(j.Deadline, j.Id))
	case j.Status == types.JOB_STATUS_VERIFYING && j.VerifiersHeight == 0:
		if err := k.VerifyQueue.Set(ctx, collections.Join(j.VerifyDrawHeight, j.Id)); err != nil {
			return err
		}
		return k.DeadlineQueue.Set(ctx, collections.Join(j.Deadline, j.Id))
	case j.Status == types.JOB_STATUS_VERIFYING && j.VerifiersCommitted() < j.VerifierSeats():
		// Its verifiers' commit phase (closed already or not: closeCommits
		// at or after commit_end tells).
		if err := k.CommitQueue.Set(ctx, collections.Join(j.CommitEnd, j.Id)); err != nil {
			return err
		}
		return k.DeadlineQueue.Set(ctx, collections.Join(j.Deadline, j.Id))
	case j.Status == types.JOB_STATUS_COMMITTING:
		if err := k.CommitQueue.Set(ctx, collections.Join(j.CommitEnd, j.Id)); err != nil {
			return err
		}
		return k.DeadlineQueue.Set(ctx, collections.Join(j.Deadline, j.Id))
	case open:
		return k.DeadlineQueue.Set(ctx, collections.Join(j.Deadline, j.Id))
	case params.JobRetentionBlocks > 0:
		return k.PruneQueue.Set(ctx, collections.Join(j.EndedHeight+params.JobRetentionBlocks, j.Id))
	}
	return nil
}

// ExportGenesis exports the module state: params, models, jobs (open and
// not yet pruned), the next job id and the worker stats. Indexes and queues
// are derived and rebuilt by InitGenesis.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Models.Walk(ctx, nil, func(_ string, m types.Model) (bool, error) {
		gs.Models = append(gs.Models, m)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Jobs.Walk(ctx, nil, func(_ uint64, j types.Job) (bool, error) {
		gs.Jobs = append(gs.Jobs, j)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.WorkerStats.Walk(ctx, nil, func(_ sdk.AccAddress, s types.WorkerStats) (bool, error) {
		gs.WorkerStats = append(gs.WorkerStats, s)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if gs.NextJobId, err = k.NextJobID.Peek(ctx); err != nil {
		return nil, err
	}
	return gs, nil
}
