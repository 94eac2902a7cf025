package backends

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/poc"
)

type named struct {
	name  string
	calls *[]string
}

func (n named) Name() string { return n.name }

func (n named) ProvePoC(_ context.Context, _ []byte, d poc.Dims) ([][]byte, error) {
	*n.calls = append(*n.calls, n.name)
	return make([][]byte, d.M), nil
}

func TestSizedPicksByMACs(t *testing.T) {
	var calls []string
	s := Sized{Small: named{"cpu", &calls}, Large: named{"exec", &calls}, MinMACs: DefaultMinLargeMACs}
	require.Equal(t, "exec+cpu", s.Name())
	small := poc.Dims{M: 61035, N: 256, P: 64} // 999,997,440 MACs
	large := poc.Dims{M: 61036, N: 256, P: 64} // 1,000,013,824 MACs
	require.Equal(t, "cpu", For(s, small).Name())
	require.Equal(t, "exec", For(s, large).Name())
	_, err := s.ProvePoC(context.Background(), nil, small)
	require.NoError(t, err)
	_, err = s.ProvePoC(context.Background(), nil, large)
	require.NoError(t, err)
	require.Equal(t, []string{"cpu", "exec"}, calls)
	// Not a Sized: itself.
	require.Equal(t, "cpu", For(named{"cpu", &calls}, large).Name())
	// MinMACs 0: always Large.
	require.Equal(t, "exec", Sized{Small: s.Small, Large: s.Large}.For(poc.Dims{M: 1, N: 1, P: 1}).Name())
}
