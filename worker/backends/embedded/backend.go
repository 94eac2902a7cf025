package embedded

import (
	"context"
	"fmt"

	"github.com/llmesh/mesh/worker/backends"
)

// Backend serves ModelID from the embedded weights.
type Backend struct {
	w *Weights
}

var _ backends.Inference = (*Backend)(nil)

// New loads and verifies the embedded weights.
func New() (*Backend, error) {
	w, err := Load()
	if err != nil {
		return nil, err
	}
	return &Backend{w: w}, nil
}

// Name implements backends.Inference.
func (*Backend) Name() string { return "embedded" }

// Infer implements backends.Inference: the classification of input as
// Result.Output formats it. It takes microseconds and ignores ctx.
func (b *Backend) Infer(_ context.Context, model string, input []byte) ([]byte, error) {
	if model != ModelID {
		return nil, fmt.Errorf("embedded backend serves %s, not %q", ModelID, model)
	}
	return b.w.Classify(input).Output(), nil
}
