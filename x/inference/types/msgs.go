package types

import (
	"bytes"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Stateless checks of every Msg. baseapp runs ValidateBasic in CheckTx, so a
// malformed message is refused before it reaches a block; a module that
// builds a Msg itself (x/dao) runs it before calling the keeper. Checks that
// need params or state (sizes against the params, model, fee denom, callback
// registry) are done by the keeper.

var (
	_ sdk.HasValidateBasic = &MsgRequestInference{}
	_ sdk.HasValidateBasic = &MsgCommitResult{}
	_ sdk.HasValidateBasic = &MsgRevealResult{}
	_ sdk.HasValidateBasic = &MsgRegisterModel{}
	_ sdk.HasValidateBasic = &MsgUpdateModel{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks the requester, model id, input form, fee, mode, tolerance,
// deadline and callback name.
func (m *MsgRequestInference) ValidateBasic() error {
	if err := validateMsgAddress("requester", m.Requester); err != nil {
		return err
	}
	if err := ValidateModelID(m.ModelId); err != nil {
		return errorsmod.Wrap(ErrInvalidModel, err.Error())
	}
	if err := ValidateInputForm(m.Input, m.InputDigest, m.InputUri); err != nil {
		return err
	}
	if err := m.MaxFee.Validate(); err != nil || !m.MaxFee.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidFee, "max_fee %s must be a valid positive coin", m.MaxFee)
	}
	switch m.Mode {
	case CONSENSUS_MODE_UNSPECIFIED, CONSENSUS_MODE_EXACT, CONSENSUS_MODE_VERIFY:
		if m.Tolerance != 0 {
			return errorsmod.Wrap(ErrInvalidMode, "tolerance is only for MEDIAN mode")
		}
	case CONSENSUS_MODE_MEDIAN:
		if m.Tolerance < 0 {
			return errorsmod.Wrapf(ErrInvalidMode, "tolerance %d must not be negative", m.Tolerance)
		}
	default:
		return errorsmod.Wrapf(ErrInvalidMode, "unknown mode %d", m.Mode)
	}
	if m.DeadlineBlocks < 0 || m.DeadlineBlocks > MaxDeadlineBlocks {
		return errorsmod.Wrapf(ErrInvalidDeadline, "deadline_blocks %d must be in 0..%d", m.DeadlineBlocks, MaxDeadlineBlocks)
	}
	if len(m.Callback) > MaxCallbackLength || !validate.Printable(m.Callback, false) {
		return errorsmod.Wrapf(ErrUnknownCallback, "callback must be at most %d printable characters without spaces", MaxCallbackLength)
	}
	if (m.Callback == SudoCallback) != (m.CallbackGasLimit > 0) {
		return errorsmod.Wrapf(ErrInvalidCallbackGas, "callback_gas_limit %d: positive with callback %q and only then", m.CallbackGasLimit, SudoCallback)
	}
	return nil
}

// ValidateInputForm accepts an inline input (non-empty; its digest, if
// given, must be its SHA-256; no URI) or a 32-byte digest with a URI.
func ValidateInputForm(input, digest []byte, uri string) error {
	if len(input) > 0 {
		if len(input) > MaxInlineBytesBound {
			return errorsmod.Wrapf(ErrInvalidInput, "inline input of %d bytes above %d", len(input), MaxInlineBytesBound)
		}
		if uri != "" {
			return errorsmod.Wrap(ErrInvalidInput, "give an inline input or input_digest + input_uri, not both")
		}
		if len(digest) != 0 && !bytes.Equal(digest, Digest(input)) {
			return errorsmod.Wrap(ErrInvalidInput, "input_digest is not SHA-256 of the input")
		}
		return nil
	}
	if len(digest) != DigestLength || uri == "" {
		return errorsmod.Wrap(ErrInvalidInput, "no inline input: need a 32-byte input_digest and an input_uri")
	}
	if err := ValidateURI(uri); err != nil {
		return errorsmod.Wrapf(ErrInvalidInput, "input_uri: %s", err)
	}
	return nil
}

// ValidateBasic checks the worker and the commitment length.
func (m *MsgCommitResult) ValidateBasic() error {
	if err := validateMsgAddress("worker", m.Worker); err != nil {
		return err
	}
	if len(m.Commitment) != CommitmentLength {
		return errorsmod.Wrapf(ErrInvalidCommitment, "commitment of %d bytes, want %d", len(m.Commitment), CommitmentLength)
	}
	return nil
}

// ValidateBasic checks the worker, the salt and the output form: inline when
// output_uri is empty (any length up to the bound, even empty; output_digest,
// if given, must be its SHA-256), or by URI: no inline bytes, a 32-byte
// output_digest and the output_uri.
func (m *MsgRevealResult) ValidateBasic() error {
	if err := validateMsgAddress("worker", m.Worker); err != nil {
		return err
	}
	if len(m.Salt) < MinSaltLength || len(m.Salt) > MaxSaltLength {
		return errorsmod.Wrapf(ErrInvalidOutput, "salt of %d bytes, want %d..%d", len(m.Salt), MinSaltLength, MaxSaltLength)
	}
	if m.Verdict != nil {
		if len(m.Output) > 0 || len(m.OutputDigest) > 0 || m.OutputUri != "" {
			return errorsmod.Wrap(ErrInvalidVerdict, "a verdict reveal carries no output")
		}
		if err := ValidateVerdict(*m.Verdict); err != nil {
			return errorsmod.Wrap(ErrInvalidVerdict, err.Error())
		}
		return nil
	}
	if m.OutputUri == "" {
		if len(m.Output) > MaxInlineBytesBound {
			return errorsmod.Wrapf(ErrInvalidOutput, "inline output of %d bytes above %d", len(m.Output), MaxInlineBytesBound)
		}
		if len(m.OutputDigest) != 0 && !bytes.Equal(m.OutputDigest, Digest(m.Output)) {
			return errorsmod.Wrap(ErrInvalidOutput, "output_digest is not SHA-256 of the output")
		}
		return nil
	}
	if len(m.Output) > 0 {
		return errorsmod.Wrap(ErrInvalidOutput, "give an inline output or output_digest + output_uri, not both")
	}
	if len(m.OutputDigest) != DigestLength {
		return errorsmod.Wrap(ErrInvalidOutput, "an output by URI needs a 32-byte output_digest")
	}
	if err := ValidateURI(m.OutputUri); err != nil {
		return errorsmod.Wrapf(ErrInvalidOutput, "output_uri: %s", err)
	}
	return nil
}

// RevealedDigest is the output digest a reveal stands for: SHA-256 of the
// inline output, or output_digest for an output by URI.
func (m *MsgRevealResult) RevealedDigest() []byte {
	if m.Verdict != nil {
		return VerdictDigest(*m.Verdict)
	}
	if m.OutputUri == "" {
		return Digest(m.Output)
	}
	return m.OutputDigest
}

// ValidateBasic checks the authority address and the model.
func (m *MsgRegisterModel) ValidateBasic() error { return validateModelMsg(m.Authority, m.Model) }

// ValidateBasic checks the authority address and the model.
func (m *MsgUpdateModel) ValidateBasic() error { return validateModelMsg(m.Authority, m.Model) }

func validateModelMsg(authority string, model Model) error {
	if err := validateMsgAddress("authority", authority); err != nil {
		return err
	}
	if err := ValidateModel(model); err != nil {
		return errorsmod.Wrap(ErrInvalidModel, err.Error())
	}
	return nil
}

// ValidateBasic checks the authority address and the params.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateMsgAddress("authority", m.Authority); err != nil {
		return err
	}
	if err := m.Params.Validate(); err != nil {
		return errorsmod.Wrap(ErrInvalidParams, err.Error())
	}
	return nil
}

func validateMsgAddress(field, addr string) error {
	return validate.AddressField(field, addr, ErrInvalidAddress)
}
