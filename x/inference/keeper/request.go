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
)

// RequestInference checks a request against the params and the model,
// draws its workers and, only then, escrows max_fee from the requester and
// stores the job (status COMMITTING). Every check runs before the first
// write: a rejected request changes nothing and escrows nothing.
//
// Fees: max_fee must be in the model's price denom, and that denom must be
// umesh or in fee_denoms. The fee charged if the job is finalized is
// price × r, fixed now; the rest of max_fee is refunded when the job ends.
//
// Other modules (x/dao) may call it directly: it runs the message's
// stateless checks itself and emits EventInferenceRequested and one
// EventJobAssigned per worker.
func (k Keeper) RequestInference(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference) (types.Job, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := msg.Validate(k.addressCodec); err != nil {
		return types.Job{}, err
	}
	if msg.Requester != k.addr(requester) {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidAddress, "requester %s does not match %s", msg.Requester, k.addr(requester))
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Job{}, err
	}
	if msg.Callback != "" && !k.HasCallback(msg.Callback) {
		return types.Job{}, errorsmod.Wrap(types.ErrUnknownCallback, msg.Callback)
	}
	if n := len(msg.Input); n > int(params.MaxInputBytes) {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidInput, "inline input of %d bytes above max_input_bytes %d", n, params.MaxInputBytes)
	}
	model, err := k.GetModel(ctx, msg.ModelId)
	if err != nil {
		return types.Job{}, err
	}
	if model.Status != types.MODEL_STATUS_ACTIVE {
		return types.Job{}, errorsmod.Wrapf(types.ErrModelNotActive, "%s is %s", model.Id, model.Status)
	}
	if !params.FeeDenomAllowed(msg.MaxFee.Denom) {
		return types.Job{}, errorsmod.Wrapf(types.ErrFeeDenomNotAllowed, "%s is neither %s nor in fee_denoms", msg.MaxFee.Denom, types.BaseFeeDenom)
	}
	if msg.MaxFee.Denom != model.Price.Denom {
		return types.Job{}, errorsmod.Wrapf(types.ErrFeeDenomNotAllowed, "model %s is priced in %s, max_fee is in %s", model.Id, model.Price.Denom, msg.MaxFee.Denom)
	}
	r, err := params.Redundancy(msg.Redundancy)
	if err != nil {
		return types.Job{}, errorsmod.Wrap(types.ErrInvalidRedundancy, err.Error())
	}
	fee := sdk.NewCoin(model.Price.Denom, model.Price.Amount.Mul(math.NewIntFromUint64(uint64(r))))
	if msg.MaxFee.Amount.LT(fee.Amount) {
		return types.Job{}, errorsmod.Wrapf(types.ErrFeeTooLow, "max_fee %s < price %s × %d = %s", msg.MaxFee, model.Price, r, fee)
	}
	deadlineBlocks, err := params.DeadlineBlocks(msg.DeadlineBlocks)
	if err != nil {
		return types.Job{}, errorsmod.Wrap(types.ErrInvalidDeadline, err.Error())
	}
	mode := msg.Mode
	if mode == types.CONSENSUS_MODE_UNSPECIFIED {
		mode = types.CONSENSUS_MODE_EXACT
	}

	id, err := k.NextJobID.Peek(ctx)
	if err != nil {
		return types.Job{}, err
	}
	cands, err := k.eligibleWorkers(ctx, params, model)
	if err != nil {
		return types.Job{}, err
	}
	if n := distinctProviders(cands); n < int(r) {
		return types.Job{}, errorsmod.Wrapf(types.ErrNotEnoughWorkers,
			"model %s: eligible workers of %d distinct providers, redundancy %d (one seat per provider)", model.Id, n, r)
	}
	workers := drawWorkers(k.compute.Seed(ctx, types.SeedPurpose, binary.BigEndian.AppendUint64(nil, id)), cands, int(r))

	// Funds first: if the requester cannot pay, nothing was written.
	if err := k.bank.SendCoinsFromAccountToModule(ctx, requester, types.ModuleName, sdk.NewCoins(msg.MaxFee)); err != nil {
		return types.Job{}, err
	}
	if _, err := k.NextJobID.Next(ctx); err != nil { // returns id, as peeked
		return types.Job{}, err
	}

	h := sdkCtx.BlockHeight()
	zero := sdk.NewCoin(msg.MaxFee.Denom, math.ZeroInt())
	job := types.Job{
		Id:            id,
		Requester:     k.addr(requester),
		ModelId:       model.Id,
		Input:         bytes.Clone(msg.Input),
		InputDigest:   bytes.Clone(msg.InputDigest),
		InputUri:      msg.InputUri,
		MaxFee:        msg.MaxFee,
		Redundancy:    r,
		Mode:          mode,
		Tolerance:     msg.Tolerance,
		CreatedHeight: h,
		CommitEnd:     h + params.CommitBlocks,
		Deadline:      h + deadlineBlocks,
		Callback:      msg.Callback,
		Status:        types.JOB_STATUS_COMMITTING,
		Refunded:      zero,
		Fee:           fee,
		Burned:        zero,
		ProtocolFee:   zero,
	}
	if len(job.Input) > 0 {
		job.InputDigest = types.Digest(job.Input)
	}
	providerOf := make(map[string]string, len(cands)) // lookups only
	for _, c := range cands {
		providerOf[string(c.addr)] = c.provider
	}
	for _, w := range workers {
		job.Assignments = append(job.Assignments, types.Assignment{Worker: k.addr(w), Provider: providerOf[string(w)], Paid: zero})
		if err := k.JobsByWorker.Set(ctx, collections.Join(w, id)); err != nil {
			return types.Job{}, err
		}
		if err := k.OpenJobsByWorker.Set(ctx, collections.Join(w, id)); err != nil {
			return types.Job{}, err
		}
		if err := k.addOpenJob(ctx, w); err != nil {
			return types.Job{}, err
		}
	}
	if err := k.Jobs.Set(ctx, id, job); err != nil {
		return types.Job{}, err
	}
	if err := k.JobsByRequester.Set(ctx, collections.Join(requester, id)); err != nil {
		return types.Job{}, err
	}
	if err := k.JobsByStatus.Set(ctx, collections.Join(int32(job.Status), id)); err != nil {
		return types.Job{}, err
	}
	if err := k.CommitQueue.Set(ctx, collections.Join(job.CommitEnd, id)); err != nil {
		return types.Job{}, err
	}
	if err := k.DeadlineQueue.Set(ctx, collections.Join(job.Deadline, id)); err != nil {
		return types.Job{}, err
	}
	if err := emit(ctx, &types.EventInferenceRequested{
		JobId: id, Requester: job.Requester, ModelId: job.ModelId, MaxFee: job.MaxFee.String(), Deadline: job.Deadline,
	}); err != nil {
		return types.Job{}, err
	}
	for _, a := range job.Assignments {
		if err := emit(ctx, &types.EventJobAssigned{JobId: id, Worker: a.Worker}); err != nil {
			return types.Job{}, err
		}
	}
	return job, nil
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
