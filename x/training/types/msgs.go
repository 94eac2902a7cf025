package types

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"slices"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Bounds of datasets, items and labels.
const (
	MaxDatasetNameLength = 64
	MaxSchemaLength      = 1024
	MaxLicenseLength     = 128
	MaxDatasetLabels     = 64
	MaxLabelLength       = 64
	MaxItemURILength     = 512
	// ItemDigestLength is the length of an item's SHA-256 digest.
	ItemDigestLength = sha256.Size
)

var (
	_ sdk.HasValidateBasic = &MsgRegisterDataset{}
	_ sdk.HasValidateBasic = &MsgContributeItem{}
	_ sdk.HasValidateBasic = &MsgAnnotate{}
	_ sdk.HasValidateBasic = &MsgCreateTask{}
	_ sdk.HasValidateBasic = &MsgJoinTask{}
	_ sdk.HasValidateBasic = &MsgCommitUpdate{}
	_ sdk.HasValidateBasic = &MsgRevealUpdate{}
	_ sdk.HasValidateBasic = &MsgSubmitAggregate{}
	_ sdk.HasValidateBasic = &MsgUpdateParams{}
)

// ValidateBasic checks the owner, the name, the sizes of schema and license, and
// the label set (unique labels, each a valid label).
func (m *MsgRegisterDataset) ValidateBasic() error {
	if err := validateAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.Name == "" || len(m.Name) > MaxDatasetNameLength || !validate.Printable(m.Name, true) {
		return errorsmod.Wrapf(ErrInvalidDataset, "name %q: want 1 to %d printable characters", m.Name, MaxDatasetNameLength)
	}
	// The schema is free text or JSON: newlines are allowed, invalid UTF-8 is not.
	if len(m.Schema) > MaxSchemaLength || !utf8.ValidString(m.Schema) {
		return errorsmod.Wrapf(ErrInvalidDataset, "schema: want at most %d bytes of UTF-8", MaxSchemaLength)
	}
	if len(m.License) > MaxLicenseLength || !validate.Printable(m.License, true) {
		return errorsmod.Wrapf(ErrInvalidDataset, "license %q: want at most %d printable characters", m.License, MaxLicenseLength)
	}
	if len(m.Labels) > MaxDatasetLabels {
		return errorsmod.Wrapf(ErrInvalidDataset, "%d labels: want at most %d", len(m.Labels), MaxDatasetLabels)
	}
	for _, l := range m.Labels {
		if err := ValidateLabel(l); err != nil {
			return errorsmod.Wrap(ErrInvalidDataset, err.Error())
		}
	}
	sorted := slices.Clone(m.Labels)
	slices.Sort(sorted)
	if i := validate.FirstDuplicate(sorted); i >= 0 {
		return errorsmod.Wrapf(ErrInvalidDataset, "label %q listed twice", sorted[i])
	}
	return nil
}

// ValidateBasic checks the contributor, the dataset id and the item: inline data
// (at most MaxInlineBound bytes; max_inline_item_bytes is checked by the
// keeper) whose SHA-256 is the digest, or a 32-byte digest with a URI.
func (m *MsgContributeItem) ValidateBasic() error {
	if err := validateAddress("contributor", m.Contributor); err != nil {
		return err
	}
	if m.DatasetId == 0 {
		return errorsmod.Wrap(ErrInvalidItem, "dataset_id must be positive")
	}
	if len(m.Data) > 0 {
		if len(m.Data) > MaxInlineBound {
			return errorsmod.Wrapf(ErrInvalidItem, "%d bytes of inline data: want at most %d", len(m.Data), MaxInlineBound)
		}
		// An inline item is where its bytes are: Item.uri is empty for it.
		if m.Uri != "" {
			return errorsmod.Wrap(ErrInvalidItem, "uri must be empty with inline data")
		}
		if len(m.Digest) > 0 {
			sum := sha256.Sum256(m.Data)
			if !bytes.Equal(m.Digest, sum[:]) {
				return errorsmod.Wrap(ErrInvalidItem, "digest is not the SHA-256 of data")
			}
		}
		return nil
	}
	if len(m.Digest) != ItemDigestLength {
		return errorsmod.Wrapf(ErrInvalidItem, "digest of %d bytes: want inline data or a %d-byte digest", len(m.Digest), ItemDigestLength)
	}
	if m.Uri == "" || len(m.Uri) > MaxItemURILength || !validate.Printable(m.Uri, false) {
		return errorsmod.Wrapf(ErrInvalidItem, "uri: want 1 to %d printable characters without spaces", MaxItemURILength)
	}
	return nil
}

// ValidateBasic checks the annotator, the item id and the label's form (whether
// the dataset allows it is checked by the keeper).
func (m *MsgAnnotate) ValidateBasic() error {
	if err := validateAddress("annotator", m.Annotator); err != nil {
		return err
	}
	if m.ItemId == 0 {
		return errorsmod.Wrap(ErrInvalidItem, "item_id must be positive")
	}
	return ValidateLabel(m.Label)
}

// ValidateLabel checks a label: 1 to MaxLabelLength printable characters
// without spaces, the same rule for a dataset's label set and an annotation.
func ValidateLabel(l string) error {
	if l == "" || len(l) > MaxLabelLength || !validate.Printable(l, false) {
		return errorsmod.Wrapf(ErrInvalidLabel, "label %q: want 1 to %d printable characters without spaces", l, MaxLabelLength)
	}
	return nil
}

func validateAddress(field, addr string) error {
	return validate.AddressField(field, addr, ErrInvalidAddress)
}

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

// ValidateBasic checks the creator, the base model id, the datasets (1 to
// MaxTaskDatasets distinct positive ids), the round shape (the params'
// maxima are checked by the keeper), the aggregation rule, the hyperparams
// (at most MaxHyperparamsLength bytes of JSON) and the budget.
func (m *MsgCreateTask) ValidateBasic() error {
	if err := validateAddress("creator", m.Creator); err != nil {
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

// ValidateBasic checks the worker.
func (m *MsgJoinTask) ValidateBasic() error {
	return validateAddress("worker", m.Worker)
}

// ValidateBasic checks the worker, the round and the commitment's length.
func (m *MsgCommitUpdate) ValidateBasic() error {
	if err := validateRoundMsg(m.Worker, m.Round); err != nil {
		return err
	}
	if len(m.Commitment) != UpdateCommitmentLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "commitment of %d bytes: want %d", len(m.Commitment), UpdateCommitmentLength)
	}
	return nil
}

// ValidateBasic checks the worker, the round, the digest, the samples, the URI
// and the salt's length.
func (m *MsgRevealUpdate) ValidateBasic() error {
	if err := validateRoundMsg(m.Worker, m.Round); err != nil {
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

// ValidateBasic checks the worker, the round, the digest and the URI.
func (m *MsgSubmitAggregate) ValidateBasic() error {
	if err := validateRoundMsg(m.Worker, m.Round); err != nil {
		return err
	}
	if len(m.Digest) != UpdateDigestLength {
		return errorsmod.Wrapf(ErrInvalidUpdate, "digest of %d bytes: want %d", len(m.Digest), UpdateDigestLength)
	}
	return validateUpdateURI(m.Uri)
}

// ValidateBasic checks the authority's form and the params; the keeper
// checks that it is the module's authority.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validateAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// validateRoundMsg checks the worker and the round number of a round message.
func validateRoundMsg(worker string, round uint32) error {
	if err := validateAddress("worker", worker); err != nil {
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
