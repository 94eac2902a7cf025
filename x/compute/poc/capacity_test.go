package poc

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChallengeRows(t *testing.T) {
	// 1000 GOPS · 10^9 / 2 · 50 s · 5000/10000 = 1.25·10^13 MACs over
	// n·p = 16384: ⌈762,939,453.125⌉.
	require.Equal(t, uint32(762_939_454), ChallengeRows(1000, 5000, 50, 256, 64))
	// Exact multiple: 128 GOPS · 10^9/2 · 1 · 1/10000 = 6.4·10^6 MACs / 128 = 50,000.
	require.Equal(t, uint32(50_000), ChallengeRows(128, 1, 1, 16, 8))
	require.Equal(t, uint32(1), ChallengeRows(0, 5000, 50, 256, 64), "at least one row")
	require.Equal(t, uint32(1), ChallengeRows(1, 1, 1, 65536, 65536), "tiny claims round up to one row")
	require.Equal(t, uint32(math.MaxUint32), ChallengeRows(100_000, 5000, 50, 256, 64), "100 TOPS at the default shape clamps")
	require.Equal(t, uint32(math.MaxUint32), ChallengeRows(math.MaxUint64, math.MaxUint32, math.MaxUint32, 1, 1), "no overflow")
	require.Equal(t, uint32(1), ChallengeRows(1000, 5000, 50, 0, 64))
}

func TestProvenGOPS(t *testing.T) {
	require.Equal(t, uint64(128), ProvenGOPS(50_000, 16, 8, 1, 1))
	require.Equal(t, uint64(127), ProvenGOPS(49_999, 16, 8, 1, 1), "floored")
	require.Zero(t, ProvenGOPS(50_000, 16, 8, 0, 1))
	require.Zero(t, ProvenGOPS(50_000, 16, 8, 1, 0))
	require.Equal(t, uint64(math.MaxUint64), ProvenGOPS(math.MaxUint32, math.MaxUint32, math.MaxUint32, 1, 1), "saturates")
	// The default shape caps what one challenge can prove.
	require.Equal(t, uint64(5629), ProvenGOPS(math.MaxUint32, 256, 64, 5000, 50))
}

// TestChallengeRowsInverse: the challenge of a claim proves at least the
// claim (m is rounded up) and less than the claim plus one row's worth.
func TestChallengeRowsInverse(t *testing.T) {
	for _, c := range []struct {
		gops      uint64
		bps, secs uint32
		n, p      uint32
	}{
		{1, 1, 1, 16, 8}, {3, 1, 1, 16, 8}, {1979, 5000, 50, 1024, 1024}, {5000, 5000, 50, 256, 64},
		{1, 2000, 1, 256, 64}, {777, 10_000, 3600, 4096, 1024}, {123_456, 7, 13, 333, 77},
	} {
		m := ChallengeRows(c.gops, c.bps, c.secs, c.n, c.p)
		require.Less(t, m, uint32(math.MaxUint32), "%+v", c)
		require.GreaterOrEqual(t, ProvenGOPS(m, c.n, c.p, c.bps, c.secs), c.gops, "%+v", c)
		if m > 1 {
			require.Less(t, ProvenGOPS(m-1, c.n, c.p, c.bps, c.secs), c.gops, "%+v: m is the least", c)
		}
	}
}

func TestDimsAllowUint32Rows(t *testing.T) {
	require.NoError(t, Dims{M: math.MaxUint32, N: 256, P: 64}.Validate())
	require.Error(t, Dims{M: math.MaxUint32 + 1, N: 256, P: 64}.Validate())
}

// TestVerifyProofAtMaxRows: a proof in a tree of MaxUint32 leaves (the
// clamp of ChallengeRows) verifies; ⌈size/2⌉ must not overflow.
func TestVerifyProofAtMaxRows(t *testing.T) {
	const m = math.MaxUint32
	for _, index := range []uint32{0, 1, m / 2, m - 2, m - 1} {
		leaf := LeafHash(index, []byte("row"))
		h, idx, size := leaf, uint64(index), uint64(m)
		var proof [][]byte
		for size > 1 {
			if idx^1 < size {
				sib := LeafHash(uint32(len(proof)), []byte("sibling"))
				proof = append(proof, sib)
				if idx%2 == 0 {
					h = nodeHash(h, sib)
				} else {
					h = nodeHash(sib, h)
				}
			}
			idx /= 2
			size = (size + 1) / 2
		}
		require.True(t, VerifyProof(h, index, m, leaf, proof), "index %d", index)
		require.False(t, VerifyProof(h, index, m, leaf, proof[:len(proof)-1]), "index %d: short proof", index)
	}
}
