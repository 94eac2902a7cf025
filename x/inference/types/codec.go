package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the module's messages with the interface registry.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRequestInference{},
		&MsgCommitResult{},
		&MsgRevealResult{},
		&MsgRegisterModel{},
		&MsgUpdateModel{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the amino names declared in the protos
// (amino JSON signing, e.g. Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRequestInference{}, "mesh/x/inference/MsgRequestInference")
	legacy.RegisterAminoMsg(cdc, &MsgCommitResult{}, "mesh/x/inference/MsgCommitResult")
	legacy.RegisterAminoMsg(cdc, &MsgRevealResult{}, "mesh/x/inference/MsgRevealResult")
	legacy.RegisterAminoMsg(cdc, &MsgRegisterModel{}, "mesh/x/inference/MsgRegisterModel")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateModel{}, "mesh/x/inference/MsgUpdateModel")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/inference/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "mesh/x/inference/Params", nil)
}
