package poc

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// Pinned vectors: any change here changes the protocol (GPU backends and
// old workers would disagree), so it must be deliberate.
func TestSpecVectors(t *testing.T) {
	seed := ChallengeSeed([]byte("epoch-seed"), []byte{1, 2, 3})
	require.Equal(t, "e6911d7603c42f7290669be3adcd49f392d0ef66a284512b022db4393dd58d89", hex.EncodeToString(seed))
	a := GenARow(seed, 7, 8)
	b := GenB(seed, 8, 4)
	require.Equal(t, []int8{93, 3, -69, -83, 115, -77, -72, -4}, a)
	require.Equal(t, []int8{-80, -40, 45, -122, -127, -89, -14, -53}, b[:8])
	row := RowProduct(a, b, 8, 4)
	require.Equal(t, []int32{-4931, 20777, -1545, -26867}, row)
	// Recompute by hand from the definition.
	for j := 0; j < 4; j++ {
		var s int32
		for k := 0; k < 8; k++ {
			s += int32(a[k]) * int32(b[k*4+j])
		}
		require.Equal(t, s, row[j])
	}
}

func TestMerkleProofsAllSizes(t *testing.T) {
	for m := 1; m <= 33; m++ {
		leaves := make([][]byte, m)
		for i := range leaves {
			leaves[i] = LeafHash(uint32(i), []byte{byte(i)})
		}
		tree, err := NewTree(leaves)
		require.NoError(t, err)
		for i := 0; i < m; i++ {
			p := tree.Proof(uint32(i))
			require.True(t, VerifyProof(tree.Root(), uint32(i), uint32(m), leaves[i], p), "m=%d i=%d", m, i)
			// Wrong index, wrong leaf, truncated proof all fail.
			if m > 1 {
				require.False(t, VerifyProof(tree.Root(), uint32((i+1)%m), uint32(m), leaves[i], p))
				require.False(t, VerifyProof(tree.Root(), uint32(i), uint32(m), leaves[(i+1)%m], p))
				require.False(t, VerifyProof(tree.Root(), uint32(i), uint32(m), leaves[i], p[:len(p)-1]))
			}
		}
		require.False(t, VerifyProof(tree.Root(), uint32(m), uint32(m), leaves[0], nil))
	}
}

func TestProveVerify(t *testing.T) {
	seed := ChallengeSeed([]byte("s"), []byte("worker"))
	d := Dims{M: 37, N: 64, P: 16}
	rows, tree, err := Prove(seed, d)
	require.NoError(t, err)
	idx := SampleIndices([]byte("sample"), []byte("worker"), uint32(d.M), 5)
	require.Len(t, idx, 5)
	reveal := func(mut func(i int, v []byte) []byte) (bool, error) {
		var ri []uint32
		var vals [][]byte
		var proofs [][][]byte
		for i, x := range idx {
			ri = append(ri, x)
			v := bytes.Clone(rows[x])
			if mut != nil {
				v = mut(i, v)
			}
			vals = append(vals, v)
			proofs = append(proofs, tree.Proof(x))
		}
		return VerifyRows(seed, tree.Root(), d, idx, ri, vals, proofs)
	}
	ok, err := reveal(nil)
	require.NoError(t, err)
	require.True(t, ok)

	// A changed value no longer matches the committed root: malformed, not fraud.
	_, err = reveal(func(i int, v []byte) []byte { v[0] ^= 1; return v })
	require.Error(t, err)

	// A wrong row that was committed (the prover computed it wrongly) is fraud.
	bad := make([][]byte, len(rows))
	copy(bad, rows)
	bad[idx[2]] = bytes.Clone(rows[idx[2]])
	bad[idx[2]][3] ^= 0x40
	leaves := make([][]byte, len(bad))
	for i := range bad {
		leaves[i] = LeafHash(uint32(i), bad[i])
	}
	badTree, err := NewTree(leaves)
	require.NoError(t, err)
	var vals [][]byte
	var proofs [][][]byte
	for _, x := range idx {
		vals = append(vals, bad[x])
		proofs = append(proofs, badTree.Proof(x))
	}
	ok, err = VerifyRows(seed, badTree.Root(), d, idx, idx, vals, proofs)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestSampleIndicesDistinctAndDeterministic(t *testing.T) {
	a := SampleIndices([]byte("x"), []byte("w"), 100, 20)
	b := SampleIndices([]byte("x"), []byte("w"), 100, 20)
	require.Equal(t, a, b)
	seen := map[uint32]bool{}
	for _, i := range a {
		require.Less(t, i, uint32(100))
		require.False(t, seen[i])
		seen[i] = true
	}
	require.NotEqual(t, a, SampleIndices([]byte("x"), []byte("v"), 100, 20))
	require.Equal(t, []uint32{0, 1, 2}, SampleIndices([]byte("x"), []byte("w"), 3, 5))
}
