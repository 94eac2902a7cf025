package types

import (
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg. baseapp runs them in CheckTx, so a
// malformed message is refused before it reaches a block.
var (
	_ sdk.HasValidateBasic = &MsgRetryAck{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks the sender and the job id.
func (m *MsgRetryAck) ValidateBasic() error {
	if err := validate.AddressField("sender", m.Sender, ErrInvalidAddress); err != nil {
		return err
	}
	if m.JobId == 0 {
		return errorsmod.Wrap(ErrNoPendingAck, "job_id 0")
	}
	return nil
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validate.AddressField("authority", m.Authority, ErrInvalidAddress); err != nil {
		return err
	}
	return m.Params.Validate()
}
