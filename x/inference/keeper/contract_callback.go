package keeper

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Contract callbacks ("sudo"). A CosmWasm contract that requests an
// inference with callback "sudo" and a callback_gas_limit (charged to its
// request transaction up front) is called back, once its job has ended and
// the settlement is written, at its sudo entry point with
//
//	{"inference_result":{"job_id":"12","status":"FINALIZED","output":"<base64>",
//	  "output_digest":"<hex>","model":"m1","fee_spent":{"denom":"umesh","amount":"2000"},
//	  "refunded":{"denom":"umesh","amount":"1000"}}}
//
// Ended jobs wait in CallbackQueue in (ended height, job id) order and are
// dispatched in the EndBlocker, at most max_callbacks_per_block per block,
// each in a cache context with a gas meter of the job's callback_gas_limit.
// An out-of-gas, an error or a panic of the contract discards the call's
// writes and is recorded in EventContractCallback; it never changes the
// settlement, anyone's payout, or the block.

// checkSudoCallback checks a "sudo" request: the requester is a contract
// and the gas limit is within max_callback_gas.
func (k Keeper) checkSudoCallback(ctx context.Context, params types.Params, requester sdk.AccAddress, msg *types.MsgRequestInference) error {
	if msg.Callback != types.SudoCallback {
		if msg.CallbackGasLimit != 0 {
			return errorsmod.Wrapf(types.ErrInvalidCallbackGas, "callback_gas_limit is only for callback %q", types.SudoCallback)
		}
		return nil
	}
	if k.callbacks.contracts == nil || !k.callbacks.contracts.IsContract(ctx, requester) {
		return errorsmod.Wrapf(types.ErrUnknownCallback, "callback %q calls the requester back, and %s is not a contract", types.SudoCallback, k.addrString(requester))
	}
	if msg.CallbackGasLimit == 0 || msg.CallbackGasLimit > params.MaxCallbackGas {
		return errorsmod.Wrapf(types.ErrInvalidCallbackGas, "callback_gas_limit %d not in 1..max_callback_gas %d", msg.CallbackGasLimit, params.MaxCallbackGas)
	}
	return nil
}

// chargeCallbackGas makes the request's transaction pay for its callback.
func chargeCallbackGas(ctx context.Context, msg *types.MsgRequestInference) {
	if msg.Callback == types.SudoCallback && msg.CallbackGasLimit > 0 {
		sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(msg.CallbackGasLimit, "inference: contract callback, paid at the request")
	}
}

// queueContractCallback queues an ended job's contract callback.
func (k Keeper) queueContractCallback(ctx context.Context, job types.Job) {
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		stored, err := k.Jobs.Get(cc, job.Id)
		if err != nil {
			return err
		}
		stored.CallbackPending = true
		if err := k.Jobs.Set(cc, job.Id, stored); err != nil {
			return err
		}
		return k.CallbackQueue.Set(cc, collections.Join(stored.EndedHeight, job.Id))
	})
	if err != nil {
		k.Logger(ctx).Error("inference: queue contract callback", "job", job.Id, "err", err)
	}
}

// DispatchContractCallbacks runs up to max_callbacks_per_block queued
// contract callbacks, oldest first, and returns how many ran.
func (k Keeper) DispatchContractCallbacks(ctx context.Context, params types.Params) (int, error) {
	var due []collections.Pair[int64, uint64]
	err := k.CallbackQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint64]) (bool, error) {
		due = append(due, key)
		return len(due) >= int(params.MaxCallbacksPerBlock), nil
	})
	if err != nil {
		return 0, err
	}
	for _, key := range due {
		if err := k.CallbackQueue.Remove(ctx, key); err != nil {
			return 0, err
		}
		job, err := k.Jobs.Get(ctx, key.K2())
		if err != nil {
			continue // pruned meanwhile: nobody to call back about
		}
		job.CallbackPending = false
		if err := k.Jobs.Set(ctx, job.Id, job); err != nil {
			return 0, err
		}
		k.callContract(ctx, job)
	}
	return len(due), nil
}

// callContract calls job's requester contract back and records the outcome.
func (k Keeper) callContract(ctx context.Context, job types.Job) {
	ev := &types.EventContractCallback{JobId: job.Id, Contract: job.Requester, Status: job.Status.String()}
	err := func() error {
		if k.callbacks.contracts == nil {
			return fmt.Errorf("no contract keeper")
		}
		contract, err := k.addrBytes(job.Requester)
		if err != nil {
			return err
		}
		msg, err := sudoMessage(job)
		if err != nil {
			return err
		}
		k.callbacks.running = job.Id
		defer func() { k.callbacks.running = 0 }()
		return cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
			meter := storetypes.NewGasMeter(job.CallbackGasLimit)
			cc = cc.WithGasMeter(meter)
			defer func() { ev.GasUsed = meter.GasConsumedToLimit() }()
			_, err := k.callbacks.contracts.Sudo(cc, contract, msg)
			return err
		})
	}()
	ev.Success = err == nil
	if err != nil {
		ev.Error = err.Error()
		k.Logger(ctx).Info("inference: contract callback failed", "job", job.Id, "contract", job.Requester, "err", err)
	}
	if err := kit.Emit(ctx, ev); err != nil {
		k.Logger(ctx).Error("emit contract callback", "err", err)
	}
}

// sudoCoin is a coin in CosmWasm's JSON.
type sudoCoin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

// sudoResult is the "inference_result" a contract's sudo receives.
type sudoResult struct {
	JobID        string   `json:"job_id"`
	Status       string   `json:"status"`
	Output       []byte   `json:"output"`
	OutputDigest string   `json:"output_digest"`
	Model        string   `json:"model"`
	FeeSpent     sudoCoin `json:"fee_spent"`
	Refunded     sudoCoin `json:"refunded"`
}

// sudoMessage is the callback's JSON for an ended job. status is FINALIZED,
// FAILED or EXPIRED; fee_spent is max_fee less what was refunded.
func sudoMessage(job types.Job) ([]byte, error) {
	if types.IsOpen(job.Status) || job.Status == types.JOB_STATUS_UNSPECIFIED {
		return nil, errorsmod.Wrapf(types.ErrWrongPhase, "job %d has not ended (%s)", job.Id, job.Status)
	}
	status := strings.TrimPrefix(job.Status.String(), "JOB_STATUS_") // FINALIZED, FAILED, EXPIRED
	refunded := job.Refunded.Amount
	if refunded.IsNil() {
		refunded = math.ZeroInt()
	}
	spent := job.MaxFee.Amount.Sub(refunded)
	return json.Marshal(map[string]sudoResult{"inference_result": {
		JobID:        strconv.FormatUint(job.Id, 10),
		Status:       status,
		Output:       job.Result,
		OutputDigest: hex.EncodeToString(job.ResultDigest),
		Model:        job.ModelId,
		FeeSpent:     sudoCoin{Denom: job.MaxFee.Denom, Amount: spent.String()},
		Refunded:     sudoCoin{Denom: job.MaxFee.Denom, Amount: refunded.String()},
	}})
}

// refuseReentry refuses to act on job jobID while its own contract callback
// runs (the contract may send messages from sudo).
func (k Keeper) refuseReentry(jobID uint64) error {
	if k.callbacks.running != 0 && k.callbacks.running == jobID {
		return errorsmod.Wrapf(types.ErrReentrantCallback, "job %d", jobID)
	}
	return nil
}
