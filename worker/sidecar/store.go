// Package sidecar serves mesh.abci.v1.Sidecar for a validator's meshd: the
// commitments this worker has made and the chain has not shown yet. meshd
// asks once per height, while it extends its precommit vote, and carries the
// answer in its vote extension; the chain then applies each commitment as if
// the worker had sent MsgCommitPoC or MsgCommitResult, a block earlier than
// the worker's own tx would land. The worker's commit txs are the fallback
// (and the only path on a node without the sidecar): Grace holds them back
// long enough for the extension to land first.
//
// The loops publish into a Store once the state a commitment depends on is
// on disk (the reveal needs it), and drop an entry once they see the
// commitment on chain or its commit window closes. Commitments only reads
// memory: meshd calls it with a hard timeout, inside consensus.
package sidecar

import (
	"bytes"
	"cmp"
	"slices"
	"sync"

	abcitypes "github.com/llmesh/mesh/app/abci/types"
)

// MaxEntries bounds each kind of commitment a Store holds (and so the
// worker's share of a vote extension). A worker proves one epoch at a time,
// so only result commitments come near it, with many jobs in flight.
const MaxEntries = 64

// Store holds the worker's pending commitments. The zero value is not
// usable; a nil *Store is: every method does nothing (sidecar off).
type Store struct {
	worker []byte // the worker's 20-byte account address

	mu      sync.Mutex
	poc     map[int64]entry  // by epoch
	results map[uint64]entry // by job id
	seq     uint64           // publication order, for eviction
}

// entry is one commitment and the last height its window accepts it at.
type entry struct {
	value     []byte
	commitEnd int64
	seq       uint64
}

// NewStore makes an empty store for the worker with account address worker.
func NewStore(worker []byte) *Store {
	return &Store{worker: bytes.Clone(worker), poc: map[int64]entry{}, results: map[uint64]entry{}}
}

// PutPoC publishes the root committed to in epoch, whose commit window ends
// at commitEnd. Roots of earlier epochs are dropped: the chain takes a PoC
// commit for its current epoch only.
func (s *Store) PutPoC(epoch int64, root []byte, commitEnd int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := range s.poc {
		if e < epoch {
			delete(s.poc, e)
		}
	}
	put(s, s.poc, epoch, root, commitEnd)
}

// DropPoC forgets epoch's root (its commit is on chain, or cannot be made).
func (s *Store) DropPoC(epoch int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.poc, epoch)
}

// PutResult publishes the result commitment of job, whose commit phase
// ends at commitEnd.
func (s *Store) PutResult(job uint64, commitment []byte, commitEnd int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	put(s, s.results, job, commitment, commitEnd)
}

// DropResult forgets job's commitment.
func (s *Store) DropResult(job uint64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.results, job)
}

// Expire drops every commitment whose window has closed at height, the
// latest block: anything sent now lands at height+1 at the earliest.
func (s *Store) Expire(height int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.poc {
		if e.commitEnd <= height {
			delete(s.poc, k)
		}
	}
	for k, e := range s.results {
		if e.commitEnd <= height {
			delete(s.results, k)
		}
	}
}

// Len returns how many PoC roots and result commitments the store holds.
func (s *Store) Len() (poc, results int) {
	if s == nil {
		return 0, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.poc), len(s.results)
}

// Commitments is the answer for a vote extension at height: the entries a
// block at height+1 still accepts (all of them when height is 0), ordered
// by epoch and job id. The byte slices are shared and must not be changed.
func (s *Store) Commitments(height int64) *abcitypes.CommitmentsResponse {
	res := &abcitypes.CommitmentsResponse{}
	if s == nil {
		return res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	open := func(e entry) bool { return height <= 0 || height < e.commitEnd }
	for epoch, e := range s.poc {
		if open(e) {
			res.Poc = append(res.Poc, abcitypes.PoCCommitment{Worker: s.worker, Epoch: epoch, Root: e.value})
		}
	}
	for job, e := range s.results {
		if open(e) {
			res.Results = append(res.Results, abcitypes.ResultCommitment{Worker: s.worker, JobId: job, Commitment: e.value})
		}
	}
	slices.SortFunc(res.Poc, func(a, b abcitypes.PoCCommitment) int { return cmp.Compare(a.Epoch, b.Epoch) })
	slices.SortFunc(res.Results, func(a, b abcitypes.ResultCommitment) int { return cmp.Compare(a.JobId, b.JobId) })
	return res
}

// put stores (k, value) in m, evicting the entry published first when m is
// full: it has had the most vote extensions to land in already (the
// worker's own tx still commits it). Called with s.mu held.
func put[K comparable](s *Store, m map[K]entry, k K, value []byte, commitEnd int64) {
	old, ok := m[k]
	if ok && bytes.Equal(old.value, value) {
		// The loops publish again every poll: keep the entry's place.
		old.commitEnd = commitEnd
		m[k] = old
		return
	}
	s.seq++
	if !ok && len(m) >= MaxEntries {
		var oldest K
		first := true
		for key, e := range m {
			if first || e.seq < m[oldest].seq {
				oldest, first = key, false
			}
		}
		delete(m, oldest)
	}
	m[k] = entry{value: bytes.Clone(value), commitEnd: commitEnd, seq: s.seq}
}
