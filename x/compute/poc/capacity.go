package poc

import (
	"math"
	"math/big"
)

// Capacity-bound challenges (issue 17). A worker that claims g GOPS
// (10^9 int8 operations per second, a multiply-accumulate being 2) gets a
// challenge of
//
//	MACs = g · 10^9 / 2 · commit_seconds · fraction_bps / 10000
//	m    = ⌈MACs / (n·p)⌉, clamped to [1, MaxUint32]
//
// rows, so that proving it at the claimed throughput takes fraction_bps of
// the commit window's expected wall time. The arithmetic is exact (one
// rational, rounded once, no intermediate overflow).

// ChallengeRows returns m for a claim of gops GOPS:
// ⌈gops·10^9·commitSeconds·fractionBps / (2·10000·n·p)⌉ clamped to
// [1, math.MaxUint32]. A zero n or p gives 1.
func ChallengeRows(gops uint64, fractionBps, commitSeconds uint32, n, p uint32) uint32 {
	if n == 0 || p == 0 {
		return 1
	}
	num := new(big.Int).SetUint64(gops)
	num.Mul(num, big.NewInt(1_000_000_000))
	num.Mul(num, new(big.Int).SetUint64(uint64(commitSeconds)))
	num.Mul(num, new(big.Int).SetUint64(uint64(fractionBps)))
	den := new(big.Int).SetUint64(2 * 10_000)
	den.Mul(den, new(big.Int).SetUint64(uint64(n)*uint64(p)))
	// ⌈num/den⌉ = (num + den − 1) / den
	num.Add(num, den)
	num.Sub(num, big.NewInt(1))
	m := num.Quo(num, den)
	switch {
	case m.Sign() == 0:
		return 1
	case !m.IsUint64() || m.Uint64() > math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(m.Uint64())
}

// ProvenGOPS is ChallengeRows' inverse: the throughput that computing m
// rows in fractionBps of commitSeconds demonstrates,
// ⌊m·n·p · 2 · 10000 / (fractionBps · commitSeconds · 10^9)⌋, saturating at
// math.MaxUint64. A zero fractionBps or commitSeconds gives 0 (nothing
// proven). ProvenGOPS(ChallengeRows(g, …), …) ≥ g unless m was clamped.
func ProvenGOPS(m, n, p uint32, fractionBps, commitSeconds uint32) uint64 {
	if fractionBps == 0 || commitSeconds == 0 {
		return 0
	}
	num := new(big.Int).SetUint64(uint64(m))
	num.Mul(num, new(big.Int).SetUint64(uint64(n)*uint64(p)))
	num.Mul(num, big.NewInt(2*10_000))
	den := new(big.Int).SetUint64(uint64(fractionBps) * uint64(commitSeconds))
	den.Mul(den, big.NewInt(1_000_000_000))
	g := num.Quo(num, den)
	if !g.IsUint64() {
		return math.MaxUint64
	}
	return g.Uint64()
}
