package types

import (
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

var (
	_ sdk.Msg = &MsgClaimRewards{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// Validate checks the claimant and the optional account.
func (m *MsgClaimRewards) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "claimant", m.Claimant); err != nil {
		return err
	}
	if m.Account != "" {
		return validateAddress(ac, "account", m.Account)
	}
	return nil
}

// Validate checks the authority address and the params.
func (m *MsgUpdateParams) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

func validateAddress(ac address.Codec, field, addr string) error {
	if addr == "" {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s is empty", field)
	}
	if _, err := ac.StringToBytes(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return nil
}
