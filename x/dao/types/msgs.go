package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg; baseapp runs them in CheckTx. Checks that
// need state or params (denom, minimums, durations, deposit) are the keeper's.

var (
	_ sdk.HasValidateBasic = &MsgLock{}
	_ sdk.HasValidateBasic = &MsgExtendLock{}
	_ sdk.HasValidateBasic = &MsgUnlock{}
	_ sdk.HasValidateBasic = &MsgDelegateVotes{}
	_ sdk.HasValidateBasic = &MsgUndelegateVotes{}
	_ sdk.HasValidateBasic = &MsgSubmitProposal{}
	_ sdk.HasValidateBasic = &MsgVote{}
	_ sdk.HasValidateBasic = &MsgExecuteProposal{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks the owner, a positive amount and a positive duration.
func (m *MsgLock) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
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

// ValidateBasic checks the owner and a positive duration.
func (m *MsgExtendLock) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.Duration <= 0 {
		return errorsmod.Wrapf(ErrInvalidDuration, "duration %s", m.Duration)
	}
	return nil
}

// ValidateBasic checks the owner.
func (m *MsgUnlock) ValidateBasic() error { return validateAddress("owner", m.Owner) }

// ValidateBasic checks both addresses and that they differ.
func (m *MsgDelegateVotes) ValidateBasic() error {
	if err := validateAddress("delegator", m.Delegator); err != nil {
		return err
	}
	if err := validateAddress("delegate", m.Delegate); err != nil {
		return err
	}
	if m.Delegator == m.Delegate {
		return errorsmod.Wrap(ErrSelfDelegation, m.Delegator)
	}
	return nil
}

// ValidateBasic checks the delegator.
func (m *MsgUndelegateVotes) ValidateBasic() error {
	return validateAddress("delegator", m.Delegator)
}

// ValidateBasic checks the proposer, the texts, that there is at least one message
// and a valid deposit.
func (m *MsgSubmitProposal) ValidateBasic() error {
	if err := validateAddress("proposer", m.Proposer); err != nil {
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

// ValidateBasic checks the voter, the id and the option.
func (m *MsgVote) ValidateBasic() error {
	if err := validateAddress("voter", m.Voter); err != nil {
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

// ValidateBasic checks the executor and the id.
func (m *MsgExecuteProposal) ValidateBasic() error {
	if err := validateAddress("executor", m.Executor); err != nil {
		return err
	}
	if m.ProposalId == 0 {
		return errorsmod.Wrap(ErrProposalNotFound, "proposal id 0")
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
