package types

import (
	"crypto/sha256"
	"fmt"
	"slices"
)

// VERIFY mode (issue 18): one generator, r − 1 verifiers.
const (
	// MinVerifyRedundancy is the least redundancy of a VERIFY job: one
	// generator and at least three verifiers.
	MinVerifyRedundancy = 4
	// MaxVerifyTopK bounds VerifySpec.top_k.
	MaxVerifyTopK = 64
	// VerdictRescore and VerdictRegenerate are the verdict methods.
	VerdictRescore    = "rescore"
	VerdictRegenerate = "regenerate"
	// MaxVerdictTokens bounds Verdict.tokens (an output is at most
	// MaxInlineBytesBound bytes; EOS adds one).
	MaxVerdictTokens = MaxInlineBytesBound + 1
)

// VerifyQuorum is the number of agreeing verdicts that accept or reject a
// VERIFY job of redundancy r: ⌈2(r−1)/3⌉ of its r − 1 verifiers.
func VerifyQuorum(r uint32) uint32 {
	if r < 2 {
		return 1
	}
	return Quorum(r - 1)
}

// Accepts reports whether a verdict's statistic meets the spec: a
// re-scoring verifier accepts when in_top_k_bps ≥ min_in_top_k_bps,
// mean_gap_milli ≤ max_mean_gap_milli and end_ok; a regenerating one when
// in_top_k_bps (its token agreement) ≥ min_regen_agreement_bps and end_ok.
// A verdict's accept must equal it.
func (s VerifySpec) Accepts(v Verdict) bool {
	if !v.EndOk {
		return false
	}
	if v.Method == VerdictRegenerate {
		return v.InTopKBps >= s.MinRegenAgreementBps
	}
	return v.InTopKBps >= s.MinInTopKBps && v.MeanGapMilli <= s.MaxMeanGapMilli
}

// Validate checks a model's VerifySpec.
func (s VerifySpec) Validate() error {
	if s.MaxNewTokens == 0 || s.MaxNewTokens > MaxInlineBytesBound {
		return fmt.Errorf("verify.max_new_tokens %d must be in 1..%d", s.MaxNewTokens, MaxInlineBytesBound)
	}
	if s.TopK == 0 || s.TopK > MaxVerifyTopK {
		return fmt.Errorf("verify.top_k %d must be in 1..%d", s.TopK, MaxVerifyTopK)
	}
	for name, v := range map[string]uint32{ // fixed keys, error text only
		"min_in_top_k_bps": s.MinInTopKBps, "min_regen_agreement_bps": s.MinRegenAgreementBps, "verifier_share_bps": s.VerifierShareBps,
	} {
		if v > BpsScale {
			return fmt.Errorf("verify.%s %d above %d", name, v, BpsScale)
		}
	}
	if s.MinInTopKBps == 0 || s.MinRegenAgreementBps == 0 {
		return fmt.Errorf("verify.min_in_top_k_bps and min_regen_agreement_bps must be positive (0 would accept anything)")
	}
	return nil
}

// ValidateVerdict checks a revealed verdict's form (not its consistency
// with a spec: see VerifySpec.Accepts).
func ValidateVerdict(v Verdict) error {
	if v.Method != VerdictRescore && v.Method != VerdictRegenerate {
		return fmt.Errorf("verdict method %q must be %q or %q", v.Method, VerdictRescore, VerdictRegenerate)
	}
	if v.InTopKBps > BpsScale {
		return fmt.Errorf("verdict in_top_k_bps %d above %d", v.InTopKBps, BpsScale)
	}
	if v.Tokens > MaxVerdictTokens {
		return fmt.Errorf("verdict tokens %d above %d", v.Tokens, MaxVerdictTokens)
	}
	if v.Method == VerdictRegenerate && v.MeanGapMilli != 0 {
		return fmt.Errorf("a regenerate verdict has no mean_gap_milli")
	}
	return nil
}

// VerdictDigest is what a verifier commits to: SHA-256 of the verdict's
// protobuf encoding (gogoproto marshals fields in order, so it is
// deterministic).
func VerdictDigest(v Verdict) []byte {
	bz, err := v.Marshal()
	if err != nil { // a Verdict of scalars always marshals
		return nil
	}
	h := sha256.Sum256(bz)
	return h[:]
}

// SupportsMode reports whether m accepts requests in mode: its modes list,
// or EXACT and MEDIAN when the list is empty; VERIFY also needs a VerifySpec.
func (m Model) SupportsMode(mode ConsensusMode) bool {
	if mode == CONSENSUS_MODE_UNSPECIFIED {
		mode = CONSENSUS_MODE_EXACT
	}
	if mode == CONSENSUS_MODE_VERIFY && m.Verify == nil {
		return false
	}
	if len(m.Modes) == 0 {
		return mode == CONSENSUS_MODE_EXACT || mode == CONSENSUS_MODE_MEDIAN
	}
	return slices.Contains(m.Modes, mode)
}

// Generator is a VERIFY job's generator assignment (the first), or nil.
func (j *Job) Generator() *Assignment {
	if j.Mode != CONSENSUS_MODE_VERIFY || len(j.Assignments) == 0 {
		return nil
	}
	return &j.Assignments[0]
}

// VerifierSeats is the number of a VERIFY job's verifier seats: r − 1.
func (j Job) VerifierSeats() int { return int(j.Redundancy) - 1 }

// VerifiersCommitted counts the verifier seats with a commitment.
func (j Job) VerifiersCommitted() int {
	n := 0
	for _, a := range j.Assignments {
		if a.Verifier && len(a.Commitment) != 0 {
			n++
		}
	}
	return n
}

// VerdictRevealsOpen reports whether a VERIFYING job takes verdict reveals
// at height h: its verifiers are drawn, and all of them committed or their
// commit phase ended (h > commit_end).
func (j Job) VerdictRevealsOpen(h int64) bool {
	return j.VerifiersHeight != 0 && (j.VerifiersCommitted() == j.VerifierSeats() || h > j.CommitEnd)
}

// ParseModeName reads a consensus mode's short name, as the CLI's --mode
// and x/ibcinfer's memo give it: "exact" (also ""), "median" or "verify".
func ParseModeName(s string) (ConsensusMode, bool) {
	switch s {
	case "", "exact":
		return CONSENSUS_MODE_EXACT, true
	case "median":
		return CONSENSUS_MODE_MEDIAN, true
	case "verify":
		return CONSENSUS_MODE_VERIFY, true
	}
	return CONSENSUS_MODE_UNSPECIFIED, false
}

// ModeName is a mode's short name (UNSPECIFIED reads as EXACT).
func ModeName(m ConsensusMode) string {
	switch m {
	case CONSENSUS_MODE_MEDIAN:
		return "median"
	case CONSENSUS_MODE_VERIFY:
		return "verify"
	}
	return "exact"
}
