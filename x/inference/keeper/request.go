package keeper

import (
	"bytes"
	"context"
	"encoding/binary"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// RequestInference checks a request against the params and the model,
// escrows max_fee from the requester and stores the job: assigned at once
// (status COMMITTING) when enough eligible workers have a free slot and the
// model has no queue, else QUEUED at the back of the model's FIFO queue
// (assigned by the EndBlocker as slots free). Every check runs before the
// first write: a rejected request (no capable workers, or a full queue:
// ErrNetworkAtCapacity) changes nothing and escrows nothing.
//
// Fees: max_fee must be in the model's price denom, and that denom must be
// umesh or in fee_denoms. The fee charged if the job is finalized is
// price × r, fixed now; the rest of max_fee is refunded when the job ends.
//
// Other modules (x/dao) may call it directly, with a message that passed
// ValidateBasic (the keeper does not repeat it). It emits
// EventInferenceRequested, then one EventJobAssigned per worker or EventJobQueued.
func (k Keeper) RequestInference(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference) (types.Job, error) {
	p, err := k.checkRequest(ctx, requester, msg)
	if err != nil {
		return types.Job{}, err
	}
	if err := k.placeRequest(ctx, &p); err != nil {
		return types.Job{}, err
	}
	// Funds first: if the requester cannot pay, nothing was written.
	if err := k.bank.SendCoinsFromAccountToModule(ctx, requester, types.ModuleName, sdk.NewCoins(msg.MaxFee)); err != nil {
		return types.Job{}, err
	}
	if _, err := k.NextJobID.Next(ctx); err != nil { // returns p.id, as peeked
		return types.Job{}, err
	}
	job := k.newJob(ctx, requester, msg, p)
	if err := k.storeRequest(ctx, requester, job); err != nil {
		return types.Job{}, err
	}
	if p.wait {
		return job, k.joinQueue(ctx, &job, p.queued)
	}
	_, err = k.assign(ctx, p.params, &job, p.cands)
	return job, err
}

// plan is a request that passed every check: its terms and where it goes.
type plan struct {
	params         types.Params
	model          types.Model
	r              uint32   // redundancy
	fee            sdk.Coin // price × r
	deadlineBlocks int64
	id             uint64      // the job's id
	cands          []candidate // eligible workers with a free slot
	queued         uint32      // the model's queue length
	wait           bool        // the job joins the queue instead of being assigned
}

// checkRequest checks msg against the requester, the params, the callback
// registry and the model, and fixes the job's redundancy, fee and deadline.
func (k Keeper) checkRequest(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference) (plan, error) {
	if msg.Requester != k.addrString(requester) {
		return plan{}, errorsmod.Wrapf(types.ErrInvalidAddress, "requester %s does not match %s", msg.Requester, k.addrString(requester))
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return plan{}, err
	}
	if msg.Callback != "" && !k.HasCallback(msg.Callback) {
		return plan{}, errorsmod.Wrap(types.ErrUnknownCallback, msg.Callback)
	}
	if n := len(msg.Input); n > int(params.MaxInputBytes) {
		return plan{}, errorsmod.Wrapf(types.ErrInvalidInput, "inline input of %d bytes above max_input_bytes %d", n, params.MaxInputBytes)
	}
	model, err := k.GetModel(ctx, msg.ModelId)
	if err != nil {
		return plan{}, err
	}
	if model.Status != types.MODEL_STATUS_ACTIVE {
		return plan{}, errorsmod.Wrapf(types.ErrModelNotActive, "%s is %s", model.Id, model.Status)
	}
	if !params.FeeDenomAllowed(msg.MaxFee.Denom) {
		return plan{}, errorsmod.Wrapf(types.ErrFeeDenomNotAllowed, "%s is neither %s nor in fee_denoms", msg.MaxFee.Denom, types.BaseFeeDenom)
	}
	if msg.MaxFee.Denom != model.Price.Denom {
		return plan{}, errorsmod.Wrapf(types.ErrFeeDenomNotAllowed, "model %s is priced in %s, max_fee is in %s", model.Id, model.Price.Denom, msg.MaxFee.Denom)
	}
	r, err := params.Redundancy(msg.Redundancy)
	if err != nil {
		return plan{}, errorsmod.Wrap(types.ErrInvalidRedundancy, err.Error())
	}
	fee := sdk.NewCoin(model.Price.Denom, model.Price.Amount.Mul(math.NewIntFromUint64(uint64(r))))
	if msg.MaxFee.Amount.LT(fee.Amount) {
		return plan{}, errorsmod.Wrapf(types.ErrFeeTooLow, "max_fee %s < price %s × %d = %s", msg.MaxFee, model.Price, r, fee)
	}
	deadlineBlocks, err := params.DeadlineBlocks(msg.DeadlineBlocks)
	if err != nil {
		return plan{}, errorsmod.Wrap(types.ErrInvalidDeadline, err.Error())
	}
	return plan{params: params, model: model, r: r, fee: fee, deadlineBlocks: deadlineBlocks}, nil
}

// placeRequest finds the job's id and the model's free eligible workers, and
// decides whether the job is assigned now or queued: it fails when too few
// providers could ever serve it or when it would join a full queue.
func (k Keeper) placeRequest(ctx context.Context, p *plan) error {
	var err error
	if p.id, err = k.NextJobID.Peek(ctx); err != nil {
		return err
	}
	cands, capable, err := k.eligibleWorkers(ctx, p.params, p.model)
	if err != nil {
		return err
	}
	if capable < int(p.r) {
		return errorsmod.Wrapf(types.ErrNotEnoughWorkers,
			"model %s: eligible workers of %d distinct providers, redundancy %d (one seat per provider)", p.model.Id, capable, p.r)
	}
	// Requests wait their turn: while the model has a queue, a new one joins it.
	if p.queued, err = k.queueLength(ctx, p.model.Id); err != nil {
		return err
	}
	p.cands, p.wait = cands, p.queued > 0 || distinctProviders(cands) < int(p.r)
	if p.wait && p.queued >= p.params.MaxQueuedPerModel {
		return errorsmod.Wrapf(types.ErrNetworkAtCapacity,
			"model %s: every eligible worker is busy and %d requests are queued (max_queued_per_model %d); retry later",
			p.model.Id, p.queued, p.params.MaxQueuedPerModel)
	}
	return nil
}

// newJob is the job of a checked, placed and paid request, status QUEUED
// until it is assigned.
func (k Keeper) newJob(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference, p plan) types.Job {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	mode := msg.Mode
	if mode == types.CONSENSUS_MODE_UNSPECIFIED {
		mode = types.CONSENSUS_MODE_EXACT
	}
	zero := sdk.NewCoin(msg.MaxFee.Denom, math.ZeroInt())
	job := types.Job{
		Id:            p.id,
		Requester:     k.addrString(requester),
		ModelId:       p.model.Id,
		Input:         bytes.Clone(msg.Input),
		InputDigest:   bytes.Clone(msg.InputDigest),
		InputUri:      msg.InputUri,
		MaxFee:        msg.MaxFee,
		Redundancy:    p.r,
		Mode:          mode,
		Tolerance:     msg.Tolerance,
		CreatedHeight: h,
		Deadline:      h + p.deadlineBlocks,
		Callback:      msg.Callback,
		Status:        types.JOB_STATUS_QUEUED,
		Refunded:      zero,
		Fee:           p.fee,
		Burned:        zero,
		ProtocolFee:   zero,
	}
	if len(job.Input) > 0 {
		job.InputDigest = types.Digest(job.Input)
	}
	return job
}

// storeRequest indexes a new job by requester, status and deadline and
// emits EventInferenceRequested; joinQueue or assign saves the job itself.
func (k Keeper) storeRequest(ctx context.Context, requester sdk.AccAddress, job types.Job) error {
	if err := k.JobsByRequester.Set(ctx, collections.Join(requester, job.Id)); err != nil {
		return err
	}
	if err := k.JobsByStatus.Set(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
		return err
	}
	if err := k.DeadlineQueue.Set(ctx, collections.Join(job.Deadline, job.Id)); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventInferenceRequested{
		JobId: job.Id, Requester: job.Requester, ModelId: job.ModelId, MaxFee: job.MaxFee.String(), Deadline: job.Deadline,
	})
}

// assign draws job's workers from cands (enough distinct providers, checked
// by the caller), opens its commit phase and saves it: status COMMITTING,
// assigned now. A job assigned late keeps its deadline; its commit phase is
// at most half of what is left, so that reveals get the other half. It
// returns the workers drawn.
func (k Keeper) assign(ctx context.Context, params types.Params, job *types.Job, cands []candidate) ([]sdk.AccAddress, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	seed := k.compute.Seed(ctx, types.SeedPurpose, binary.BigEndian.AppendUint64(nil, job.Id))
	workers := drawWorkers(seed, cands, int(job.Redundancy))
	providerOf := make(map[string]string, len(cands)) // lookups only
	for _, c := range cands {
		providerOf[string(c.addr)] = c.provider
	}
	zero := sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	job.Assignments = job.Assignments[:0]
	for _, w := range workers {
		job.Assignments = append(job.Assignments, types.Assignment{Worker: k.addrString(w), Provider: providerOf[string(w)], Paid: zero})
		if err := k.JobsByWorker.Set(ctx, collections.Join(w, job.Id)); err != nil {
			return nil, err
		}
		if err := k.OpenJobsByWorker.Set(ctx, collections.Join(w, job.Id)); err != nil {
			return nil, err
		}
		if err := k.addOpenJob(ctx, w); err != nil {
			return nil, err
		}
	}
	job.AssignedHeight = h
	job.CommitEnd = h + min(params.CommitBlocks, max((job.Deadline-h)/2, 1))
	if err := k.setStatus(ctx, job, types.JOB_STATUS_COMMITTING); err != nil {
		return nil, err
	}
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return nil, err
	}
	if err := k.CommitQueue.Set(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return nil, err
	}
	for _, a := range job.Assignments {
		if err := kit.Emit(ctx, &types.EventJobAssigned{JobId: job.Id, Worker: a.Worker}); err != nil {
			return nil, err
		}
	}
	return workers, nil
}

// setStatus moves job to status s and keeps the status index in step.
func (k Keeper) setStatus(ctx context.Context, job *types.Job, s types.JobStatus) error {
	if job.Status == s {
		return nil
	}
	if err := k.JobsByStatus.Remove(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
		return err
	}
	job.Status = s
	return k.JobsByStatus.Set(ctx, collections.Join(int32(s), job.Id))
}
