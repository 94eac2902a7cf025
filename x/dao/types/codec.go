package types

import (
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/codec/legacy"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers every x/dao Msg and the Msg service.
func RegisterInterfaces(ir codectypes.InterfaceRegistry) {
	ir.RegisterImplementations((*sdk.Msg)(nil),
		&MsgLock{},
		&MsgExtendLock{},
		&MsgUnlock{},
		&MsgDelegateVotes{},
		&MsgUndelegateVotes{},
		&MsgSubmitProposal{},
		&MsgVote{},
		&MsgExecuteProposal{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(ir, &_Msg_serviceDesc)
}

// RegisterLegacyAminoCodec registers the Msgs for amino JSON signing (Ledger).
func RegisterLegacyAminoCodec(cdc *codec.LegacyAmino) {
	legacy.RegisterAminoMsg(cdc, &MsgLock{}, "mesh/x/dao/MsgLock")
	legacy.RegisterAminoMsg(cdc, &MsgExtendLock{}, "mesh/x/dao/MsgExtendLock")
	legacy.RegisterAminoMsg(cdc, &MsgUnlock{}, "mesh/x/dao/MsgUnlock")
	legacy.RegisterAminoMsg(cdc, &MsgDelegateVotes{}, "mesh/x/dao/MsgDelegateVotes")
	legacy.RegisterAminoMsg(cdc, &MsgUndelegateVotes{}, "mesh/x/dao/MsgUndelegateVotes")
	legacy.RegisterAminoMsg(cdc, &MsgSubmitProposal{}, "mesh/x/dao/MsgSubmitProposal")
	legacy.RegisterAminoMsg(cdc, &MsgVote{}, "mesh/x/dao/MsgVote")
	legacy.RegisterAminoMsg(cdc, &MsgExecuteProposal{}, "mesh/x/dao/MsgExecuteProposal")
	legacy.RegisterAminoMsg(cdc, &MsgUpdateParams{}, "mesh/x/dao/MsgUpdateParams")
	cdc.RegisterConcrete(&Params{}, "mesh/x/dao/Params", nil)
}
