package types

import (
	"bytes"

	clienttypes "github.com/cosmos/ibc-go/v11/modules/core/02-client/types"
	channeltypes "github.com/cosmos/ibc-go/v11/modules/core/04-channel/types"
)

// NewPacket keeps what writing p's acknowledgement later needs.
func NewPacket(p channeltypes.Packet) Packet {
	return Packet{
		SourcePort:            p.SourcePort,
		SourceChannel:         p.SourceChannel,
		DestinationPort:       p.DestinationPort,
		DestinationChannel:    p.DestinationChannel,
		Sequence:              p.Sequence,
		Data:                  bytes.Clone(p.Data),
		TimeoutRevisionNumber: p.TimeoutHeight.RevisionNumber,
		TimeoutRevisionHeight: p.TimeoutHeight.RevisionHeight,
		TimeoutTimestamp:      p.TimeoutTimestamp,
	}
}

// ChannelPacket is the ibc-go packet again.
func (p Packet) ChannelPacket() channeltypes.Packet {
	return channeltypes.Packet{
		Sequence:           p.Sequence,
		SourcePort:         p.SourcePort,
		SourceChannel:      p.SourceChannel,
		DestinationPort:    p.DestinationPort,
		DestinationChannel: p.DestinationChannel,
		Data:               bytes.Clone(p.Data),
		TimeoutHeight:      clienttypes.NewHeight(p.TimeoutRevisionNumber, p.TimeoutRevisionHeight),
		TimeoutTimestamp:   p.TimeoutTimestamp,
	}
}
