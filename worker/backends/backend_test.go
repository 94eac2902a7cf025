package backends

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/x/compute/poc"
)

func TestTreeMatchesSpec(t *testing.T) {
	rows := make([][]byte, 5000)
	leaves := make([][]byte, len(rows))
	for i := range rows {
		rows[i] = []byte(fmt.Sprint(i))
		leaves[i] = poc.LeafHash(uint32(i), rows[i])
	}
	want, err := poc.NewTree(leaves)
	require.NoError(t, err)
	got, err := Tree(rows)
	require.NoError(t, err)
	require.Equal(t, want.Root(), got.Root())
}

func TestSplitRows(t *testing.T) {
	rows, err := SplitRows(make([]byte, 24), poc.Dims{M: 3, N: 1, P: 2})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Len(t, rows[2], 8)
	rows[0] = append(rows[0], 1) // capped: must not spill into row 1
	require.Equal(t, byte(0), rows[1][0])
	_, err = SplitRows(make([]byte, 23), poc.Dims{M: 3, N: 1, P: 2})
	require.Error(t, err)
}
