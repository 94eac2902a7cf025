// Package validate holds the stateless input rules shared by meshd's modules,
// so that a rule two modules must agree on (a model id that x/compute
// workers serve is one x/inference can register) is written once.
package validate

import (
	"fmt"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// MaxModelIDLength bounds a model id, in x/inference's registry and in the
// models x/compute workers serve.
const MaxModelIDLength = 64

// Printable reports whether s is printable ASCII (spaces only if allowed).
func Printable(s string, spaces bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && spaces {
			continue
		}
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// ModelID checks a model id: 1..MaxModelIDLength printable characters without spaces.
func ModelID(id string) error {
	if id == "" || len(id) > MaxModelIDLength || !Printable(id, false) {
		return fmt.Errorf("model id %q must be 1..%d printable characters without spaces", id, MaxModelIDLength)
	}
	return nil
}

// Address checks a bech32 account address of any prefix (genesis files are
// validated before the chain's prefix is known to the caller).
func Address(s string) error {
	_, bz, err := bech32.DecodeAndConvert(s)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", s, err)
	}
	return sdk.VerifyAddressFormat(bz)
}

// AddressField checks a message's address field as bech32 of any prefix
// (the keeper's decoding with the chain's codec checks the prefix); invalid
// is the module's registered invalid-address error. The cause is kept as
// text: error texts reach tx results, so they must not depend on how an SDK
// error formats itself.
func AddressField(field, addr string, invalid *errorsmod.Error) error {
	if err := Address(addr); err != nil {
		return errorsmod.Wrapf(invalid, "%s: %s", field, err.Error())
	}
	return nil
}

// FirstDuplicate returns the index of the first repeated entry of a sorted slice, or -1.
func FirstDuplicate(sorted []string) int {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return i
		}
	}
	return -1
}
