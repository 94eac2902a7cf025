// Package poc is the byte-level specification of meshd's proof-of-compute
// challenge, shared by the state machine (which verifies) and meshd-worker
// (which proves). Everything here is deterministic integer arithmetic; a GPU
// backend reproduces it from the description in x/compute/README.md.
//
// A worker's challenge in an epoch is the product C = A·B of
//
//	A: m×n int8, row i = SHAKE128(seed ‖ "A" ‖ be32(i)), first n bytes
//	B: n×p int8, row-major = SHAKE128(seed ‖ "B"), first n·p bytes
//
// with int32 accumulation (exact: |sum| ≤ n·128·128 < 2^31 for n ≤ 2^16).
// The worker commits the Merkle root over C's m rows; the chain later picks
// k rows from a seed drawn after the commit window and recomputes them.
package poc

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// MaxDim bounds n and p so that int32 accumulation cannot overflow and
// allocations stay small: n·128·128 < 2^31 needs n < 131072.
const MaxDim = 1 << 16

var (
	challengeDomain = []byte("mesh/poc/v1/challenge")
	sampleDomain    = []byte("mesh/poc/v1/sample")
)

// ChallengeSeed derives a worker's 32-byte challenge seed from the epoch
// seed: SHA-256("mesh/poc/v1/challenge" ‖ epochSeed ‖ worker address bytes).
func ChallengeSeed(epochSeed, worker []byte) []byte {
	h := sha256.New()
	h.Write(challengeDomain)
	h.Write(epochSeed)
	h.Write(worker)
	return h.Sum(nil)
}

// GenARow returns row i of A: the first n bytes of SHAKE128(seed ‖ "A" ‖ be32(i)), as int8.
func GenARow(seed []byte, i uint32, n int) []int8 {
	out := make([]int8, n)
	FillARow(out, seed, i)
	return out
}

// FillARow writes row i of A into dst (len(dst) = n).
func FillARow(dst []int8, seed []byte, i uint32) {
	x := sha3.NewSHAKE128()
	x.Write(seed)
	x.Write([]byte{'A'})
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], i)
	x.Write(idx[:])
	readInt8(x, dst)
}

// GenB returns B (n×p, row-major): the first n·p bytes of SHAKE128(seed ‖ "B"), as int8.
func GenB(seed []byte, n, p int) []int8 {
	out := make([]int8, n*p)
	x := sha3.NewSHAKE128()
	x.Write(seed)
	x.Write([]byte{'B'})
	readInt8(x, out)
	return out
}

func readInt8(x *sha3.SHAKE, dst []int8) {
	buf := make([]byte, len(dst))
	_, _ = x.Read(buf) // a SHAKE never fails to read
	for j, b := range buf {
		dst[j] = int8(b)
	}
}

// RowProduct computes row a·B (a has n entries, B is n×p) with int32
// accumulation: the reference the chain uses to check a revealed row.
func RowProduct(a []int8, b []int8, n, p int) []int32 {
	out := make([]int32, p)
	for k := 0; k < n; k++ {
		ak := int32(a[k])
		if ak == 0 {
			continue
		}
		row := b[k*p : (k+1)*p]
		for j, bv := range row {
			out[j] += ak * int32(bv)
		}
	}
	return out
}

// EncodeRow encodes a product row as 4·p bytes, each entry little-endian.
func EncodeRow(row []int32) []byte {
	out := make([]byte, 4*len(row))
	for j, v := range row {
		binary.LittleEndian.PutUint32(out[4*j:], uint32(v))
	}
	return out
}

// LeafHash is SHA-256(0x00 ‖ be32(index) ‖ row bytes). Binding the index
// stops a prover from answering one sampled row with another.
func LeafHash(index uint32, rowBytes []byte) []byte {
	h := sha256.New()
	var idx [5]byte
	binary.BigEndian.PutUint32(idx[1:], index)
	h.Write(idx[:])
	h.Write(rowBytes)
	return h.Sum(nil)
}

// nodeHash is SHA-256(0x01 ‖ left ‖ right).
func nodeHash(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// Tree is a Merkle tree over leaf hashes. Levels are built bottom-up; a
// level with an odd count promotes its last node unchanged (RFC 6962 style,
// no duplication).
type Tree struct {
	levels [][][]byte
}

// NewTree builds the tree over leaves (at least one).
func NewTree(leaves [][]byte) (*Tree, error) {
	if len(leaves) == 0 {
		return nil, errors.New("poc: empty tree")
	}
	t := &Tree{levels: [][][]byte{leaves}}
	for cur := leaves; len(cur) > 1; {
		next := make([][]byte, 0, (len(cur)+1)/2)
		for i := 0; i+1 < len(cur); i += 2 {
			next = append(next, nodeHash(cur[i], cur[i+1]))
		}
		if len(cur)%2 == 1 {
			next = append(next, cur[len(cur)-1])
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t, nil
}

// Root returns the tree's root.
func (t *Tree) Root() []byte { return t.levels[len(t.levels)-1][0] }

// Proof returns the sibling hashes of leaf i from the bottom up, skipping
// levels where the node is promoted.
func (t *Tree) Proof(i uint32) [][]byte {
	var proof [][]byte
	idx := int(i)
	for _, level := range t.levels[:len(t.levels)-1] {
		sib := idx ^ 1
		if sib < len(level) {
			proof = append(proof, level[sib])
		}
		idx /= 2
	}
	return proof
}

// VerifyProof checks that leaf (the hash of row index of m rows) is in the
// tree with the given root.
func VerifyProof(root []byte, index, m uint32, leaf []byte, proof [][]byte) bool {
	if m == 0 || index >= m {
		return false
	}
	h, idx, size, used := leaf, index, m, 0
	for size > 1 {
		sib := idx ^ 1
		if sib < size {
			if used >= len(proof) || len(proof[used]) != sha256.Size {
				return false
			}
			if idx%2 == 0 {
				h = nodeHash(h, proof[used])
			} else {
				h = nodeHash(proof[used], h)
			}
			used++
		}
		idx /= 2
		size = size/2 + size%2 // ⌈size/2⌉ without overflow at m = MaxUint32
	}
	return used == len(proof) && string(h) == string(root)
}

// SampleIndices picks k distinct row indices out of m, in draw order, from
// the sample seed and the worker address: candidate c is
// be64(SHA-256("mesh/poc/v1/sample" ‖ sampleSeed ‖ worker ‖ be32(c))[:8]) mod m,
// for c = 0, 1, …, skipping repeats. With k ≥ m every row is returned in order.
func SampleIndices(sampleSeed, worker []byte, m, k uint32) []uint32 {
	if k >= m {
		out := make([]uint32, m)
		for i := range out {
			out[i] = uint32(i)
		}
		return out
	}
	out := make([]uint32, 0, k)
	seen := make(map[uint32]bool, k) // membership only; never iterated
	var ctr [4]byte
	for c := uint32(0); uint32(len(out)) < k; c++ {
		binary.BigEndian.PutUint32(ctr[:], c)
		h := sha256.New()
		h.Write(sampleDomain)
		h.Write(sampleSeed)
		h.Write(worker)
		h.Write(ctr[:])
		idx := uint32(binary.BigEndian.Uint64(h.Sum(nil)[:8]) % uint64(m))
		if !seen[idx] {
			seen[idx] = true
			out = append(out, idx)
		}
	}
	return out
}

// MaxRows bounds m: a row index is a uint32 (be32 in A's derivation and
// in the leaf), and ChallengeRows clamps to it.
const MaxRows = math.MaxUint32

// Dims are the shape of one challenge.
type Dims struct{ M, N, P int }

// Validate checks the dimensions are usable.
func (d Dims) Validate() error {
	if d.M <= 0 || d.N <= 0 || d.P <= 0 || d.N > MaxDim || d.P > MaxDim || uint64(d.M) > MaxRows {
		return fmt.Errorf("poc: invalid dimensions m=%d n=%d p=%d", d.M, d.N, d.P)
	}
	return nil
}

// Prove computes every product row with the reference loop, for tests and
// as the ground truth of faster backends: C's rows encoded, and the tree.
func Prove(seed []byte, d Dims) (rows [][]byte, tree *Tree, err error) {
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	b := GenB(seed, d.N, d.P)
	a := make([]int8, d.N)
	rows = make([][]byte, d.M)
	leaves := make([][]byte, d.M)
	for i := 0; i < d.M; i++ {
		FillARow(a, seed, uint32(i))
		rows[i] = EncodeRow(RowProduct(a, b, d.N, d.P))
		leaves[i] = LeafHash(uint32(i), rows[i])
	}
	tree, err = NewTree(leaves)
	return rows, tree, err
}

// VerifyRows recomputes the revealed rows of a challenge and checks them
// against the committed root. It returns (false, nil) for a row whose proof
// is valid but whose values are wrong (provable fraud), and an error for a
// malformed reveal (bad proof, wrong index order or size): those cannot be
// blamed on computation and are treated as a failed reveal by the caller.
func VerifyRows(seed, root []byte, d Dims, indices []uint32, rowIndex []uint32, values [][]byte, proofs [][][]byte) (correct bool, err error) {
	if err := d.Validate(); err != nil {
		return false, err
	}
	if len(rowIndex) != len(indices) || len(values) != len(indices) || len(proofs) != len(indices) {
		return false, fmt.Errorf("poc: %d rows revealed, %d sampled", len(rowIndex), len(indices))
	}
	for i, idx := range indices {
		if rowIndex[i] != idx {
			return false, fmt.Errorf("poc: row %d is index %d, sampled %d", i, rowIndex[i], idx)
		}
		if len(values[i]) != 4*d.P {
			return false, fmt.Errorf("poc: row %d has %d bytes, want %d", idx, len(values[i]), 4*d.P)
		}
		if !VerifyProof(root, idx, uint32(d.M), LeafHash(idx, values[i]), proofs[i]) {
			return false, fmt.Errorf("poc: invalid Merkle proof for row %d", idx)
		}
	}
	// Proofs hold: the rows are what was committed. Now recompute them.
	b := GenB(seed, d.N, d.P)
	a := make([]int8, d.N)
	for i, idx := range indices {
		FillARow(a, seed, idx)
		if string(EncodeRow(RowProduct(a, b, d.N, d.P))) != string(values[i]) {
			return false, nil
		}
	}
	return true, nil
}
