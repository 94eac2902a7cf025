package types

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/validate"
)

// Model limits.
const (
	// MaxModelIDLength bounds a model id (the same rule as x/compute's served ids).
	MaxModelIDLength = validate.MaxModelIDLength
	// MaxModelNameLength bounds Model.name.
	MaxModelNameLength = 128
	// MaxModelVersionLength bounds Model.version.
	MaxModelVersionLength = 64
	// MaxURILength bounds weights, input and output URIs.
	MaxURILength = 512
	// MaxRuntimeLength bounds Model.runtime.
	MaxRuntimeLength = 128
	// MaxMinVRAMGB bounds Model.min_vram_gb.
	MaxMinVRAMGB = 1 << 20

	// RuntimeInt8Embedded is the int8 model built into meshd-worker.
	RuntimeInt8Embedded = "int8-embedded"
	// RuntimeOpenAIPrefix prefixes an OpenAI-compatible served model name.
	RuntimeOpenAIPrefix = "openai:"
	// RuntimeExecPrefix prefixes a program the worker runs.
	RuntimeExecPrefix = "exec:"
)

// ValidateModel checks a model's fields: the id, a known runtime, its prices
// (ValidatePrices) and a status other than UNSPECIFIED. Whether each price
// denom is allowed depends on the params: Params.CheckPrices.
func ValidateModel(m Model) error {
	if err := ValidateModelID(m.Id); err != nil {
		return err
	}
	if len(m.Name) > MaxModelNameLength || !validate.Printable(m.Name, true) {
		return fmt.Errorf("name must be at most %d printable characters", MaxModelNameLength)
	}
	if len(m.Version) > MaxModelVersionLength || !validate.Printable(m.Version, false) {
		return fmt.Errorf("version must be at most %d printable characters without spaces", MaxModelVersionLength)
	}
	if m.WeightsDigest != "" {
		if bz, err := hex.DecodeString(m.WeightsDigest); err != nil || len(bz) != 32 || strings.ToLower(m.WeightsDigest) != m.WeightsDigest {
			return fmt.Errorf("weights_digest must be 64 lower-case hex characters (SHA-256) or empty")
		}
	}
	if err := ValidateURI(m.WeightsUri); err != nil {
		return fmt.Errorf("weights_uri: %w", err)
	}
	if err := ValidateRuntime(m.Runtime); err != nil {
		return err
	}
	if err := ValidatePrices(m); err != nil {
		return err
	}
	if m.MinVramGb > MaxMinVRAMGB {
		return fmt.Errorf("min_vram_gb %d above %d", m.MinVramGb, MaxMinVRAMGB)
	}
	if _, ok := ModelStatus_name[int32(m.Status)]; !ok || m.Status == MODEL_STATUS_UNSPECIFIED {
		return fmt.Errorf("status must be ACTIVE, CANDIDATE or RETIRED, got %s", m.Status)
	}
	for i, mode := range m.Modes {
		if _, ok := ConsensusMode_name[int32(mode)]; !ok || mode == CONSENSUS_MODE_UNSPECIFIED || slices.Contains(m.Modes[:i], mode) {
			return fmt.Errorf("modes: %s is not a mode, or listed twice", mode)
		}
	}
	if m.Verify != nil {
		if err := m.Verify.Validate(); err != nil {
			return err
		}
	}
	if slices.Contains(m.Modes, CONSENSUS_MODE_VERIFY) && m.Verify == nil {
		return fmt.Errorf("modes lists VERIFY but verify is unset")
	}
	return nil
}

// MaxModelPrices bounds Model.prices: umesh and each of the MaxFeeDenoms.
const MaxModelPrices = MaxFeeDenoms + 1

// ValidatePrices checks a model's prices: at least one and at most
// MaxModelPrices, each a valid positive coin, sorted by denom with no denom
// twice (as sdk.Coins); and the
// deprecated single price unset (the 1→2 migration moved it into prices).
func ValidatePrices(m Model) error {
	if m.Price != nil { //nolint:staticcheck // refusing the deprecated field is its only use
		return fmt.Errorf("price is deprecated: give the model's prices (a list of coins, one per denom) instead")
	}
	if len(m.Prices) == 0 || len(m.Prices) > MaxModelPrices {
		return fmt.Errorf("%d prices: need 1 to %d", len(m.Prices), MaxModelPrices)
	}
	for i, c := range m.Prices {
		if err := c.Validate(); err != nil || !c.IsPositive() {
			return fmt.Errorf("price %s must be a valid positive coin", c)
		}
		// Sorted like sdk.Coins, so that Coins methods (AmountOf searches)
		// read them right.
		if i > 0 && m.Prices[i-1].Denom >= c.Denom {
			if m.Prices[i-1].Denom == c.Denom {
				return fmt.Errorf("prices: %s listed twice", c.Denom)
			}
			return fmt.Errorf("prices must be sorted by denom: %s before %s", m.Prices[i-1].Denom, c.Denom)
		}
	}
	return nil
}

// PriceIn returns the model's price in denom, if it accepts that denom.
func (m Model) PriceIn(denom string) (sdk.Coin, bool) {
	for _, c := range m.Prices {
		if c.Denom == denom {
			return c, true
		}
	}
	return sdk.Coin{}, false
}

// ValidateModelID checks a model id: 1..64 printable characters without spaces.
func ValidateModelID(id string) error {
	return validate.ModelID(id)
}

// ValidateRuntime accepts "int8-embedded", "openai:<served-name>" and
// "exec:<program>" with a non-empty name without spaces.
func ValidateRuntime(rt string) error {
	if rt == RuntimeInt8Embedded {
		return nil
	}
	for _, prefix := range []string{RuntimeOpenAIPrefix, RuntimeExecPrefix} {
		if name, ok := strings.CutPrefix(rt, prefix); ok {
			if name == "" || len(rt) > MaxRuntimeLength || !validate.Printable(name, false) {
				return fmt.Errorf("runtime %q: %s needs a name of printable characters without spaces, %d characters in all at most", rt, prefix, MaxRuntimeLength)
			}
			return nil
		}
	}
	return fmt.Errorf("runtime %q must be %s, %s<name> or %s<name>", rt, RuntimeInt8Embedded, RuntimeOpenAIPrefix, RuntimeExecPrefix)
}

// ValidateURI accepts an empty string or up to MaxURILength printable
// characters without spaces.
func ValidateURI(uri string) error {
	if len(uri) > MaxURILength || !validate.Printable(uri, false) {
		return fmt.Errorf("must be at most %d printable characters without spaces", MaxURILength)
	}
	return nil
}
