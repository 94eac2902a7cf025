package types

import (
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg. baseapp runs them in CheckTx, so a
// malformed message is refused before it reaches a block.
var (
	_ sdk.HasValidateBasic = &MsgClaimRewards{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks the claimant and the optional account.
func (m *MsgClaimRewards) ValidateBasic() error {
	if err := validateAddress("claimant", m.Claimant); err != nil {
		return err
	}
	if m.Account != "" {
		return validateAddress("account", m.Account)
	}
	return nil
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

func validateAddress(field, addr string) error {
	return validate.AddressField(field, addr, ErrInvalidAddress)
}
