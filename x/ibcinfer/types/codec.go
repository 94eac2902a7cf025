package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers every x/ibcinfer Msg and the Msg service.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRetryAck{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the Msgs for amino JSON signing (Ledger).
// The names match the amino.name options in tx.proto and params.proto.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRetryAck{}, "mesh/x/ibcinfer/MsgRetryAck")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/ibcinfer/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "mesh/x/ibcinfer/Params", nil)
}
