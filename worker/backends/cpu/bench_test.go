package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/llmesh/mesh/x/compute/poc"
)

// Run with: go test -run '^$' -bench . ./worker/backends/cpu
//
// BenchmarkGEMM reports each implementation's GMAC/s on the same inputs;
// BenchmarkGEMMRatio times them back to back in one loop and reports, from
// each one's fastest run, the speed-ups x_naive (vs the i-j-k triple loop), x_rowproduct (vs the chain's
// poc.RowProduct loop), x_gonum (vs gonum's parallel float64 Dgemm) and
// x_threads (all goroutines vs one).

type shape struct{ m, n, p int }

func (s shape) String() string { return fmt.Sprintf("%dx%dx%d", s.m, s.n, s.p) }
func (s shape) macs() float64  { return float64(s.m) * float64(s.n) * float64(s.p) }

// 512×256×64 is two compute units of the default challenge (poc_dim 256,
// poc_cols 64, 256 rows per unit); 256×1024×1024 is 1024³ scaled down by 4
// so that the naive loop finishes.
var benchShapes = []shape{{512, 256, 64}, {256, 1024, 1024}}

type benchCase struct {
	s      shape
	a, b   []int8
	c      []int32
	af, bf []float64
	cf     []float64
}

func newBenchCase(s shape) *benchCase {
	r := rand.New(rand.NewPCG(7, 7))
	bc := &benchCase{s: s, a: randInt8(r, s.m*s.n), b: randInt8(r, s.n*s.p), c: make([]int32, s.m*s.p)}
	bc.af, bc.bf, bc.cf = make([]float64, len(bc.a)), make([]float64, len(bc.b)), make([]float64, len(bc.c))
	for i, v := range bc.a {
		bc.af[i] = float64(v)
	}
	for i, v := range bc.b {
		bc.bf[i] = float64(v)
	}
	return bc
}

func (bc *benchCase) impls() []struct {
	name string
	run  func()
} {
	s := bc.s
	return []struct {
		name string
		run  func()
	}{
		{"cpu", func() { GEMM(bc.c, bc.a, bc.b, s.m, s.n, s.p, 0) }},
		{"cpu-1thread", func() { GEMM(bc.c, bc.a, bc.b, s.m, s.n, s.p, 1) }},
		{"naive", func() { naiveGEMM(bc.c, bc.a, bc.b, s.m, s.n, s.p) }},
		{"rowproduct", func() {
			for i := 0; i < s.m; i++ {
				copy(bc.c[i*s.p:], poc.RowProduct(bc.a[i*s.n:(i+1)*s.n], bc.b, s.n, s.p))
			}
		}},
		{"gonum", func() {
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
				blas64.General{Rows: s.m, Cols: s.n, Data: bc.af, Stride: s.n},
				blas64.General{Rows: s.n, Cols: s.p, Data: bc.bf, Stride: s.p},
				0, blas64.General{Rows: s.m, Cols: s.p, Data: bc.cf, Stride: s.p})
		}},
	}
}

func BenchmarkGEMM(b *testing.B) {
	for _, s := range benchShapes {
		bc := newBenchCase(s)
		for _, impl := range bc.impls() {
			b.Run(s.String()+"/"+impl.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					impl.run()
				}
				b.ReportMetric(s.macs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

func BenchmarkGEMMRatio(b *testing.B) {
	for _, s := range benchShapes {
		bc := newBenchCase(s)
		b.Run(s.String(), func(b *testing.B) {
			impls := bc.impls()
			// The fastest run of each: robust to other load on the machine.
			best := make([]time.Duration, len(impls))
			for i := 0; i < b.N; i++ {
				for x, impl := range impls {
					start := time.Now()
					impl.run()
					if d := time.Since(start); i == 0 || d < best[x] {
						best[x] = d
					}
				}
			}
			cpu := best[0].Seconds()
			b.ReportMetric(s.macs()/cpu/1e9, "GMAC/s")
			b.ReportMetric(best[1].Seconds()/cpu, "x_threads")
			b.ReportMetric(best[2].Seconds()/cpu, "x_naive")
			b.ReportMetric(best[3].Seconds()/cpu, "x_rowproduct")
			b.ReportMetric(best[4].Seconds()/cpu, "x_gonum")
		})
	}
}

// BenchmarkProvePoC is one default-shaped challenge of 4 compute units, with
// A and B generated from the seed and rows encoded, beside poc.Prove.
func BenchmarkProvePoC(b *testing.B) {
	d := poc.Dims{M: 4 * 256, N: 256, P: 64}
	seed := poc.ChallengeSeed([]byte("bench"), []byte("worker"))
	b.Run("cpu", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := ProvePoC(seed, d); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(d.M*d.N*d.P)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
	b.Run("poc.Prove", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := poc.Prove(seed, d); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(d.M*d.N*d.P)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
}
