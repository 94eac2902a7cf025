package types

import (
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Stateless checks of every Msg. The msg server runs them first, with the
// chain's address codec, so a bad input fails before any state is read.
// Checks that need params (bond denom, minimums, max commission) are done by
// the keeper.

var (
	_ sdk.Msg = &MsgCreatePool{}
	_ sdk.Msg = &MsgDelegate{}
	_ sdk.Msg = &MsgUndelegate{}
	_ sdk.Msg = &MsgUnjail{}
	_ sdk.Msg = &MsgClaim{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// Validate checks the provider address, the self-bond coin and the commission range.
func (m *MsgCreatePool) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "provider", m.Provider); err != nil {
		return err
	}
	if err := ValidatePositiveCoin(m.SelfBond); err != nil {
		return err
	}
	return ValidateCommissionRate(m.CommissionRate)
}

// Validate checks both addresses and the amount.
func (m *MsgDelegate) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "delegator", m.Delegator); err != nil {
		return err
	}
	if err := validateAddress(ac, "provider", m.Provider); err != nil {
		return err
	}
	return ValidatePositiveCoin(m.Amount)
}

// Validate checks both addresses and the amount.
func (m *MsgUndelegate) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "delegator", m.Delegator); err != nil {
		return err
	}
	if err := validateAddress(ac, "provider", m.Provider); err != nil {
		return err
	}
	return ValidatePositiveCoin(m.Amount)
}

// Validate checks the provider address.
func (m *MsgUnjail) Validate(ac address.Codec) error {
	return validateAddress(ac, "provider", m.Provider)
}

// Validate checks both addresses.
func (m *MsgClaim) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "delegator", m.Delegator); err != nil {
		return err
	}
	return validateAddress(ac, "provider", m.Provider)
}

// Validate checks the authority address and the params.
func (m *MsgUpdateParams) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
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

func validateAddress(ac address.Codec, field, addr string) error {
	if addr == "" {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s is empty", field)
	}
	if _, err := ac.StringToBytes(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %s", field, addr, err)
	}
	return nil
}
