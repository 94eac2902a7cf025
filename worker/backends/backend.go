// Package backends defines what meshd-worker asks of a compute backend
// (proof-of-compute GEMMs, inference) and the helpers every backend shares.
// A backend only computes; the loops persist, commit and reveal.
package backends

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/llmesh/mesh/x/compute/poc"
)

// PoC computes proof-of-compute challenges.
type PoC interface {
	// Name is the backend's name in logs and metrics ("cpu", "exec").
	Name() string
	// ProvePoC returns the d.M rows of C = A·B for the challenge seed, each
	// encoded as poc.EncodeRow does (4·d.P bytes, int32 little-endian).
	ProvePoC(ctx context.Context, seed []byte, d poc.Dims) ([][]byte, error)
}

// MaxOutputBytes is the largest inference output a worker reveals inline
// (x/inference's max_output_bytes may be lower).
const MaxOutputBytes = 1024

// Inference runs models for x/inference jobs.
type Inference interface {
	// Name is the backend's name in logs and metrics ("embedded", "openai", "exec").
	Name() string
	// Infer runs model (the backend's name for it: the embedded model id,
	// an OpenAI served name, the model id for exec) on input and returns the
	// output bytes the worker commits to.
	Infer(ctx context.Context, model string, input []byte) ([]byte, error)
}

// ModelSpec is what a model's x/inference record says about its weights.
type ModelSpec struct {
	// ID is the model id (outputs that name their model use it).
	ID string
	// WeightsDigest is the SHA-256 of the weights blob, lower-case hex.
	WeightsDigest string
	// WeightsURI is where the blob can be fetched.
	WeightsURI string
}

// ModelLoader is an Inference backend that serves models by their weights
// (the embedded backend: any int8-embedded model, e.g. a checkpoint
// x/training registered). The loop loads a model in the inference
// goroutine, so a download counts against the inference's time and fails
// like any backend error.
type ModelLoader interface {
	Inference
	// LoadModel fetches (or finds cached) and verifies m's weights and
	// returns a backend that serves m, called with m.ID.
	LoadModel(ctx context.Context, m ModelSpec) (Inference, error)
}

// SplitRows cuts a buffer of m·4p bytes into m row slices that share it.
func SplitRows(buf []byte, d poc.Dims) ([][]byte, error) {
	rowLen := 4 * d.P
	if d.M <= 0 || len(buf) != d.M*rowLen {
		return nil, fmt.Errorf("backends: %d bytes of rows, want %d×%d", len(buf), d.M, rowLen)
	}
	rows := make([][]byte, d.M)
	for i := range rows {
		rows[i] = buf[i*rowLen : (i+1)*rowLen : (i+1)*rowLen]
	}
	return rows, nil
}

// Tree builds the challenge's Merkle tree over encoded rows, hashing the
// leaves on every core (one SHA-256 per row dominates for small p).
func Tree(rows [][]byte) (*poc.Tree, error) {
	leaves := make([][]byte, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/1024))
	var wg sync.WaitGroup
	per := (len(rows) + workers - 1) / workers
	for lo := 0; lo < len(rows); lo += per {
		hi := min(lo+per, len(rows))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				leaves[i] = poc.LeafHash(uint32(i), rows[i])
			}
		}()
	}
	wg.Wait()
	return poc.NewTree(leaves)
}
