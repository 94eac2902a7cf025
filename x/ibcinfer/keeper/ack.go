package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

var _ inferencetypes.JobHooks = (*Keeper)(nil)

// AfterJobEnded is the job-end callback types.JobCallback: it writes the
// acknowledgement of the packet that created the job. x/inference calls it
// once the job's settlement (and its refund to the requester account) is
// written, in a cache context with a bounded gas meter; an error discards
// its writes, the acknowledgement stays pending, and MsgRetryAck can write it
// later. A job naming the callback without a pending acknowledgement (a local
// request that named "ibc") is left alone.
func (k *Keeper) AfterJobEnded(ctx context.Context, job inferencetypes.Job) error {
	pa, err := k.PendingAcks.Get(ctx, job.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return k.writeAck(sdk.UnwrapSDKContext(ctx), pa, job)
}

// writeAck writes the acknowledgement of an ended job's packet.
//
// FINALIZED: a success acknowledgement carrying the result (AckResult), and
// the unspent fee, already refunded to the requester account, goes back to
// the sender by an ICS-20 transfer on the same channel.
//
// FAILED or EXPIRED: the receipt is reversed — the voucher ICS-20 minted is
// burned, or a native token it unescrowed goes back to escrow — and an error
// acknowledgement is written, so the source chain refunds the sender in full.
func (k *Keeper) writeAck(ctx sdk.Context, pa types.PendingAck, job inferencetypes.Job) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	var (
		ack     channeltypes.Acknowledgement
		failure error
	)
	switch job.Status {
	case inferencetypes.JOB_STATUS_FINALIZED:
		bz, err := types.NewAckResult(job, params.MaxAckOutputBytes).Bytes()
		if err != nil {
			return err
		}
		ack = channeltypes.NewResultAcknowledgement(bz)
	case inferencetypes.JOB_STATUS_FAILED:
		failure = errorsmod.Wrapf(types.ErrJobFailed, "job %d", job.Id)
	case inferencetypes.JOB_STATUS_EXPIRED:
		failure = errorsmod.Wrapf(types.ErrJobExpired, "job %d", job.Id)
	default:
		return errorsmod.Wrapf(types.ErrJobNotEnded, "job %d is %s", job.Id, job.Status)
	}
	if failure != nil {
		if err := k.reverseReceipt(ctx, pa); err != nil {
			return err
		}
		ack = channeltypes.NewErrorAcknowledgementWithCodespace(failure)
	}
	if k.ics4 == nil {
		return errorsmod.Wrap(types.ErrNoPendingAck, "x/ibcinfer is not on an IBC stack")
	}
	if err := k.ics4.WriteAcknowledgement(ctx, pa.Packet.ChannelPacket(), ack); err != nil {
		return err
	}
	if err := k.PendingAcks.Remove(ctx, job.Id); err != nil {
		return err
	}
	errText := ""
	if failure != nil {
		errText = failure.Error()
	}
	if err := kit.Emit(ctx, &types.EventAckWritten{
		JobId: job.Id, Channel: pa.Packet.DestinationChannel, Sequence: pa.Packet.Sequence,
		Success: failure == nil, Status: job.Status.String(), Error: errText,
	}); err != nil {
		return err
	}
	if failure == nil && job.Refunded.IsPositive() {
		k.sendRefund(ctx, params, types.Refund{
			JobId: job.Id, Channel: pa.Packet.DestinationChannel, Requester: pa.Requester,
			Receiver: pa.Sender, Amount: job.Refunded, Attempt: 1,
		})
	}
	return nil
}

// reverseReceipt undoes ICS-20's receipt of pa's packet, from the requester
// account that x/inference refunded the whole max_fee to: a native token
// goes back to the channel's escrow (and the total escrow grows again); a
// voucher is burned. The error acknowledgement then makes the source refund
// its sender, exactly as if meshd had refused the packet.
func (k *Keeper) reverseReceipt(ctx sdk.Context, pa types.PendingAck) error {
	requester, err := k.addrBytes(pa.Requester)
	if err != nil {
		return err
	}
	coins := sdk.NewCoins(pa.Received)
	if pa.Native {
		escrow := transfertypes.GetEscrowAddress(pa.Packet.DestinationPort, pa.Packet.DestinationChannel)
		if err := k.bank.SendCoins(ctx, requester, escrow, coins); err != nil {
			return errorsmod.Wrap(types.ErrReversalFailed, err.Error())
		}
		total := k.transfer.GetTotalEscrowForDenom(ctx, pa.Received.Denom)
		k.transfer.SetTotalEscrowForDenom(ctx, total.Add(pa.Received))
		return nil
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, requester, transfertypes.ModuleName, coins); err != nil {
		return errorsmod.Wrap(types.ErrReversalFailed, err.Error())
	}
	if err := k.bank.BurnCoins(ctx, transfertypes.ModuleName, coins); err != nil {
		return errorsmod.Wrap(types.ErrReversalFailed, err.Error())
	}
	return nil
}

// RetryAck is MsgRetryAck: it writes the pending acknowledgement of a job
// that has ended (its job-end callback failed, e.g. out of gas).
func (k *Keeper) RetryAck(ctx sdk.Context, jobID uint64) error {
	pa, err := k.PendingAcks.Get(ctx, jobID)
	if err != nil {
		return kit.NotFound(err, types.ErrNoPendingAck, "job")
	}
	job, err := k.inference.GetJob(ctx, jobID)
	if err != nil {
		return err
	}
	if inferencetypes.IsOpen(job.Status) {
		return errorsmod.Wrapf(types.ErrJobNotEnded, "job %d is %s", jobID, job.Status)
	}
	return k.writeAck(ctx, pa, job)
}
