package cpu

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/poc"
)

// naiveGEMM is the textbook i-j-k triple loop: the reference the benchmarks
// compare against and the oracle of the random tests.
func naiveGEMM(c []int32, a, b []int8, m, n, p int) {
	for i := 0; i < m; i++ {
		for j := 0; j < p; j++ {
			var s int32
			for k := 0; k < n; k++ {
				s += int32(a[i*n+k]) * int32(b[k*p+j])
			}
			c[i*p+j] = s
		}
	}
}

func randInt8(r *rand.Rand, n int) []int8 {
	out := make([]int8, n)
	for i := range out {
		out[i] = int8(r.UintN(256))
	}
	return out
}

func TestGEMMMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Shapes straddle the 4-row block, the 3-column lane triple, the 63-step
	// lane flush, the 252-step k-block and the 64-row chunk.
	for _, m := range []int{1, 3, 4, 5, 64, 65, 131} {
		for _, n := range []int{1, 62, 63, 64, 252, 253, 300} {
			for _, p := range []int{1, 2, 3, 4, 7, 64} {
				a, b := randInt8(r, m*n), randInt8(r, n*p)
				want := make([]int32, m*p)
				naiveGEMM(want, a, b, m, n, p)
				got := make([]int32, m*p)
				GEMM(got, a, b, m, n, p, 3)
				require.Equal(t, want, got, "m=%d n=%d p=%d", m, n, p)
			}
		}
	}
}

// The lanes must hold the extreme sums: every product at +16384 or -16256.
func TestGEMMExtremes(t *testing.T) {
	const m, n, p = 5, 4099, 7
	for _, av := range []int8{-128, 127} {
		for _, bv := range []int8{-128, 127} {
			a, b := make([]int8, m*n), make([]int8, n*p)
			for i := range a {
				a[i] = av
			}
			for i := range b {
				b[i] = bv
			}
			got := make([]int32, m*p)
			GEMM(got, a, b, m, n, p, 0)
			for _, v := range got {
				require.Equal(t, int32(n)*int32(av)*int32(bv), v)
			}
		}
	}
}

func TestProvePoCMatchesSpec(t *testing.T) {
	seed := poc.ChallengeSeed([]byte("epoch"), []byte("worker"))
	for _, d := range []poc.Dims{
		{M: 1, N: 1, P: 1},
		{M: 7, N: 33, P: 5},
		{M: 64, N: 64, P: 64},
		{M: 129, N: 255, P: 17},
		{M: 300, N: 256, P: 64},
	} {
		want, wantTree, err := poc.Prove(seed, d)
		require.NoError(t, err)
		got, tree, err := ProvePoC(seed, d)
		require.NoError(t, err)
		require.Equal(t, want, got, "%+v", d)
		require.Equal(t, wantTree.Root(), tree.Root(), "%+v", d)
		for _, i := range []uint32{0, uint32(d.M - 1), uint32(d.M / 2)} {
			require.Equal(t, wantTree.Proof(i), tree.Proof(i))
		}
	}
}

func TestProvePoCRejectsBadDims(t *testing.T) {
	_, _, err := ProvePoC([]byte("s"), poc.Dims{M: 0, N: 1, P: 1})
	require.Error(t, err)
}

func TestProveStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Backend{}.ProvePoC(ctx, []byte("s"), poc.Dims{M: 4096, N: 256, P: 64})
	require.ErrorIs(t, err, context.Canceled)
}
