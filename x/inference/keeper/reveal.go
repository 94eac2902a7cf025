package keeper

import (
	"bytes"
	"context"
	"encoding/hex"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// RevealResult records worker's answer: its output inline (at most
// max_output_bytes; its digest is SHA-256 of it) or its output digest and
// URI, and the salt. The commitment is recomputed from the signer's own
// address and must match, so a commitment copied from another worker fails
// here. Only an assigned worker that committed reveals, for itself, once,
// in the reveal phase and at a height at most the deadline. When every
// worker that committed has revealed, the job is settled at once (settled =
// true); a settlement that fails is left to the EndBlocker at the deadline
// and does not fail the reveal.
func (k Keeper) RevealResult(ctx context.Context, worker sdk.AccAddress, msg *types.MsgRevealResult) (job types.Job, settled bool, err error) {
	if err := k.refuseReentry(msg.JobId); err != nil {
		return job, false, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return job, false, err
	}
	if n := len(msg.Output); n > int(params.MaxOutputBytes) {
		return job, false, errorsmod.Wrapf(types.ErrInvalidOutput, "inline output of %d bytes above max_output_bytes %d", n, params.MaxOutputBytes)
	}
	job, err = k.GetJob(ctx, msg.JobId)
	if err != nil {
		return job, false, err
	}
	if !types.IsOpen(job.Status) {
		return job, false, errorsmod.Wrapf(types.ErrJobEnded, "job %d is %s", job.Id, job.Status)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if h > job.Deadline {
		return job, false, errorsmod.Wrapf(types.ErrDeadlinePassed, "job %d: deadline %d, height %d", job.Id, job.Deadline, h)
	}
	a, err := k.assignment(&job, worker)
	if err != nil {
		return job, false, err
	}
	if a.Verifier {
		return k.revealVerdict(ctx, params, worker, msg, job, a)
	}
	if msg.Verdict != nil {
		return job, false, errorsmod.Wrapf(types.ErrInvalidVerdict, "job %d: only a VERIFY job's verifiers reveal verdicts", job.Id)
	}
	verify := job.Mode == types.CONSENSUS_MODE_VERIFY
	if verify && msg.OutputUri != "" {
		return job, false, errorsmod.Wrapf(types.ErrInvalidOutput, "job %d: a VERIFY generator reveals its output inline, for the verifiers to score", job.Id)
	}
	if job.Status == types.JOB_STATUS_VERIFYING {
		return job, false, errorsmod.Wrapf(types.ErrAlreadyRevealed, "job %d, worker %s", job.Id, a.Worker)
	}
	if job.Status == types.JOB_STATUS_COMMITTING && h <= job.CommitEnd {
		return job, false, errorsmod.Wrapf(types.ErrWrongPhase, "job %d: reveals open after height %d or once every worker committed", job.Id, job.CommitEnd)
	}
	if len(a.Commitment) == 0 {
		return job, false, errorsmod.Wrapf(types.ErrNotCommitted, "job %d, worker %s", job.Id, a.Worker)
	}
	if len(a.OutputDigest) != 0 {
		return job, false, errorsmod.Wrapf(types.ErrAlreadyRevealed, "job %d, worker %s", job.Id, a.Worker)
	}
	digest := msg.RevealedDigest()
	if !bytes.Equal(types.Commitment(job.Id, worker, digest, msg.Salt), a.Commitment) {
		return job, false, errorsmod.Wrapf(types.ErrCommitmentMismatch, "job %d, worker %s", job.Id, a.Worker)
	}

	if job.Status == types.JOB_STATUS_COMMITTING {
		// The commit phase is over but the EndBlocker has not closed it yet
		// (its batch was full): close it now.
		if err := k.openReveals(ctx, &job); err != nil {
			return job, false, err
		}
	}
	a.OutputDigest, a.Output, a.OutputUri, a.RevealHeight = bytes.Clone(digest), bytes.Clone(msg.Output), msg.OutputUri, h
	if err := k.Jobs.Set(ctx, job.Id, job); err != nil {
		return job, false, err
	}
	if err := kit.Emit(ctx, &types.EventResultRevealed{JobId: job.Id, Worker: a.Worker, OutputDigest: hex.EncodeToString(digest)}); err != nil {
		return job, false, err
	}
	if verify {
		return job, false, k.startVerification(ctx, &job)
	}
	if countRevealed(job) < countCommitted(job) {
		return job, false, k.graceAfterQuorum(ctx, params, &job)
	}
	ended, settled := k.settleLastReveal(ctx, params, job)
	return ended, settled, nil
}

// settleLastReveal settles job after the reveal that completed it and runs
// its callback; a settlement that fails is rolled back, reported and left
// to the EndBlocker at the deadline (settled false, job as it was).
// Settlement is bounded (≤ max_redundancy payouts) and block work, like
// the EndBlocker's: it is not charged to whichever worker happens to
// reveal last, whose gas estimate cannot foresee being last.
func (k Keeper) settleLastReveal(ctx context.Context, params types.Params, job types.Job) (types.Job, bool) {
	ended := job
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
		ended, err = k.settle(cc.WithGasMeter(storetypes.NewInfiniteGasMeter()), params, job, false)
		return err
	})
	if err != nil {
		k.settlementFailed(ctx, job.Id, err)
		return job, false
	}
	k.runCallback(ctx, ended)
	return ended, true
}

// graceAfterQuorum brings a job's deadline forward to reveal_grace_blocks
// after the reveal that completes a quorum (⌈2r/3⌉ reveals) while some
// committed workers have not revealed (issue 17 M2): a committed-but-silent
// worker no longer holds the job, and the honest workers' slots, until the
// requested deadline. The EndBlocker settles it then with the reveals it has
// (the silent workers penalised as at any deadline); later reveals are
// refused as after any deadline. A deadline already sooner is kept.
func (k Keeper) graceAfterQuorum(ctx context.Context, params types.Params, job *types.Job) error {
	if countRevealed(*job) != int(types.Quorum(job.Redundancy)) {
		return nil // not the reveal that completes the quorum
	}
	// The job is REVEALING (off the commit queue). Its heights keep the
	// order genesis checks, assigned < commit_end < deadline: the deadline
	// is at least assigned + 2 and a commit_end left from a commit phase
	// that closed early comes forward below it.
	at := max(sdk.UnwrapSDKContext(ctx).BlockHeight()+params.RevealGraceBlocks, job.AssignedHeight+2)
	if at >= job.Deadline {
		return nil
	}
	if err := k.DeadlineQueue.Remove(ctx, collections.Join(job.Deadline, job.Id)); err != nil {
		return err
	}
	job.Deadline, job.CommitEnd = at, min(job.CommitEnd, at-1)
	if err := k.DeadlineQueue.Set(ctx, collections.Join(job.Deadline, job.Id)); err != nil {
		return err
	}
	return k.Jobs.Set(ctx, job.Id, *job)
}
