package types

import (
	"crypto/sha256"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg; baseapp runs them in CheckTx. Addresses are
// checked as bech32 of any prefix (the msg server decodes them with the
// chain's codec); bounds held in the params and anything that reads state
// are checked by the keeper.

var _ = []sdk.HasValidateBasic{&MsgAuthorizeWorker{}, &MsgRegisterWorker{}, &MsgUpdateWorker{},
	&MsgDeregisterWorker{}, &MsgUnjailWorker{}, &MsgCommitPoC{}, &MsgRevealPoC{}, &MsgUpdateParams{}}

// ValidateBasic checks both addresses.
func (m *MsgAuthorizeWorker) ValidateBasic() error { return addresses(m.Provider, m.Worker) }

// ValidateBasic checks both addresses and the worker's claims.
func (m *MsgRegisterWorker) ValidateBasic() error {
	if err := addresses(m.Worker, m.Provider); err != nil {
		return err
	}
	return ValidateClaims(m.Spec, m.Models, m.Endpoint)
}

// ValidateBasic checks the address and the worker's claims.
func (m *MsgUpdateWorker) ValidateBasic() error {
	if err := addresses(m.Worker); err != nil {
		return err
	}
	return ValidateClaims(m.Spec, m.Models, m.Endpoint)
}

// ValidateBasic checks both addresses.
func (m *MsgDeregisterWorker) ValidateBasic() error { return addresses(m.Signer, m.Worker) }

// ValidateBasic checks both addresses.
func (m *MsgUnjailWorker) ValidateBasic() error { return addresses(m.Signer, m.Worker) }

// ValidateBasic checks the address and that the root is a SHA-256 digest.
func (m *MsgCommitPoC) ValidateBasic() error {
	if len(m.Root) != sha256.Size {
		return errorsmod.Wrapf(ErrInvalidRoot, "%d bytes, want %d", len(m.Root), sha256.Size)
	}
	return addresses(m.Worker)
}

// ValidateBasic checks the address; the keeper checks the rows against the commitment.
func (m *MsgRevealPoC) ValidateBasic() error { return addresses(m.Worker) }

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := addresses(m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}

// addresses checks each address (the error names the one refused).
func addresses(addrs ...string) error {
	for _, a := range addrs {
		if err := validate.Address(a); err != nil {
			return errorsmod.Wrap(ErrInvalidAddress, err.Error())
		}
	}
	return nil
}
