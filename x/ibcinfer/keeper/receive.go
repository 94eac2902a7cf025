package keeper

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// ReceiveFunc runs ICS-20's own receipt of a packet (the rest of the
// transfer stack) and returns its acknowledgement.
type ReceiveFunc func(packet channeltypes.Packet) ibcexported.Acknowledgement

// ReceiveRequest handles an ICS-20 packet whose memo is an inference
// request m. The tokens are received, by ICS-20 itself, on the sender's
// derived account (DeriveAccount) instead of the packet's receiver; then
// the whole amount is that account's max_fee for an x/inference job, with
// this module's job-end callback. On success it returns nil: the
// acknowledgement is asynchronous, written when the job ends (AfterJobEnded).
// Otherwise it returns an error acknowledgement, and ibc-go discards every
// write of the packet (the receipt included), so the source refunds the
// sender in full.
func (k *Keeper) ReceiveRequest(ctx sdk.Context, packet channeltypes.Packet, data transfertypes.FungibleTokenPacketData,
	m *types.InferMemo, receive ReceiveFunc,
) ibcexported.Acknowledgement {
	jobID, err := k.receiveRequest(ctx, packet, data, m, receive)
	if err != nil {
		return k.Refuse(ctx, packet, data.Sender, err)
	}
	k.Logger(ctx).Info("inference request received over IBC", "job", jobID, "channel", packet.DestinationChannel, "sequence", packet.Sequence)
	return nil
}

func (k *Keeper) receiveRequest(ctx sdk.Context, packet channeltypes.Packet, data transfertypes.FungibleTokenPacketData,
	m *types.InferMemo, receive ReceiveFunc,
) (uint64, error) {
	if err := data.ValidateBasic(); err != nil {
		return 0, errorsmod.Wrap(types.ErrInvalidPacket, err.Error())
	}
	coin, native, err := ReceivedCoin(packet, data)
	if err != nil {
		return 0, err
	}
	requester := types.DeriveAccount(packet.DestinationChannel, data.Sender)
	requesterStr := k.addrString(requester)

	// ICS-20 receives the tokens on the derived account. The memo is
	// dropped from the inner packet: it has been read, and no module below
	// must act on it again.
	inner := data
	inner.Receiver = requesterStr
	inner.Memo = ""
	bz, err := transfertypes.ModuleCdc.MarshalJSON(&inner)
	if err != nil {
		return 0, errorsmod.Wrap(types.ErrInvalidPacket, err.Error())
	}
	innerPacket := packet
	innerPacket.Data = bz
	if ack := receive(innerPacket); ack == nil || !ack.Success() {
		msg := "asynchronous acknowledgement"
		if ack != nil {
			msg = string(ack.Acknowledgement())
		}
		return 0, errorsmod.Wrap(types.ErrReceiveFailed, msg)
	}

	mode, _ := inferencetypes.ParseModeName(m.Mode) // checked with the memo
	msg := &inferencetypes.MsgRequestInference{
		Requester:         requesterStr,
		ModelId:           m.Model,
		Input:             []byte(m.Input),
		MaxFee:            coin,
		Redundancy:        m.Redundancy,
		Mode:              mode,
		Tolerance:         m.Tolerance,
		DeadlineBlocks:    m.MaxBlocks,
		TrustSingleWorker: m.TrustSingleWorker,
		Callback:          types.JobCallback,
	}
	if err := msg.ValidateBasic(); err != nil {
		return 0, err
	}
	job, err := k.inference.RequestInference(ctx, requester, msg)
	if err != nil {
		return 0, err
	}
	pa := types.PendingAck{
		JobId:          job.Id,
		Packet:         types.NewPacket(packet),
		Sender:         data.Sender,
		Requester:      requesterStr,
		Received:       coin,
		Native:         native,
		ReceivedHeight: ctx.BlockHeight(),
	}
	if err := k.PendingAcks.Set(ctx, job.Id, pa); err != nil {
		return 0, err
	}
	return job.Id, kit.Emit(ctx, &types.EventRequestReceived{
		JobId: job.Id, Channel: packet.DestinationChannel, Sequence: packet.Sequence,
		Sender: data.Sender, Requester: requesterStr, Amount: coin.String(),
	})
}

// Refuse logs and emits why a request packet is refused and returns the
// error acknowledgement, which carries the error's codespace and code
// (acknowledgements carry no free text; the event has it). ibc-go re-emits
// the event with the "ibccallbackerror-" prefix.
func (k *Keeper) Refuse(ctx sdk.Context, packet channeltypes.Packet, sender string, err error) ibcexported.Acknowledgement {
	codespace, code, _ := errorsmod.ABCIInfo(err, false)
	k.Logger(ctx).Info("inference request over IBC refused", "channel", packet.DestinationChannel, "sequence", packet.Sequence, "err", err)
	if emitErr := kit.Emit(ctx, &types.EventRequestRefused{
		Channel: packet.DestinationChannel, Sequence: packet.Sequence, Sender: sender,
		Codespace: codespace, Code: code, Error: err.Error(),
	}); emitErr != nil {
		k.Logger(ctx).Error("emit refusal", "err", emitErr)
	}
	return channeltypes.NewErrorAcknowledgementWithCodespace(err)
}

// ReceivedCoin is the coin ICS-20 credits on meshd for data arriving on
// packet's destination channel, and whether meshd is the token's source (the
// receipt unescrows it) rather than minting a voucher.
func ReceivedCoin(packet channeltypes.Packet, data transfertypes.FungibleTokenPacketData) (sdk.Coin, bool, error) {
	amount, ok := math.NewIntFromString(data.Amount)
	if !ok || !amount.IsPositive() {
		return sdk.Coin{}, false, errorsmod.Wrapf(types.ErrInvalidPacket, "amount %q", data.Amount)
	}
	denom := transfertypes.ExtractDenomFromPath(data.Denom)
	native := denom.HasPrefix(packet.SourcePort, packet.SourceChannel)
	if native {
		denom.Trace = denom.Trace[1:]
	} else {
		denom.Trace = append([]transfertypes.Hop{transfertypes.NewHop(packet.DestinationPort, packet.DestinationChannel)}, denom.Trace...)
	}
	coin := sdk.Coin{Denom: denom.IBCDenom(), Amount: amount}
	if err := coin.Validate(); err != nil {
		return sdk.Coin{}, false, errorsmod.Wrapf(types.ErrUnsupportedToken, "%s: %v", coin, err)
	}
	return coin, native, nil
}
