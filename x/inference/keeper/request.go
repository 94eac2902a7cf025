package keeper

import (
	"bytes"
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// RequestInference checks a request against the params and the model,
// escrows max_fee from the requester and stores the job QUEUED at the back
// of its model's FIFO queue. It never assigns workers: the BeginBlocker of a
// later block does (queue.go), so that the draw's seed and the candidates it
// draws from were fixed after this request was committed (a requester, a
// contract reverting a submessage, or a proposer cannot see the draw and
// retry). Every check runs before the first write: a rejected request (too
// few capable providers: ErrNotEnoughWorkers; a full queue:
// ErrNetworkAtCapacity) changes nothing and escrows nothing.
//
// Fees: max_fee's denom picks one of the model's prices (and must be umesh
// or in fee_denoms). The fee charged if the job is finalized is that price
// × r, fixed now; the rest of max_fee is refunded when the job ends.
//
// Other modules (x/dao) may call it directly, with a message that passed
// ValidateBasic (the keeper does not repeat it). It emits
// EventInferenceRequested, then EventJobQueued.
func (k Keeper) RequestInference(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference) (types.Job, error) {
	p, err := k.checkRequest(ctx, requester, msg)
	if err != nil {
		return types.Job{}, err
	}
	if err := k.placeRequest(ctx, &p); err != nil {
		return types.Job{}, err
	}
	chargeCallbackGas(ctx, msg)
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
	return job, k.joinQueue(ctx, &job, p.queued)
}

// plan is a request that passed every check: its terms and where it goes.
type plan struct {
	params         types.Params
	model          types.Model
	r              uint32   // redundancy
	fee            sdk.Coin // the price in max_fee's denom × r
	deadlineBlocks int64
	id             uint64 // the job's id
	queued         uint32 // the model's queue length before this job
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
	if msg.Callback != "" && msg.Callback != types.SudoCallback && !k.HasCallback(msg.Callback) {
		return plan{}, errorsmod.Wrap(types.ErrUnknownCallback, msg.Callback)
	}
	if err := k.checkSudoCallback(ctx, params, requester, msg); err != nil {
		return plan{}, err
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
	price, ok := model.PriceIn(msg.MaxFee.Denom)
	if !ok {
		return plan{}, errorsmod.Wrapf(types.ErrFeeDenomNotAllowed, "model %s is priced in %s, max_fee is in %s", model.Id, model.Prices, msg.MaxFee.Denom)
	}
	r, err := params.Redundancy(msg.Redundancy, msg.TrustSingleWorker)
	if err != nil {
		return plan{}, errorsmod.Wrap(types.ErrInvalidRedundancy, err.Error())
	}
	fee := sdk.NewCoin(price.Denom, price.Amount.Mul(math.NewIntFromUint64(uint64(r))))
	if msg.MaxFee.Amount.LT(fee.Amount) {
		return plan{}, errorsmod.Wrapf(types.ErrFeeTooLow, "max_fee %s < price %s × %d = %s", msg.MaxFee, price, r, fee)
	}
	if !model.SupportsMode(msg.Mode) {
		return plan{}, errorsmod.Wrapf(types.ErrModeNotSupported, "model %s does not take %s requests", model.Id, msg.Mode)
	}
	var deadlineBlocks int64
	if msg.Mode == types.CONSENSUS_MODE_VERIFY {
		if deadlineBlocks, err = checkVerifyRequest(params, model, r, msg.DeadlineBlocks); err != nil {
			return plan{}, err
		}
	} else if deadlineBlocks, err = params.DeadlineBlocks(msg.DeadlineBlocks); err != nil {
		return plan{}, errorsmod.Wrap(types.ErrInvalidDeadline, err.Error())
	}
	return plan{params: params, model: model, r: r, fee: fee, deadlineBlocks: deadlineBlocks}, nil
}

// placeRequest finds the job's id and refuses the request when too few
// providers could ever serve it, or when the model's queue is full: it holds
// max_queued_per_model jobs already and the free slots would not take the
// queue and this job at the next assignment (busy).
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
	if p.queued, err = k.queueLength(ctx, p.model.Id); err != nil {
		return err
	}
	if busy(cands, p.queued, p.r) && p.queued >= p.params.MaxQueuedPerModel {
		return errorsmod.Wrapf(types.ErrNetworkAtCapacity,
			"model %s: every eligible worker is busy and %d requests are queued (max_queued_per_model %d); retry later",
			p.model.Id, p.queued, p.params.MaxQueuedPerModel)
	}
	return nil
}

// busy reports whether the free slots of cands could not take the queued
// jobs and one more of redundancy r at the next assignment: fewer than r
// providers with a free slot, or fewer free slots in all than r × (queued +
// 1). Every request waits in the queue now, so the queue length alone no
// longer tells a busy network from one that serves everything at the next
// block; max_queued_per_model bounds only the jobs that wait for a busy one.
// It is an estimate, in O(1) reads beyond the candidate scan the request
// pays for anyway: it counts every queued job at redundancy r and ignores
// that slots are shared between models and that a job takes one seat per
// provider.
func busy(cands []candidate, queued, r uint32) bool {
	if distinctProviders(cands) < int(r) {
		return true
	}
	var free uint64
	for _, c := range cands {
		free += uint64(c.free)
	}
	return free < uint64(r)*(uint64(queued)+1)
}

// newJob is the job of a checked, placed and paid request, status QUEUED
// until it is assigned. Its deadline counts deadline_blocks from h + 1, the
// first block that may assign it, so that a job assigned then gets full
// commit and reveal phases (deadline_blocks is at least their sum).
func (k Keeper) newJob(ctx context.Context, requester sdk.AccAddress, msg *types.MsgRequestInference, p plan) types.Job {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	mode := msg.Mode
	if mode == types.CONSENSUS_MODE_UNSPECIFIED {
		mode = types.CONSENSUS_MODE_EXACT
	}
	zero := sdk.NewCoin(msg.MaxFee.Denom, math.ZeroInt())
	job := types.Job{
		Id:               p.id,
		Requester:        k.addrString(requester),
		ModelId:          p.model.Id,
		Input:            bytes.Clone(msg.Input),
		InputDigest:      bytes.Clone(msg.InputDigest),
		InputUri:         msg.InputUri,
		MaxFee:           msg.MaxFee,
		Redundancy:       p.r,
		Mode:             mode,
		Tolerance:        msg.Tolerance,
		CreatedHeight:    h,
		Deadline:         h + 1 + p.deadlineBlocks,
		Callback:         msg.Callback,
		CallbackGasLimit: msg.CallbackGasLimit,
		Status:           types.JOB_STATUS_QUEUED,
		Deterministic:    p.model.Deterministic, // fixed now (issue 17 L3)
		Refunded:         zero,
		Fee:              p.fee,
		Burned:           zero,
		ProtocolFee:      zero,
	}
	if len(job.Input) > 0 {
		job.InputDigest = types.Digest(job.Input)
	}
	if mode == types.CONSENSUS_MODE_VERIFY {
		spec := *p.model.Verify // fixed now, like deterministic
		job.Verify = &spec
	}
	return job
}

// storeRequest indexes a new job by requester, status and deadline and
// emits EventInferenceRequested; joinQueue saves the job itself.
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
