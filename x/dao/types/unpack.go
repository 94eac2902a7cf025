package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Proposals carry messages as Any; these unpack them when a tx, a query
// response or genesis is decoded, so an unregistered message type fails at
// decoding (as in x/gov v1).

var (
	_ codectypes.UnpackInterfacesMessage = &MsgSubmitProposal{}
	_ codectypes.UnpackInterfacesMessage = &Proposal{}
	_ codectypes.UnpackInterfacesMessage = &GenesisState{}
	_ codectypes.UnpackInterfacesMessage = &QueryProposalResponse{}
	_ codectypes.UnpackInterfacesMessage = &QueryProposalsResponse{}
)

func unpackMsgs(u codectypes.AnyUnpacker, msgs []*codectypes.Any) error {
	for _, a := range msgs {
		var msg sdk.Msg
		if err := u.UnpackAny(a, &msg); err != nil {
			return err
		}
	}
	return nil
}

// UnpackInterfaces implements codectypes.UnpackInterfacesMessage.
func (m *MsgSubmitProposal) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	return unpackMsgs(u, m.Messages)
}

// UnpackInterfaces implements codectypes.UnpackInterfacesMessage.
func (p *Proposal) UnpackInterfaces(u codectypes.AnyUnpacker) error { return unpackMsgs(u, p.Messages) }

// UnpackInterfaces implements codectypes.UnpackInterfacesMessage.
func (gs *GenesisState) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	for i := range gs.Proposals {
		if err := gs.Proposals[i].UnpackInterfaces(u); err != nil {
			return err
		}
	}
	return nil
}

// UnpackInterfaces implements codectypes.UnpackInterfacesMessage.
func (r *QueryProposalResponse) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	return r.Proposal.UnpackInterfaces(u)
}

// UnpackInterfaces implements codectypes.UnpackInterfacesMessage.
func (r *QueryProposalsResponse) UnpackInterfaces(u codectypes.AnyUnpacker) error {
	for i := range r.Proposals {
		if err := r.Proposals[i].UnpackInterfaces(u); err != nil {
			return err
		}
	}
	return nil
}
