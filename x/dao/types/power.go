package types

import (
	"math/big"
	"time"

	"cosmossdk.io/math"
)

// BpsScale is 1× in basis points.
const BpsScale = 10_000

// Multiplier is the conviction multiplier of a lock of duration d, in basis
// points: 10000 (1×) at min_lock_duration rising linearly to
// max_multiplier_bps at max_lock_duration, rounded down; durations outside
// the range are clamped to it.
func (p Params) Multiplier(d time.Duration) uint64 {
	lo, hi := p.MinLockDuration, p.MaxLockDuration
	maxMul := uint64(p.MaxMultiplierBps)
	switch {
	case maxMul <= BpsScale || d <= lo:
		return BpsScale
	case d >= hi: // also hi ≤ lo, which Validate rejects
		return maxMul
	}
	// 10000 + (max − 10000) × (d − lo) / (hi − lo), in big ints: durations
	// are up to ~2^63 ns.
	x := new(big.Int).Mul(new(big.Int).SetUint64(maxMul-BpsScale), big.NewInt(int64(d-lo)))
	x.Quo(x, big.NewInt(int64(hi-lo)))
	return BpsScale + x.Uint64()
}

// LockPower is the voting power of amount locked for d:
// ⌊isqrt(amount) × Multiplier(d) / 10000⌋. Zero for a non-positive amount.
func (p Params) LockPower(amount math.Int, d time.Duration) math.Int {
	if amount.IsNil() || !amount.IsPositive() {
		return math.ZeroInt()
	}
	root := new(big.Int).Sqrt(amount.BigInt())
	root.Mul(root, new(big.Int).SetUint64(p.Multiplier(d)))
	return math.NewIntFromBigInt(root.Quo(root, big.NewInt(BpsScale)))
}

// ISqrt is ⌊√x⌋ for x ≥ 0.
func ISqrt(x math.Int) math.Int {
	if x.IsNil() || !x.IsPositive() {
		return math.ZeroInt()
	}
	return math.NewIntFromBigInt(new(big.Int).Sqrt(x.BigInt()))
}
