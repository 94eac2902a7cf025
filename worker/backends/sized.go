package backends

import (
	"context"
	"fmt"

	"github.com/llmesh/mesh/x/compute/poc"
)

// DefaultMinLargeMACs is the challenge size (m·n·p multiply-accumulates)
// from which Sized hands a challenge to its Large backend: below it, the
// embedded CPU GEMM finishes before an external (GPU) program has started.
const DefaultMinLargeMACs = 1e9

// Sized proves each challenge with the backend for its size: Large (the
// exec program, a GPU) for m·n·p ≥ MinMACs, Small (the embedded CPU GEMM)
// below.
type Sized struct {
	Small, Large PoC
	MinMACs      float64
}

var _ PoC = Sized{}

// MACs is a challenge's multiply-accumulates, m·n·p.
func MACs(d poc.Dims) float64 { return float64(d.M) * float64(d.N) * float64(d.P) }

// Name implements PoC: "exec+cpu" for an exec Large and a cpu Small.
func (s Sized) Name() string { return s.Large.Name() + "+" + s.Small.Name() }

// String describes the rule, for logs.
func (s Sized) String() string {
	return fmt.Sprintf("%s for challenges of ≥ %.3g MACs, %s below", s.Large.Name(), s.MinMACs, s.Small.Name())
}

// For is the backend that proves d.
func (s Sized) For(d poc.Dims) PoC {
	if MACs(d) >= s.MinMACs {
		return s.Large
	}
	return s.Small
}

// ProvePoC implements PoC with For(d).
func (s Sized) ProvePoC(ctx context.Context, seed []byte, d poc.Dims) ([][]byte, error) {
	return s.For(d).ProvePoC(ctx, seed, d)
}

// For is the backend that b proves d with: Sized's choice, else b.
func For(b PoC, d poc.Dims) PoC {
	if s, ok := b.(Sized); ok {
		return s.For(d)
	}
	return b
}
