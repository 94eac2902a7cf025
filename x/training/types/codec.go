package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers every x/training Msg and the Msg service.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgRegisterDataset{}, &MsgContributeItem{}, &MsgAnnotate{}, &MsgCreateTask{}, &MsgJoinTask{},
		&MsgCommitUpdate{}, &MsgRevealUpdate{}, &MsgSubmitAggregate{}, &MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the Msgs for amino JSON signing (Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgRegisterDataset{}, "mesh/x/training/MsgRegisterDataset")
	legacy.RegisterAminoMsg(cdc, &MsgContributeItem{}, "mesh/x/training/MsgContributeItem")
	legacy.RegisterAminoMsg(cdc, &MsgAnnotate{}, "mesh/x/training/MsgAnnotate")
	legacy.RegisterAminoMsg(cdc, &MsgCreateTask{}, "mesh/x/training/MsgCreateTask")
	legacy.RegisterAminoMsg(cdc, &MsgJoinTask{}, "mesh/x/training/MsgJoinTask")
	legacy.RegisterAminoMsg(cdc, &MsgCommitUpdate{}, "mesh/x/training/MsgCommitUpdate")
	legacy.RegisterAminoMsg(cdc, &MsgRevealUpdate{}, "mesh/x/training/MsgRevealUpdate")
	legacy.RegisterAminoMsg(cdc, &MsgSubmitAggregate{}, "mesh/x/training/MsgSubmitAggregate")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/training/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "mesh/x/training/Params", nil)
}
