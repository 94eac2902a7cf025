package sidecar

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
)

var worker = bytes.Repeat([]byte{9}, 20)

func root(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestNilStoreIsOff(t *testing.T) {
	var s *Store
	s.PutPoC(1, root(1), 10)
	s.PutResult(1, root(1), 10)
	s.DropPoC(1)
	s.DropResult(1)
	s.Expire(5)
	poc, results := s.Len()
	require.Zero(t, poc+results)
	require.Empty(t, s.Commitments(1).Poc)
	require.Empty(t, s.Commitments(1).Results)
}

// The answer holds what was published, for the worker, ordered, while the
// next block still takes it.
func TestCommitmentsWhileTheWindowIsOpen(t *testing.T) {
	s := NewStore(worker)
	require.Equal(t, &abcitypes.CommitmentsResponse{}, s.Commitments(1), "nothing pending")

	s.PutPoC(3, root(3), 20)
	s.PutResult(8, root(8), 15)
	s.PutResult(2, root(2), 30)
	want := &abcitypes.CommitmentsResponse{
		Poc:     []abcitypes.PoCCommitment{{Worker: worker, Epoch: 3, Root: root(3)}},
		Results: []abcitypes.ResultCommitment{{Worker: worker, JobId: 2, Commitment: root(2)}, {Worker: worker, JobId: 8, Commitment: root(8)}},
	}
	require.Equal(t, want, s.Commitments(14))
	require.Equal(t, want, s.Commitments(0), "height unknown: everything")

	// A vote extension at height h lands at h+1: job 8 (commit_end 15) is
	// out at 15, the root (commit_end 20) at 20.
	got := s.Commitments(15)
	require.Len(t, got.Poc, 1)
	require.Equal(t, []abcitypes.ResultCommitment{{Worker: worker, JobId: 2, Commitment: root(2)}}, got.Results)
	require.Empty(t, s.Commitments(20).Poc)
	require.Len(t, s.Commitments(20).Results, 1)
	poc, results := s.Len()
	require.Equal(t, 1, poc)
	require.Equal(t, 2, results, "answering changes nothing")
}

func TestDropAndExpire(t *testing.T) {
	s := NewStore(worker)
	s.PutPoC(3, root(3), 20)
	s.PutResult(1, root(1), 15)
	s.PutResult(2, root(2), 30)

	s.DropResult(2) // seen on chain
	s.Expire(14)
	poc, results := s.Len()
	require.Equal(t, 1, poc)
	require.Equal(t, 1, results)

	s.Expire(15) // job 1's window closed
	poc, results = s.Len()
	require.Equal(t, 1, poc)
	require.Zero(t, results)

	s.DropPoC(3)
	require.Equal(t, &abcitypes.CommitmentsResponse{}, s.Commitments(0))
}

// A root for a new epoch replaces the old epoch's: the chain takes PoC
// commits for its current epoch only.
func TestNewEpochReplacesOldRoot(t *testing.T) {
	s := NewStore(worker)
	s.PutPoC(3, root(3), 20)
	s.PutPoC(4, root(4), 40)
	require.Equal(t, []abcitypes.PoCCommitment{{Worker: worker, Epoch: 4, Root: root(4)}}, s.Commitments(0).Poc)
	s.PutPoC(4, root(5), 40) // recomputed (the shape changed)
	require.Equal(t, root(5), s.Commitments(0).Poc[0].Root)
}

func TestBoundedEvictsFirstPublished(t *testing.T) {
	s := NewStore(worker)
	for id := uint64(1); id <= MaxEntries; id++ {
		s.PutResult(id, root(byte(id)), 100)
	}
	s.PutResult(1, root(1), 100) // published again every poll: keeps its place
	s.PutResult(MaxEntries+1, root(0), 100)
	_, results := s.Len()
	require.Equal(t, MaxEntries, results)
	got := s.Commitments(0).Results
	require.Equal(t, uint64(2), got[0].JobId, "job 1, published first, was evicted")
	require.Equal(t, uint64(MaxEntries+1), got[len(got)-1].JobId)

	// Out-of-order epochs (never the scheduler's way) hit the bound too.
	for e := int64(MaxEntries + 5); e >= 1; e-- {
		s.PutPoC(e, root(byte(e)), 100)
	}
	poc, _ := s.Len()
	require.Equal(t, MaxEntries, poc)
	require.Equal(t, int64(1), s.Commitments(0).Poc[0].Epoch)
}

func TestStoreCopiesInput(t *testing.T) {
	r := root(1)
	s := NewStore(worker)
	s.PutResult(1, r, 10)
	r[0] = 0xFF
	require.Equal(t, root(1), s.Commitments(0).Results[0].Commitment)
}

// The loops publish while meshd reads (run with -race).
func TestStoreConcurrentUse(t *testing.T) {
	s := NewStore(worker)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := uint64(g*1000 + i)
				s.PutResult(id, root(byte(i)), int64(i+10))
				s.PutPoC(int64(i), root(byte(i)), int64(i+10))
				_ = s.Commitments(int64(i))
				s.Expire(int64(i))
				s.DropResult(id)
			}
		}()
	}
	wg.Wait()
	_, results := s.Len()
	require.LessOrEqual(t, results, MaxEntries)
}
