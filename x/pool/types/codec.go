package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers every x/pool Msg and the Msg service.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgCreatePool{},
		&MsgDelegate{},
		&MsgUndelegate{},
		&MsgUnjail{},
		&MsgClaim{},
		&MsgUpdateParams{},
		&MsgEjectProvider{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the Msgs for amino JSON signing (Ledger).
// The names match the amino.name options in tx.proto and params.proto.
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgCreatePool{}, "mesh/x/pool/MsgCreatePool")
	legacy.RegisterAminoMsg(cdc, &MsgDelegate{}, "mesh/x/pool/MsgDelegate")
	legacy.RegisterAminoMsg(cdc, &MsgUndelegate{}, "mesh/x/pool/MsgUndelegate")
	legacy.RegisterAminoMsg(cdc, &MsgUnjail{}, "mesh/x/pool/MsgUnjail")
	legacy.RegisterAminoMsg(cdc, &MsgClaim{}, "mesh/x/pool/MsgClaim")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/pool/MsgUpdateParams")
	legacy.RegisterAminoMsg(cdc, &MsgEjectProvider{}, "mesh/x/pool/MsgEjectProvider")
	cdc.RegisterConcrete(&Params{}, "mesh/x/pool/Params", nil)
}
