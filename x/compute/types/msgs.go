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

var (
	_ sdk.HasValidateBasic = &MsgAuthorizeWorker{}
	_ sdk.HasValidateBasic = &MsgRegisterWorker{}
	_ sdk.HasValidateBasic = &MsgUpdateWorker{}
	_ sdk.HasValidateBasic = &MsgDeregisterWorker{}
	_ sdk.HasValidateBasic = &MsgUnjailWorker{}
	_ sdk.HasValidateBasic = &MsgCommitPoC{}
	_ sdk.HasValidateBasic = &MsgRevealPoC{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks both addresses.
func (m *MsgAuthorizeWorker) ValidateBasic() error {
	return addresses("provider", m.Provider, "worker", m.Worker)
}

// ValidateBasic checks both addresses and the worker's claims.
func (m *MsgRegisterWorker) ValidateBasic() error {
	if err := addresses("worker", m.Worker, "provider", m.Provider); err != nil {
		return err
	}
	return ValidateClaims(m.Spec, m.Models, m.Endpoint)
}

// ValidateBasic checks the address and the worker's claims.
func (m *MsgUpdateWorker) ValidateBasic() error {
	if err := addresses("worker", m.Worker); err != nil {
		return err
	}
	return ValidateClaims(m.Spec, m.Models, m.Endpoint)
}

// ValidateBasic checks both addresses.
func (m *MsgDeregisterWorker) ValidateBasic() error {
	return addresses("signer", m.Signer, "worker", m.Worker)
}

// ValidateBasic checks both addresses.
func (m *MsgUnjailWorker) ValidateBasic() error {
	return addresses("signer", m.Signer, "worker", m.Worker)
}

// ValidateBasic checks the address and that the root is a SHA-256 digest.
func (m *MsgCommitPoC) ValidateBasic() error {
	if len(m.Root) != sha256.Size {
		return errorsmod.Wrapf(ErrInvalidRoot, "%d bytes, want %d", len(m.Root), sha256.Size)
	}
	return addresses("worker", m.Worker)
}

// ValidateBasic checks the address; the rows are checked against the
// commitment by the keeper.
func (m *MsgRevealPoC) ValidateBasic() error {
	return addresses("worker", m.Worker)
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := addresses("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}

// addresses checks (field name, address) pairs.
func addresses(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := validate.Address(pairs[i+1]); err != nil {
			return errorsmod.Wrapf(ErrInvalidAddress, "%s: %v", pairs[i], err)
		}
	}
	return nil
}
