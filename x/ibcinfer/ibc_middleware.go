package ibcinfer

import (
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	transfertypes "github.com/cosmos/ibc-go/v11/modules/apps/transfer/types"
	clienttypes "github.com/cosmos/ibc-go/v11/modules/core/02-client/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
	porttypes "github.com/cosmos/ibc-go/v11/modules/core/05-port/types"
	ibcexported "github.com/cosmos/ibc-go/v11/modules/core/exported"

	"github.com/llmesh/mesh/x/ibcinfer/keeper"
	"github.com/llmesh/mesh/x/ibcinfer/types"
)

var (
	_ porttypes.Middleware            = (*IBCMiddleware)(nil)
	_ porttypes.PacketDataUnmarshaler = (*IBCMiddleware)(nil)
)

// IBCMiddleware sits on meshd's ICS-20 stack, right above the transfer
// module (app/ibc.go). A received packet whose memo has a top-level "mesh"
// key with an "infer" request becomes an x/inference job and is
// acknowledged when the job ends; every other packet, and every
// acknowledgement and timeout, goes to ICS-20 unchanged. Acknowledgements
// and timeouts of the refunds this module sends are watched, to send a
// refund again when it comes back.
type IBCMiddleware struct {
	app    porttypes.PacketUnmarshalerModule
	ics4   porttypes.ICS4Wrapper
	keeper *keeper.Keeper
}

// NewIBCMiddleware returns the middleware; the stack builder sets the
// application below it and the ICS4Wrapper above it.
func NewIBCMiddleware(k *keeper.Keeper) *IBCMiddleware {
	return &IBCMiddleware{keeper: k}
}

// SetUnderlyingApplication sets the transfer module below. It panics if it
// cannot unmarshal packet data: a wiring bug, found at startup.
func (im *IBCMiddleware) SetUnderlyingApplication(app porttypes.IBCModule) {
	if im.app != nil {
		panic("x/ibcinfer: underlying application already set")
	}
	pd, ok := app.(porttypes.PacketUnmarshalerModule)
	if !ok {
		panic(fmt.Errorf("x/ibcinfer: underlying application %T cannot unmarshal packet data", app))
	}
	im.app = pd
}

// SetICS4Wrapper sets the middleware above (or the channel keeper); the
// keeper writes acknowledgements and sends refunds through it.
func (im *IBCMiddleware) SetICS4Wrapper(w porttypes.ICS4Wrapper) {
	if w == nil {
		panic("x/ibcinfer: nil ICS4Wrapper")
	}
	im.ics4 = w
	im.keeper.SetICS4Wrapper(w)
}

// OnChanOpenInit implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanOpenInit(ctx sdk.Context, order channeltypes.Order, connectionHops []string, portID, channelID string,
	counterparty channeltypes.Counterparty, version string,
) (string, error) {
	return im.app.OnChanOpenInit(ctx, order, connectionHops, portID, channelID, counterparty, version)
}

// OnChanOpenTry implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanOpenTry(ctx sdk.Context, order channeltypes.Order, connectionHops []string, portID, channelID string,
	counterparty channeltypes.Counterparty, counterpartyVersion string,
) (string, error) {
	return im.app.OnChanOpenTry(ctx, order, connectionHops, portID, channelID, counterparty, counterpartyVersion)
}

// OnChanOpenAck implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanOpenAck(ctx sdk.Context, portID, channelID, counterpartyChannelID, counterpartyVersion string) error {
	return im.app.OnChanOpenAck(ctx, portID, channelID, counterpartyChannelID, counterpartyVersion)
}

// OnChanOpenConfirm implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanOpenConfirm(ctx sdk.Context, portID, channelID string) error {
	return im.app.OnChanOpenConfirm(ctx, portID, channelID)
}

// OnChanCloseInit implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanCloseInit(ctx sdk.Context, portID, channelID string) error {
	return im.app.OnChanCloseInit(ctx, portID, channelID)
}

// OnChanCloseConfirm implements porttypes.IBCModule.
func (im *IBCMiddleware) OnChanCloseConfirm(ctx sdk.Context, portID, channelID string) error {
	return im.app.OnChanCloseConfirm(ctx, portID, channelID)
}

// OnRecvPacket creates a job for an inference memo (asynchronous
// acknowledgement, or an error acknowledgement) and passes every other
// packet to ICS-20.
func (im *IBCMiddleware) OnRecvPacket(ctx sdk.Context, channelVersion string, packet channeltypes.Packet, relayer sdk.AccAddress) ibcexported.Acknowledgement {
	var data transfertypes.FungibleTokenPacketData
	if err := transfertypes.ModuleCdc.UnmarshalJSON(packet.GetData(), &data); err != nil {
		return im.app.OnRecvPacket(ctx, channelVersion, packet, relayer)
	}
	params, err := im.keeper.Params.Get(ctx)
	if err != nil {
		return im.keeper.Refuse(ctx, packet, data.Sender, err)
	}
	m, ours, err := types.ParseMemo(data.Memo, params.MaxMemoBytes)
	if !ours {
		return im.app.OnRecvPacket(ctx, channelVersion, packet, relayer)
	}
	if err != nil {
		return im.keeper.Refuse(ctx, packet, data.Sender, err)
	}
	return im.keeper.ReceiveRequest(ctx, packet, data, m, func(inner channeltypes.Packet) ibcexported.Acknowledgement {
		return im.app.OnRecvPacket(ctx, channelVersion, inner, relayer)
	})
}

// OnAcknowledgementPacket lets ICS-20 handle the acknowledgement (refunding
// the sender on an error), then re-sends a refund of ours that failed.
func (im *IBCMiddleware) OnAcknowledgementPacket(ctx sdk.Context, channelVersion string, packet channeltypes.Packet,
	acknowledgement []byte, relayer sdk.AccAddress,
) error {
	if err := im.app.OnAcknowledgementPacket(ctx, channelVersion, packet, acknowledgement, relayer); err != nil {
		return err
	}
	var ack channeltypes.Acknowledgement
	if err := channeltypes.SubModuleCdc.UnmarshalJSON(acknowledgement, &ack); err != nil {
		return nil // ICS-20 accepted it; not one we can read
	}
	im.keeper.RefundSettled(ctx, packet, ack.Success())
	return nil
}

// OnTimeoutPacket lets ICS-20 refund the sender, then re-sends a refund of
// ours that timed out.
func (im *IBCMiddleware) OnTimeoutPacket(ctx sdk.Context, channelVersion string, packet channeltypes.Packet, relayer sdk.AccAddress) error {
	if err := im.app.OnTimeoutPacket(ctx, channelVersion, packet, relayer); err != nil {
		return err
	}
	im.keeper.RefundSettled(ctx, packet, false)
	return nil
}

// SendPacket implements porttypes.ICS4Wrapper.
func (im *IBCMiddleware) SendPacket(ctx sdk.Context, sourcePort, sourceChannel string, timeoutHeight clienttypes.Height,
	timeoutTimestamp uint64, data []byte,
) (uint64, error) {
	return im.ics4.SendPacket(ctx, sourcePort, sourceChannel, timeoutHeight, timeoutTimestamp, data)
}

// WriteAcknowledgement implements porttypes.ICS4Wrapper.
func (im *IBCMiddleware) WriteAcknowledgement(ctx sdk.Context, packet ibcexported.PacketI, ack ibcexported.Acknowledgement) error {
	return im.ics4.WriteAcknowledgement(ctx, packet, ack)
}

// GetAppVersion implements porttypes.ICS4Wrapper.
func (im *IBCMiddleware) GetAppVersion(ctx sdk.Context, portID, channelID string) (string, bool) {
	return im.ics4.GetAppVersion(ctx, portID, channelID)
}

// UnmarshalPacketData implements porttypes.PacketDataUnmarshaler (the
// callbacks middleware above reads packet data through it).
func (im *IBCMiddleware) UnmarshalPacketData(ctx sdk.Context, portID, channelID string, bz []byte) (any, string, error) {
	return im.app.UnmarshalPacketData(ctx, portID, channelID, bz)
}
