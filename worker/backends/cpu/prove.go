package cpu

import (
	"context"
	"encoding/binary"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/x/compute/poc"
)

// ProvePoC computes the challenge of seed with every core: C's rows encoded
// as poc.EncodeRow does, and the Merkle tree over them. The rows share one
// buffer of d.M·4·d.P bytes.
func ProvePoC(seed []byte, d poc.Dims) (rows [][]byte, tree *poc.Tree, err error) {
	return Backend{}.prove(context.Background(), seed, d, true)
}

// ProductRows computes the challenge's encoded rows into one buffer of
// d.M·4·d.P bytes, stopping early (with ctx's error) when ctx is done.
func ProductRows(ctx context.Context, seed []byte, d poc.Dims, threads int) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	pb := PackB(poc.GenB(seed, d.N, d.P), d.N, d.P)
	rowLen := 4 * d.P
	out := make([]byte, d.M*rowLen)
	parallelChunksUntil(d.M, threads, func(s *scratch, i0, rows int) bool {
		if ctx.Err() != nil {
			return false
		}
		if s.a == nil {
			s.a = make([]int8, mc*d.N)
			s.c = make([]int32, mc*d.P)
		}
		for r := 0; r < rows; r++ {
			poc.FillARow(s.a[r*d.N:(r+1)*d.N], seed, uint32(i0+r))
		}
		pb.mulRows(s.c, s.a, rows, s)
		dst := out[i0*rowLen : (i0+rows)*rowLen]
		for x, v := range s.c[:rows*d.P] {
			binary.LittleEndian.PutUint32(dst[4*x:], uint32(v))
		}
		return true
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Backend is the embedded CPU backend.
type Backend struct {
	// Threads is the number of goroutines; GOMAXPROCS when ≤ 0.
	Threads int
}

var _ backends.PoC = Backend{}

// Name implements backends.PoC.
func (Backend) Name() string { return "cpu" }

// ProvePoC implements backends.PoC.
func (b Backend) ProvePoC(ctx context.Context, seed []byte, d poc.Dims) ([][]byte, error) {
	rows, _, err := b.prove(ctx, seed, d, false)
	return rows, err
}

func (b Backend) prove(ctx context.Context, seed []byte, d poc.Dims, withTree bool) ([][]byte, *poc.Tree, error) {
	buf, err := ProductRows(ctx, seed, d, b.Threads)
	if err != nil {
		return nil, nil, err
	}
	rows, err := backends.SplitRows(buf, d)
	if err != nil || !withTree {
		return rows, nil, err
	}
	tree, err := backends.Tree(rows)
	return rows, tree, err
}
