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
		&MsgAuthorizeWorker{},
		&MsgRegisterWorker{},
		&MsgUpdateWorker{},
		&MsgDeregisterWorker{},
		&MsgUnjailWorker{},
		&MsgCommitPoC{},
		&MsgRevealPoC{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the amino names declared in the protos
// (amino JSON signing, e.g. Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgAuthorizeWorker{}, "mesh/x/compute/MsgAuthorizeWorker")
	legacy.RegisterAminoMsg(cdc, &MsgRegisterWorker{}, "mesh/x/compute/MsgRegisterWorker")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateWorker{}, "mesh/x/compute/MsgUpdateWorker")
	legacy.RegisterAminoMsg(cdc, &MsgDeregisterWorker{}, "mesh/x/compute/MsgDeregisterWorker")
	legacy.RegisterAminoMsg(cdc, &MsgUnjailWorker{}, "mesh/x/compute/MsgUnjailWorker")
	legacy.RegisterAminoMsg(cdc, &MsgCommitPoC{}, "mesh/x/compute/MsgCommitPoC")
	legacy.RegisterAminoMsg(cdc, &MsgRevealPoC{}, "mesh/x/compute/MsgRevealPoC")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/compute/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "mesh/x/compute/Params", nil)
}
