package poc

import (
	"testing"
	"time"
)

// BenchmarkVerifyVsProve compares, on the same CPU and in the same run, what
// a worker does (Prove: the whole m×n·n×p product and its tree, for
// m = 2560 rows, the legacy 10-unit challenge, at the default n and p) with what the chain does
// (VerifyRows: regenerate B and k rows of A, recompute k rows, check k
// proofs). The figure that matters is verify/prove-%; the target is ≤ 1%.
// BenchmarkVerifyVsProveAt100TOPS (bench_capacity_test.go) does the same
// for a capacity-bound challenge.
func BenchmarkVerifyVsProve(b *testing.B) {
	const (
		units, rowsPerUnit, n, p, k = 10, 256, 256, 64, 8 // DefaultParams
		verifyReps                  = 50                  // verify is short: average several per prove
	)
	d := Dims{M: units * rowsPerUnit, N: n, P: p}
	worker := []byte("bench-worker-address")
	seed := ChallengeSeed([]byte("bench-epoch-seed"), worker)
	rows, tree, err := Prove(seed, d)
	if err != nil {
		b.Fatal(err)
	}
	idx := SampleIndices([]byte("bench-sample-seed"), worker, uint32(d.M), k)
	values := make([][]byte, len(idx))
	proofs := make([][][]byte, len(idx))
	for i, x := range idx {
		values[i], proofs[i] = rows[x], tree.Proof(x)
	}

	var prove, verify time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, _, err := Prove(seed, d); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for r := 0; r < verifyReps; r++ {
			ok, err := VerifyRows(seed, tree.Root(), d, idx, idx, values, proofs)
			if err != nil || !ok {
				b.Fatal("verify failed", err)
			}
		}
		prove += t1.Sub(t0)
		verify += time.Since(t1)
	}
	proveNs := float64(prove.Nanoseconds()) / float64(b.N)
	verifyNs := float64(verify.Nanoseconds()) / float64(b.N*verifyReps)
	b.ReportMetric(proveNs, "prove-ns")
	b.ReportMetric(verifyNs, "verify-ns")
	b.ReportMetric(100*verifyNs/proveNs, "verify/prove-%")
	b.ReportMetric(float64(d.M)*n*p, "prove-MACs")
	b.ReportMetric(float64(k)*n*p, "verify-MACs")
}
