package keeper

import (
	"bytes"
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// CommitResult records worker's commitment for a job:
// SHA-256(be64(job id) ‖ worker address bytes ‖ output digest ‖ salt)
// (types.Commitment). Only an assigned worker commits, for itself (it signs
// the message), once, while the job is COMMITTING and the height is at most
// commit_end. The last assigned worker to commit opens the reveal phase at
// once; otherwise the EndBlocker of commit_end does.
func (k Keeper) CommitResult(ctx context.Context, worker sdk.AccAddress, jobID uint64, commitment []byte) (types.Job, error) {
	if err := k.refuseReentry(jobID); err != nil {
		return types.Job{}, err
	}
	job, err := k.GetJob(ctx, jobID)
	if err != nil {
		return job, err
	}
	if !types.IsOpen(job.Status) {
		return job, errorsmod.Wrapf(types.ErrJobEnded, "job %d is %s", jobID, job.Status)
	}
	a, err := k.assignment(&job, worker)
	if err != nil {
		return job, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	// A VERIFY job's verifiers commit while it is VERIFYING (verify.go).
	phase := types.JOB_STATUS_COMMITTING
	if a.Verifier {
		phase = types.JOB_STATUS_VERIFYING
	}
	if len(a.Commitment) != 0 {
		return job, errorsmod.Wrapf(types.ErrAlreadyCommitted, "job %d, worker %s", jobID, a.Worker)
	}
	if job.Status != phase || h > job.CommitEnd {
		return job, errorsmod.Wrapf(types.ErrCommitPhaseOver, "job %d: commits closed at height %d", jobID, job.CommitEnd)
	}
	committed := countCommitted(job)
	a.Commitment, a.CommitHeight, a.CommitOrder = bytes.Clone(commitment), h, uint32(committed)+1
	if a.Verifier {
		if job.VerifiersCommitted() == job.VerifierSeats() {
			// Every verifier committed: verdict reveals open now.
			if err := k.CommitQueue.Remove(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
				return job, err
			}
		}
	} else if committed+1 == len(job.Assignments) {
		if err := k.openReveals(ctx, &job); err != nil {
			return job, err
		}
	}
	if err := k.Jobs.Set(ctx, jobID, job); err != nil {
		return job, err
	}
	return job, kit.Emit(ctx, &types.EventResultCommitted{JobId: jobID, Worker: a.Worker})
}

// openReveals moves a COMMITTING job (not saved) to REVEALING and takes it
// off the commit queue.
func (k Keeper) openReveals(ctx context.Context, job *types.Job) error {
	if err := k.CommitQueue.Remove(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return err
	}
	return k.setStatus(ctx, job, types.JOB_STATUS_REVEALING)
}

// assignment returns worker's assignment in job, or ErrNotAssigned.
func (k Keeper) assignment(job *types.Job, worker sdk.AccAddress) (*types.Assignment, error) {
	bech := k.addrString(worker)
	for i := range job.Assignments {
		if job.Assignments[i].Worker == bech {
			return &job.Assignments[i], nil
		}
	}
	return nil, errorsmod.Wrapf(types.ErrNotAssigned, "%s in job %d", bech, job.Id)
}

// countCommitted counts the assignments with a commitment.
func countCommitted(job types.Job) int {
	return countSet(job, func(a types.Assignment) []byte { return a.Commitment })
}

// countRevealed counts the assignments with a reveal.
func countRevealed(job types.Job) int {
	return countSet(job, func(a types.Assignment) []byte { return a.OutputDigest })
}

// countSet counts the assignments whose field is set.
func countSet(job types.Job, field func(types.Assignment) []byte) int {
	n := 0
	for _, a := range job.Assignments {
		if len(field(a)) != 0 {
			n++
		}
	}
	return n
}
