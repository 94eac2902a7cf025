package types

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"slices"

	"cosmossdk.io/core/address"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Bounds of tasks, updates and aggregates.
const (
	// MaxTaskDatasets bounds MsgCreateTask.dataset_ids.
	MaxTaskDatasets = 16
	// MaxHyperparamsLength bounds a task's hyperparams JSON.
	MaxHyperparamsLength = 1024
	// MaxUpdateURILength bounds the URI of an update or a checkpoint.
	MaxUpdateURILength = 512
	// UpdateDigestLength is the length of an update's or a checkpoint's SHA-256 digest.
	UpdateDigestLength = sha256.Size
	// UpdateCommitmentLength is the length of an update commitment (SHA-256).
	UpdateCommitmentLength = sha256.Size
	// MinUpdateSaltLength and MaxUpdateSaltLength bound a commitment's salt.
	MinUpdateSaltLength = 16
	MaxUpdateSaltLength = 64
)

var (
	_ sdk.Msg = &MsgCreateTask{}
	_ sdk.Msg = &MsgJoinTask{}
	_ sdk.Msg = &MsgCommitUpdate{}
	_ sdk.Msg = &MsgRevealUpdate{}
	_ sdk.Msg = &MsgSubmitAggregate{}
)

// UpdateCommitment is what a participant commits for its update:
//
//	SHA-256(be64(task id) ‖ be32(round) ‖ worker address bytes ‖ digest ‖
//	        be64(samples) ‖ be64(loss) ‖ salt)
//
// It binds the worker's own address, so a commitment copied from another
// participant cannot be revealed by the copier.
func UpdateCommitment(taskID uint64, round uint32, worker sdk.AccAddress, digest []byte, samples, loss uint64, salt []byte) []byte {
	h := sha256.New()
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], taskID)
	h.Write(buf[:])
	binary.BigEndian.PutUint32(buf[:4], round)
	h.Write(buf[:4])
	h.Write(worker)
	h.Write(digest)
	binary.BigEndian.PutUint64(buf[:], samples)
	h.Write(buf[:])
	binary.BigEndian.PutUint64(buf[:], loss)
	h.Write(buf[:])
	h.Write(salt)
	return h.Sum(nil)
}

// Validate checks the creator, the base model id, the datasets (1 to
// MaxTaskDatasets distinct positive ids), the round shape (the params'
// maxima are checked by the keeper), the aggregation rule, the hyperparams
// (at most MaxHyperparamsLength bytes of JSON) and the budget.
func (m *MsgCreateTask) Validate(ac address.Codec) error {
	if err := validateTaskAddress(ac, "creator", m.Creator); err != nil {
		return err
	}
	if err := validate.ModelID(m.BaseModelId); err != nil {
		return errorsmod.Wrap(ErrInvalidTask, err.Error())
	}
	if len(m.DatasetIds) == 0 || len(m.DatasetIds) > MaxTaskDatasets {
		return errorsmod.Wrapf(ErrInvalidTask, "%d dataset_ids: want 1 to %d", len(m.DatasetIds), MaxTaskDatasets)
	}
	ids := slices.Clone(m.DatasetIds)
	slices.Sort(ids)
	for i, id := range ids {
		if id == 0 {
			return errorsmod.Wrap(ErrInvalidTask, "dataset id 0")
		}
		if i > 0 && ids[i-1] == id {
			return errorsmod.Wrapf(ErrInvalidTask, "dataset %d listed twice", id)
		}
	}
	switch {
	case m.Rounds == 0 || m.Rounds > MaxRoundsBound:
		return errorsmod.Wrapf(ErrInvalidTask, "rounds %d: want 1 to %d", m.Rounds, MaxRoundsBound)
	case m.ParticipantsPerRound == 0 || m.ParticipantsPerRound > MaxParticipants:
		return errorsmod.Wrapf(ErrInvalidTask, "participants_per_round %d: want 1 to %d", m.ParticipantsPerRound, MaxParticipants)
	case m.AggregatorsPerRound == 0 || m.AggregatorsPerRound > MaxAggregators:
		return errorsmod.Wrapf(ErrInvalidTask, "aggregators_per_round %d: want 1 to %d", m.AggregatorsPerRound, MaxAggregators)
	}
	switch m.Aggregation {
	case AGGREGATION_FEDAVG, AGGREGATION_TRIMMED_MEAN, AGGREGATION_MEDIAN:
	default:
		return errorsmod.Wrapf(ErrInvalidTask, "aggregation %d", m.Aggregation)
	}
	if len(m.Hyperparams) > MaxHyperparamsLength {
		return errorsmod.Wrapf(ErrInvalidTask, "hyperparams of %d bytes: want at most %d", len(m.Hyperparams), MaxHyperparamsLength)
	}
	if m.Hyperparams != "" && !json.Valid([]byte(m.Hyperparams)) {
		return errorsmod.Wrap(ErrInvalidTask, "hyperparams must be JSON")
	}
	if err := m.Budget.Validate(); err != nil || !m.Budget.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidTask, "budget %s must be a valid positive coin", m.Budget)
	}
	return nil
}

// Validate checks the worker.
func (m *MsgJoinTask) Validate(ac address.Codec) error {
	return validateTaskAddress(ac, "worker", m.Worker)
}

// Validate checks the worker, the round and the commitment's length.
func (m *MsgCommitUpdate) Validate(ac address.Codec) error {
	if err := validateRoundMsg(ac, m.Worker, m.Round); err != nil {
		return err
	}
	if len(m.Commitment) != UpdateCommitmentLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "commitment of %d bytes: want %d", len(m.Commitment), UpdateCommitmentLength)
	}
	return nil
}

// Validate checks the worker, the round, the digest, the samples, the URI
// and the salt's length.
func (m *MsgRevealUpdate) Validate(ac address.Codec) error {
	if err := validateRoundMsg(ac, m.Worker, m.Round); err != nil {
		return err
	}
	if len(m.Digest) != UpdateDigestLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "digest of %d bytes: want %d", len(m.Digest), UpdateDigestLength)
	}
	if m.Samples == 0 {
		return errorsmod.Wrap(ErrInvalidUpdate, "samples must be positive")
	}
	if err := validateUpdateURI(m.Uri); err != nil {
		return err
	}
	if len(m.Salt) < MinUpdateSaltLength || len(m.Salt) > MaxUpdateSaltLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "salt of %d bytes: want %d to %d", len(m.Salt), MinUpdateSaltLength, MaxUpdateSaltLength)
	}
	return nil
}

// Validate checks the worker, the round, the digest and the URI.
func (m *MsgSubmitAggregate) Validate(ac address.Codec) error {
	if err := validateRoundMsg(ac, m.Worker, m.Round); err != nil {
		return err
	}
	if len(m.Digest) != UpdateDigestLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "digest of %d bytes: want %d", len(m.Digest), UpdateDigestLength)
	}
	return validateUpdateURI(m.Uri)
}

// validateRoundMsg checks the worker and the round number of a round message.
func validateRoundMsg(ac address.Codec, worker string, round uint32) error {
	if err := validateTaskAddress(ac, "worker", worker); err != nil {
		return err
	}
	if round == 0 {
		return errorsmod.Wrap(ErrInvalidUpdate, "round must be positive")
	}
	return nil
}

// validateUpdateURI accepts an empty URI or up to MaxUpdateURILength
// printable characters without spaces.
func validateUpdateURI(uri string) error {
	if len(uri) > MaxUpdateURILength || !validate.Printable(uri, false) {
		return errorsmod.Wrapf(ErrInvalidUpdate, "uri: want at most %d printable characters without spaces", MaxUpdateURILength)
	}
	return nil
}

// validateTaskAddress checks a signer address; the codec's error is kept as
// text only (error texts may reach a tx result).
func validateTaskAddress(ac address.Codec, field, addr string) error {
	if addr == "" {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s is empty", field)
	}
	if _, err := ac.StringToBytes(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %s", field, addr, err.Error())
	}
	return nil
}
