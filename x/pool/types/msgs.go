package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg. baseapp runs them in CheckTx, so a
// malformed message is refused before it reaches a block. Checks that need
// params (bond denom, minimums, max commission) are done by the keeper.

var (
	_ sdk.HasValidateBasic = &MsgCreatePool{}
	_ sdk.HasValidateBasic = &MsgDelegate{}
	_ sdk.HasValidateBasic = &MsgUndelegate{}
	_ sdk.HasValidateBasic = &MsgUnjail{}
	_ sdk.HasValidateBasic = &MsgClaim{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
	_ sdk.HasValidateBasic = &MsgEjectProvider{}
)

// ValidateBasic checks the provider address, the self-bond coin and the commission range.
func (m *MsgCreatePool) ValidateBasic() error {
	if err := validateAddress("provider", m.Provider); err != nil {
		return err
	}
	if err := ValidatePositiveCoin(m.SelfBond); err != nil {
		return err
	}
	return ValidateCommissionRate(m.CommissionRate)
}

// ValidateBasic checks both addresses and the amount.
func (m *MsgDelegate) ValidateBasic() error {
	if err := validatePair(m.Delegator, m.Provider); err != nil {
		return err
	}
	return ValidatePositiveCoin(m.Amount)
}

// ValidateBasic checks both addresses and the amount.
func (m *MsgUndelegate) ValidateBasic() error {
	if err := validatePair(m.Delegator, m.Provider); err != nil {
		return err
	}
	return ValidatePositiveCoin(m.Amount)
}

// ValidateBasic checks the provider address.
func (m *MsgUnjail) ValidateBasic() error {
	return validateAddress("provider", m.Provider)
}

// ValidateBasic checks both addresses.
func (m *MsgClaim) ValidateBasic() error {
	return validatePair(m.Delegator, m.Provider)
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}

// ValidateBasic checks both addresses, the fraction and the reason.
func (m *MsgEjectProvider) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := validateAddress("provider", m.Provider); err != nil {
		return err
	}
	if err := ValidateSlashFraction(m.SlashFraction); err != nil {
		return err
	}
	return ValidateEjectionReason(m.Reason)
}

// ValidateSlashFraction accepts a fraction in [0, 1].
func ValidateSlashFraction(f math.LegacyDec) error {
	if f.IsNil() || f.IsNegative() || f.GT(math.LegacyOneDec()) {
		return errorsmod.Wrapf(ErrInvalidSlashFraction, "got %s", f)
	}
	return nil
}

// ValidateEjectionReason accepts 1 to MaxEjectionReasonLength printable
// ASCII characters (spaces allowed).
func ValidateEjectionReason(r string) error {
	if r == "" || len(r) > MaxEjectionReasonLength || !validate.Printable(r, true) {
		return errorsmod.Wrapf(ErrInvalidReason, "reason must be 1 to %d printable ASCII characters, got %d bytes", MaxEjectionReasonLength, len(r))
	}
	return nil
}

// ValidatePositiveCoin rejects nil, zero and negative amounts and bad denoms.
func ValidatePositiveCoin(c sdk.Coin) error {
	if err := sdk.ValidateDenom(c.Denom); err != nil {
		return errorsmod.Wrapf(ErrInvalidDenom, "%q: %s", c.Denom, err)
	}
	if c.Amount.IsNil() || !c.Amount.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidAmount, "amount must be positive, got %s", c.Amount)
	}
	return nil
}

// ValidateCommissionRate accepts a rate in [0, 1]; the keeper also caps it at
// max_commission_rate.
func ValidateCommissionRate(rate math.LegacyDec) error {
	if rate.IsNil() {
		return errorsmod.Wrap(ErrInvalidCommission, "commission rate is required")
	}
	if rate.IsNegative() || rate.GT(math.LegacyOneDec()) {
		return errorsmod.Wrapf(ErrInvalidCommission, "must be in [0, 1], got %s", rate)
	}
	return nil
}

func validateAddress(field, addr string) error {
	return validate.AddressField(field, addr, ErrInvalidAddress)
}

// validatePair checks a delegator and a provider address.
func validatePair(delegator, provider string) error {
	if err := validateAddress("delegator", delegator); err != nil {
		return err
	}
	return validateAddress("provider", provider)
}
