package keeper

import (
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// sendRefund sends r.amount from the requester account to r.receiver by
// ICS-20 on r.channel, with the job id in the memo, and records it until its
// acknowledgement or timeout. It runs in its own cache context: a transfer
// that cannot be sent (sends disabled, a closed channel) leaves the coins on
// the requester account, is emitted as EventRefundStranded, and never undoes
// the acknowledgement.
func (k *Keeper) sendRefund(ctx sdk.Context, params types.Params, r types.Refund) {
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		timeout := cc.BlockTime().Add(time.Duration(params.RefundTimeoutSeconds) * time.Second)
		res, err := k.transfer.Transfer(cc, &transfertypes.MsgTransfer{
			SourcePort:       transfertypes.PortID,
			SourceChannel:    r.Channel,
			Token:            r.Amount,
			Sender:           r.Requester,
			Receiver:         r.Receiver,
			TimeoutTimestamp: uint64(timeout.UnixNano()),
			Memo:             types.RefundMemoString(r.JobId),
		})
		if err != nil {
			return err
		}
		r.Sequence = res.Sequence
		if err := k.Refunds.Set(cc, collections.Join(r.Channel, r.Sequence), r); err != nil {
			return err
		}
		return kit.Emit(cc, &types.EventRefundSent{
			JobId: r.JobId, Channel: r.Channel, Sequence: r.Sequence, Receiver: r.Receiver,
			Amount: r.Amount.String(), Attempt: r.Attempt,
		})
	})
	if err != nil {
		k.strand(ctx, r, err.Error())
	}
}

// strand records that a refund's coins stay on the requester account.
func (k *Keeper) strand(ctx sdk.Context, r types.Refund, why string) {
	k.Logger(ctx).Error("inference refund over IBC stranded", "job", r.JobId, "requester", r.Requester, "amount", r.Amount, "err", why)
	if err := kit.Emit(ctx, &types.EventRefundStranded{
		JobId: r.JobId, Requester: r.Requester, Amount: r.Amount.String(), Error: why,
	}); err != nil {
		k.Logger(ctx).Error("emit stranded refund", "err", err)
	}
}

// RefundSettled is called by the middleware after ICS-20 handled the
// acknowledgement (ok reports a success) or the timeout of a packet meshd
// sent on channel. For one of this module's refunds, a success ends it;
// otherwise ICS-20 has put the coins back on the requester account, and the
// refund is sent again until max_refund_attempts. Other packets are ignored.
func (k *Keeper) RefundSettled(ctx sdk.Context, packet channeltypes.Packet, ok bool) {
	key := collections.Join(packet.SourceChannel, packet.Sequence)
	r, err := k.Refunds.Get(ctx, key)
	if err != nil {
		return // not a refund of ours
	}
	if err := k.Refunds.Remove(ctx, key); err != nil {
		k.Logger(ctx).Error("remove refund", "err", err)
		return
	}
	if ok {
		return
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		k.strand(ctx, r, err.Error())
		return
	}
	if r.Attempt >= params.MaxRefundAttempts {
		k.strand(ctx, r, "refund was not delivered after max_refund_attempts")
		return
	}
	r.Attempt++
	r.Sequence = 0
	k.sendRefund(ctx, params, r)
}
