package types

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"unicode/utf8"

	"cosmossdk.io/core/address"
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
	_ sdk.Msg = &MsgRegisterDataset{}
	_ sdk.Msg = &MsgContributeItem{}
	_ sdk.Msg = &MsgAnnotate{}
)

// Validate checks the owner, the name, the sizes of schema and license, and
// the label set (unique labels, each a valid label).
func (m *MsgRegisterDataset) Validate(ac address.Codec) error {
	if err := validateDataAddress(ac, "owner", m.Owner); err != nil {
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

// Validate checks the contributor, the dataset id and the item: inline data
// (at most MaxInlineBound bytes; max_inline_item_bytes is checked by the
// keeper) whose SHA-256 is the digest, or a 32-byte digest with a URI.
func (m *MsgContributeItem) Validate(ac address.Codec) error {
	if err := validateDataAddress(ac, "contributor", m.Contributor); err != nil {
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

// Validate checks the annotator, the item id and the label's form (whether
// the dataset allows it is checked by the keeper).
func (m *MsgAnnotate) Validate(ac address.Codec) error {
	if err := validateDataAddress(ac, "annotator", m.Annotator); err != nil {
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

// validateDataAddress checks a signer address. The codec's error is kept as
// text only: error texts may reach state (a tx result), so they must not
// depend on how an SDK error formats itself.
func validateDataAddress(ac address.Codec, field, addr string) error {
	if addr == "" {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s is empty", field)
	}
	if _, err := ac.StringToBytes(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %s", field, addr, err.Error())
	}
	return nil
}
