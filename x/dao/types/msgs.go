package types

import (
	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg; the msg server runs them first. Checks that
// need params (denom, minimums, durations, deposit) are done by the keeper.

var (
	_ sdk.Msg = &MsgLock{}
	_ sdk.Msg = &MsgExtendLock{}
	_ sdk.Msg = &MsgUnlock{}
	_ sdk.Msg = &MsgDelegateVotes{}
	_ sdk.Msg = &MsgUndelegateVotes{}
	_ sdk.Msg = &MsgSubmitProposal{}
	_ sdk.Msg = &MsgVote{}
	_ sdk.Msg = &MsgExecuteProposal{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// Validate checks the owner, a positive amount and a positive duration.
func (m *MsgLock) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "owner", m.Owner); err != nil {
		return err
	}
	if !m.Amount.IsValid() || !m.Amount.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidAmount, "lock amount %s", m.Amount)
	}
	if m.Duration <= 0 {
		return errorsmod.Wrapf(ErrInvalidDuration, "duration %s", m.Duration)
	}
	return nil
}

// Validate checks the owner and a positive duration.
func (m *MsgExtendLock) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "owner", m.Owner); err != nil {
		return err
	}
	if m.Duration <= 0 {
		return errorsmod.Wrapf(ErrInvalidDuration, "duration %s", m.Duration)
	}
	return nil
}

// Validate checks the owner.
func (m *MsgUnlock) Validate(ac address.Codec) error { return validateAddress(ac, "owner", m.Owner) }

// Validate checks both addresses and that they differ.
func (m *MsgDelegateVotes) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "delegator", m.Delegator); err != nil {
		return err
	}
	if err := validateAddress(ac, "delegate", m.Delegate); err != nil {
		return err
	}
	if m.Delegator == m.Delegate {
		return errorsmod.Wrap(ErrSelfDelegation, m.Delegator)
	}
	return nil
}

// Validate checks the delegator.
func (m *MsgUndelegateVotes) Validate(ac address.Codec) error {
	return validateAddress(ac, "delegator", m.Delegator)
}

// Validate checks the proposer, the texts, that there is at least one message
// and a valid deposit.
func (m *MsgSubmitProposal) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "proposer", m.Proposer); err != nil {
		return err
	}
	if m.Title == "" || len(m.Title) > MaxTitleLength || !validate.Printable(m.Title, true) {
		return errorsmod.Wrapf(ErrInvalidProposal, "title must be 1 to %d printable characters", MaxTitleLength)
	}
	if m.Summary == "" || len(m.Summary) > MaxSummaryLength {
		return errorsmod.Wrapf(ErrInvalidProposal, "summary must be 1 to %d bytes", MaxSummaryLength)
	}
	if len(m.Metadata) > MaxMetadataLength {
		return errorsmod.Wrapf(ErrInvalidProposal, "metadata above %d bytes", MaxMetadataLength)
	}
	if len(m.Messages) == 0 {
		return errorsmod.Wrap(ErrInvalidProposal, "a proposal needs at least one message")
	}
	for i, a := range m.Messages {
		if a == nil || a.TypeUrl == "" {
			return errorsmod.Wrapf(ErrInvalidProposal, "message %d is empty", i)
		}
	}
	if err := m.Deposit.Validate(); err != nil {
		return errorsmod.Wrapf(ErrInvalidAmount, "deposit: %v", err)
	}
	return nil
}

// Validate checks the voter, the id and the option.
func (m *MsgVote) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "voter", m.Voter); err != nil {
		return err
	}
	if m.ProposalId == 0 {
		return errorsmod.Wrap(ErrProposalNotFound, "proposal id 0")
	}
	if _, ok := VoteOption_name[int32(m.Option)]; !ok || m.Option == VOTE_OPTION_UNSPECIFIED {
		return errorsmod.Wrapf(ErrInvalidVote, "%d", m.Option)
	}
	return nil
}

// Validate checks the executor and the id.
func (m *MsgExecuteProposal) Validate(ac address.Codec) error {
	if err := validateAddress(ac, "executor", m.Executor); err != nil {
		return err
	}
	if m.ProposalId == 0 {
		return errorsmod.Wrap(ErrProposalNotFound, "proposal id 0")
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
