package types_test

import (
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/dao/types"
)

const day = 24 * time.Hour

func bigInt(t *testing.T, s string) math.Int {
	t.Helper()
	i, ok := math.NewIntFromString(s)
	require.True(t, ok, s)
	return i
}

// TestMultiplier pins the conviction multiplier of the default params
// (7 days 1× … 1460 days 4×): linear, rounded down, clamped outside the range.
func TestMultiplier(t *testing.T) {
	p := types.DefaultParams()
	lo, hi := p.MinLockDuration, p.MaxLockDuration
	require.Equal(t, 7*day, lo)
	require.Equal(t, 1460*day, hi)
	for _, tc := range []struct {
		name string
		d    time.Duration
		want uint64
	}{
		{"zero clamps to 1×", 0, 10_000},
		{"negative clamps to 1×", -time.Hour, 10_000},
		{"below min clamps to 1×", 6 * day, 10_000},
		{"min", lo, 10_000},
		{"min + 1ns rounds down", lo + 1, 10_000},
		{"a third of the way", lo + (hi-lo)/3, 20_000},
		{"midpoint", (lo + hi) / 2, 25_000},
		{"one year: 10000 + 30000 × 358/1453, rounded down", 365 * day, 17_391},
		{"max − 1ns rounds down", hi - 1, 39_999},
		{"max", hi, 40_000},
		{"above max clamps to max", 10 * hi, 40_000},
		{"longest duration", time.Duration(1<<63 - 1), 40_000},
	} {
		require.Equal(t, tc.want, p.Multiplier(tc.d), tc.name)
	}

	// max_multiplier_bps = 1× makes every duration 1×.
	flat := p
	flat.MaxMultiplierBps = types.BpsScale
	require.Equal(t, uint64(types.BpsScale), flat.Multiplier(hi))

	// A 10× multiplier over the full int64 duration range does not overflow.
	wide := p
	wide.MinLockDuration, wide.MaxLockDuration, wide.MaxMultiplierBps = 1, time.Duration(1<<63-1), types.MaxMultiplierBps
	require.Equal(t, uint64(55_000), wide.Multiplier(time.Duration(1<<62)))
}

// TestLockPower pins ⌊isqrt(amount) × multiplier / 10000⌋, up to 2^200.
func TestLockPower(t *testing.T) {
	p := types.DefaultParams()
	lo, hi, mid := p.MinLockDuration, p.MaxLockDuration, (p.MinLockDuration+p.MaxLockDuration)/2
	for _, tc := range []struct {
		amount string
		d      time.Duration
		want   string
	}{
		{"0", hi, "0"},
		{"-5", hi, "0"},
		{"1", lo, "1"},
		{"3", hi, "4"}, // isqrt(3) = 1
		{"999999", lo, "999"},
		{"1000000", lo, "1000"},
		{"1000000", mid, "2500"},
		{"1000000", hi, "4000"},
		{"1000000", 365 * day, "1739"}, // 1000 × 17391 / 10000
		{"999999", hi, "3996"},
		{"1000", mid, "77"}, // 31 × 2.5 = 77.5, rounded down
		// 2^200: isqrt = 2^100.
		{"1606938044258990275541962092341162602522202993782792835301376", lo, "1267650600228229401496703205376"},
		{"1606938044258990275541962092341162602522202993782792835301376", hi, "5070602400912917605986812821504"},
		{"1606938044258990275541962092341162602522202993782792835301376", mid, "3169126500570573503741758013440"},
		// 2^200 − 1: isqrt = 2^100 − 1, × 2.5 rounded down.
		{"1606938044258990275541962092341162602522202993782792835301375", mid, "3169126500570573503741758013437"},
	} {
		got := p.LockPower(bigInt(t, tc.amount), tc.d)
		require.Equal(t, tc.want, got.String(), "%s for %s", tc.amount, tc.d)
	}
	require.True(t, p.LockPower(math.Int{}, hi).IsZero(), "nil amount")

	require.Equal(t, "0", types.ISqrt(math.NewInt(0)).String())
	require.Equal(t, "0", types.ISqrt(math.NewInt(-9)).String())
	require.Equal(t, "2", types.ISqrt(math.NewInt(8)).String())
	require.Equal(t, "3", types.ISqrt(math.NewInt(9)).String())
	require.Equal(t, "1267650600228229401496703205376",
		types.ISqrt(bigInt(t, "1606938044258990275541962092341162602522202993782792835301376")).String())
}

// TestSplittingBound: splitting an amount A across k locks, each of at least
// min_lock m, all locked for the same duration (multiplier M bps), gives a
// total power P = Σ ⌊⌊√aᵢ⌋·M/10000⌋ with
//
//	P ≤ ⌊isqrt(k·A)·M/10000⌋                          (1)
//	P ≤ ⌊⌊A/isqrt(m)⌋·M/10000⌋                        (2)
//
// (1): Σ⌊√aᵢ⌋ ≤ Σ√aᵢ ≤ √k·√(Σaᵢ) (Cauchy–Schwarz), and an integer below
// √(kA) is at most isqrt(kA); the outer floor of a sum is at least the sum
// of the floors. So splitting gains at most a factor √k over one lock, and
// one lock (k = 1) gives exactly the bound.
// (2): aᵢ ≥ m gives √aᵢ ≥ isqrt(m), so ⌊√aᵢ⌋·isqrt(m) ≤ √aᵢ·√aᵢ = aᵢ and
// Σ⌊√aᵢ⌋ ≤ A/isqrt(m): min_lock caps what any number of accounts can gain.
// Both imply the looser ⌊√k·√A⌋·M/10000 + k and A·M/(10000·isqrt(m)) + k.
func TestSplittingBound(t *testing.T) {
	rng := rand.New(rand.NewSource(20240611))
	p := types.DefaultParams()
	const trials = 20_000
	for trial := 0; trial < trials; trial++ {
		// min_lock from 1 to ~2^60, amounts up to ~2^120 over it.
		m := new(big.Int).Rand(rng, new(big.Int).Lsh(big.NewInt(1), uint(1+rng.Intn(60))))
		m.Add(m, big.NewInt(1))
		k := 1 + rng.Intn(64)
		extra := new(big.Int).Rand(rng, new(big.Int).Lsh(big.NewInt(1), uint(1+rng.Intn(120))))
		if rng.Intn(4) == 0 {
			extra.SetInt64(0) // every account at exactly min_lock
		}
		// aᵢ = m + share of extra, cut at k−1 random points.
		amounts := make([]*big.Int, k)
		rest := new(big.Int).Set(extra)
		for i := range amounts {
			share := new(big.Int).Set(rest)
			if i < k-1 && rest.Sign() > 0 {
				share.Rand(rng, new(big.Int).Add(rest, big.NewInt(1)))
			}
			rest.Sub(rest, share)
			amounts[i] = new(big.Int).Add(m, share)
		}
		d := p.MinLockDuration + time.Duration(rng.Int63n(int64(p.MaxLockDuration-p.MinLockDuration)+1))
		mult := new(big.Int).SetUint64(p.Multiplier(d))

		total, sum := math.ZeroInt(), new(big.Int)
		for _, a := range amounts {
			total = total.Add(p.LockPower(math.NewIntFromBigInt(a), d))
			sum.Add(sum, a)
		}
		A := sum

		bound1 := new(big.Int).Sqrt(new(big.Int).Mul(big.NewInt(int64(k)), A))
		bound1.Mul(bound1, mult).Quo(bound1, big.NewInt(types.BpsScale))
		bound2 := new(big.Int).Quo(A, new(big.Int).Sqrt(m))
		bound2.Mul(bound2, mult).Quo(bound2, big.NewInt(types.BpsScale))
		require.LessOrEqual(t, total.BigInt().Cmp(bound1), 0, "trial %d: k=%d A=%s m=%s: %s > √kA bound %s", trial, k, A, m, total, bound1)
		require.LessOrEqual(t, total.BigInt().Cmp(bound2), 0, "trial %d: k=%d A=%s m=%s: %s > A/√m bound %s", trial, k, A, m, total, bound2)
		if k == 1 {
			require.Equal(t, bound1.String(), total.String(), "trial %d: one lock reaches bound (1)", trial)
		}
	}
}

// TestSplittingEqualShares: k equal locks of s² reach bound (1) up to the
// per-lock rounding: k·⌊s·M/10000⌋ against ⌊k·s·M/10000⌋.
func TestSplittingEqualShares(t *testing.T) {
	p := types.DefaultParams()
	d := p.MaxLockDuration // 4×: no rounding
	for _, k := range []int64{1, 4, 9, 100} {
		s := int64(1000)
		one := p.LockPower(math.NewInt(k*s*s), d)
		split := p.LockPower(math.NewInt(s*s), d).MulRaw(k)
		require.Equal(t, math.NewInt(s*4).MulRaw(k).String(), split.String())
		// √k times one lock of the same total.
		require.Equal(t, one.Mul(types.ISqrt(math.NewInt(k))).String(), split.String(), "k=%d", k)
	}
}
