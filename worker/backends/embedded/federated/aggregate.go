package federated

import (
	"errors"
	"fmt"
	"slices"
)

// Rule is an aggregation rule, x/training's aggregation_rule.
type Rule uint8

const (
	// FedAvg is the sample-weighted mean: ⌊Σ wᵢ·samplesᵢ / Σ samplesᵢ⌋.
	FedAvg Rule = iota + 1
	// TrimmedMean drops each coordinate's lowest and highest value (one
	// each, when there are at least three updates) and takes ⌊mean⌋ of the
	// rest.
	TrimmedMean
	// Median takes each coordinate's lower median (the ⌈n/2⌉-th smallest).
	Median
)

var ruleNames = [...]string{FedAvg: "fedavg", TrimmedMean: "trimmed_mean", Median: "median"}

// ParseRule maps x/training's rule names to rules.
func ParseRule(s string) (Rule, error) {
	for r, name := range ruleNames {
		if name != "" && name == s {
			return Rule(r), nil
		}
	}
	return 0, fmt.Errorf("federated: unknown aggregation rule %q", s)
}

func (r Rule) String() string {
	if int(r) < len(ruleNames) && ruleNames[r] != "" {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// Weighted is one participant's update and the samples it trained on.
type Weighted struct {
	Ckpt    *Checkpoint
	Samples uint64
}

// Bounds on an aggregation. MaxTotalSamples keeps FedAvg's sums exact in
// int64: |w| < 2^31 and Σ samples ≤ 2^32.
const (
	MaxUpdates      = 1 << 10
	MaxTotalSamples = 1 << 32
)

// Aggregate combines updates of one shape with rule. Every rule is exact
// integer arithmetic on each coordinate, rounding down (towards −∞), so the
// result depends only on the multiset of updates, not on their order: sums
// commute, and TrimmedMean and Median sort each coordinate's values. Each
// coordinate of the result lies between the updates' lowest and highest,
// so it is a valid checkpoint. Every update needs Samples ≥ 1; TrimmedMean
// and Median ignore the counts otherwise (a robust rule must not let one
// participant weigh itself in). Identical updates count once each: refusing
// duplicate submissions is x/training's job.
func Aggregate(rule Rule, updates []Weighted) (*Checkpoint, error) {
	if rule < FedAvg || rule > Median {
		return nil, fmt.Errorf("federated: unknown aggregation rule %d", rule)
	}
	if len(updates) == 0 || len(updates) > MaxUpdates {
		return nil, fmt.Errorf("federated: %d updates, want 1…%d", len(updates), MaxUpdates)
	}
	var total uint64
	for i, u := range updates {
		if err := u.Ckpt.valid(); err != nil {
			return nil, fmt.Errorf("federated: update %d: %w", i, err)
		}
		if !u.Ckpt.sameShape(updates[0].Ckpt) {
			return nil, fmt.Errorf("federated: update %d is %d×%d shift %d, update 0 is %d×%d shift %d", i,
				u.Ckpt.buckets, u.Ckpt.hidden, u.Ckpt.shift, updates[0].Ckpt.buckets, updates[0].Ckpt.hidden, updates[0].Ckpt.shift)
		}
		if u.Samples == 0 || u.Samples > MaxTotalSamples-total {
			return nil, errors.New("federated: every update needs samples ≥ 1, at most 2^32 in all")
		}
		total += u.Samples
	}
	first := updates[0].Ckpt
	out := &Checkpoint{buckets: first.buckets, hidden: first.hidden, shift: first.shift, p: make([]int32, len(first.p))}
	n := len(updates)
	col := make([]int64, n)
	for c := range out.p {
		switch rule {
		case FedAvg:
			var sum int64
			for _, u := range updates {
				sum += int64(u.Ckpt.p[c]) * int64(u.Samples)
			}
			out.p[c] = int32(floorDiv(sum, int64(total)))
		case TrimmedMean, Median:
			for i, u := range updates {
				col[i] = int64(u.Ckpt.p[c])
			}
			slices.Sort(col)
			if rule == Median {
				out.p[c] = int32(col[(n-1)/2])
				break
			}
			keep := col
			if n >= 3 {
				keep = col[1 : n-1]
			}
			var sum int64
			for _, v := range keep {
				sum += v
			}
			out.p[c] = int32(floorDiv(sum, int64(len(keep))))
		}
	}
	return out, nil
}

// floorDiv divides rounding towards −∞ (Go's / truncates towards 0); d > 0.
func floorDiv(a, d int64) int64 {
	q := a / d
	if a%d < 0 {
		q--
	}
	return q
}
