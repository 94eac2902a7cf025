package chaintest

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	query "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/worker/chain"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// The fake plays x/inference's commit–reveal for jobs the test adds:
//
//	COMMITTING → REVEALING  when every assigned worker committed, or past commit_end with a commitment
//	COMMITTING → EXPIRED    past commit_end without a commitment
//	REVEALING  → settled    when every committed worker revealed, or past the deadline:
//	                        FINALIZED with ⌈2r/3⌉ identical digests (EXACT) or values
//	                        within tolerance of the median (MEDIAN), FAILED otherwise,
//	                        EXPIRED when nobody revealed.

// AddModel registers (or replaces) a model.
func (n *Node) AddModel(m inferencetypes.Model) { n.Do(func(n *Node) { n.models[m.Id] = m }) }

// Assign makes one empty assignment per worker.
func Assign(workers ...string) []inferencetypes.Assignment {
	out := make([]inferencetypes.Assignment, len(workers))
	for i, w := range workers {
		out[i].Worker = w
	}
	return out
}

// AddJob stores j with the next id (from 1) and returns it. Status defaults
// to COMMITTING, redundancy to the number of assignments, created_height to
// the current height.
func (n *Node) AddJob(j inferencetypes.Job) uint64 {
	var id uint64
	n.Do(func(n *Node) {
		id = uint64(len(n.jobs) + 1)
		j.Id = id
		if j.Status == inferencetypes.JOB_STATUS_UNSPECIFIED {
			j.Status = inferencetypes.JOB_STATUS_COMMITTING
		}
		if j.Redundancy == 0 {
			j.Redundancy = uint32(len(j.Assignments))
		}
		if j.CreatedHeight == 0 {
			j.CreatedHeight = n.height
		}
		if len(j.Input) > 0 && len(j.InputDigest) == 0 {
			j.InputDigest = inferencetypes.Digest(j.Input)
		}
		n.jobs = append(n.jobs, &j)
	})
	return id
}

// Job returns a copy of job id (the zero Job when there is none).
func (n *Node) Job(id uint64) inferencetypes.Job {
	n.mu.Lock()
	defer n.mu.Unlock()
	if j := n.job(id); j != nil {
		return cloneJob(j)
	}
	return inferencetypes.Job{}
}

// UpdateJob changes job id in place, e.g. to play another worker's commit.
func (n *Node) UpdateJob(id uint64, f func(j *inferencetypes.Job)) {
	n.Do(func(n *Node) {
		if j := n.job(id); j != nil {
			f(j)
		}
	})
}

func (n *Node) job(id uint64) *inferencetypes.Job {
	if id == 0 || id > uint64(len(n.jobs)) {
		return nil
	}
	return n.jobs[id-1]
}

func cloneJob(j *inferencetypes.Job) inferencetypes.Job {
	cp := *j
	cp.Assignments = slices.Clone(j.Assignments)
	return cp
}

// advanceJobs applies the height-driven transitions (called with the lock held).
func (n *Node) advanceJobs() {
	for _, j := range n.jobs {
		if j.Status == inferencetypes.JOB_STATUS_COMMITTING && n.height > j.CommitEnd {
			if committed(j) > 0 {
				j.Status = inferencetypes.JOB_STATUS_REVEALING
			} else {
				n.end(j, inferencetypes.JOB_STATUS_EXPIRED)
			}
		}
		if j.Status == inferencetypes.JOB_STATUS_REVEALING && n.height > j.Deadline {
			n.settle(j)
		}
	}
}

func committed(j *inferencetypes.Job) (c int) {
	for _, a := range j.Assignments {
		if len(a.Commitment) > 0 {
			c++
		}
	}
	return c
}

func (n *Node) end(j *inferencetypes.Job, s inferencetypes.JobStatus) {
	j.Status, j.EndedHeight = s, n.height
}

// settle ends a job on its reveals.
func (n *Node) settle(j *inferencetypes.Job) {
	var revealed []int
	for i, a := range j.Assignments {
		if a.RevealHeight > 0 {
			revealed = append(revealed, i)
		}
	}
	if len(revealed) == 0 {
		n.end(j, inferencetypes.JOB_STATUS_EXPIRED)
		return
	}
	quorum := inferencetypes.Quorum(j.Redundancy)
	for _, i := range revealed {
		ref := j.Assignments[i]
		var agree []int
		for _, k := range revealed {
			if agrees(j, ref.Output, j.Assignments[k].Output) {
				agree = append(agree, k)
			}
		}
		if uint32(len(agree)) >= quorum {
			for _, k := range agree {
				j.Assignments[k].Agreed = true
			}
			j.Result, j.ResultDigest = ref.Output, inferencetypes.Digest(ref.Output)
			n.end(j, inferencetypes.JOB_STATUS_FINALIZED)
			return
		}
	}
	n.end(j, inferencetypes.JOB_STATUS_FAILED)
}

// agrees compares two answers as the job's mode does (MEDIAN simplified to
// "within tolerance of each other").
func agrees(j *inferencetypes.Job, a, b []byte) bool {
	if j.Mode != inferencetypes.CONSENSUS_MODE_MEDIAN {
		return bytes.Equal(a, b)
	}
	x, okA := inferencetypes.ParseMedianOutput(a)
	y, okB := inferencetypes.ParseMedianOutput(b)
	d := x - y
	if d < 0 {
		d = -d
	}
	return okA && okB && d <= j.Tolerance
}

func assignment(j *inferencetypes.Job, worker string) *inferencetypes.Assignment {
	for i := range j.Assignments {
		if j.Assignments[i].Worker == worker {
			return &j.Assignments[i]
		}
	}
	return nil
}

// deliverInference executes MsgCommitResult and MsgRevealResult at height
// as x/inference's keeper does; dryRun checks without changing state.
func (n *Node) deliverInference(msg any, height int64, dryRun bool) *abciErr {
	switch m := msg.(type) {
	case *inferencetypes.MsgCommitResult:
		j := n.job(m.JobId)
		if j == nil {
			return txErr(inferencetypes.ErrJobNotFound, "commit")
		}
		a := assignment(j, m.Worker)
		switch {
		case a == nil:
			return txErr(inferencetypes.ErrNotAssigned, "commit")
		case !inferencetypes.IsOpen(j.Status):
			return txErr(inferencetypes.ErrJobEnded, "commit")
		case len(a.Commitment) > 0:
			return txErr(inferencetypes.ErrAlreadyCommitted, "commit")
		case a.Verifier && (j.Status != inferencetypes.JOB_STATUS_VERIFYING || height > j.CommitEnd):
			return txErr(inferencetypes.ErrCommitPhaseOver, "commit")
		case !a.Verifier && (j.Status != inferencetypes.JOB_STATUS_COMMITTING || height > j.CommitEnd):
			return txErr(inferencetypes.ErrCommitPhaseOver, "commit")
		case len(m.Commitment) != inferencetypes.CommitmentLength:
			return txErr(inferencetypes.ErrInvalidCommitment, "commit")
		}
		if dryRun {
			return nil
		}
		a.Commitment, a.CommitHeight = m.Commitment, height
		a.CommitOrder = uint32(committed(j))
		n.ResultCommits++
		if !a.Verifier && committed(j) == len(j.Assignments) {
			j.Status = inferencetypes.JOB_STATUS_REVEALING
		}
	case *inferencetypes.MsgRevealResult:
		j := n.job(m.JobId)
		if j == nil {
			return txErr(inferencetypes.ErrJobNotFound, "reveal")
		}
		a := assignment(j, m.Worker)
		addr, _ := chain.AddressCodec.StringToBytes(m.Worker)
		if a != nil && a.Verifier {
			return n.revealVerdict(j, a, addr, m, height, dryRun)
		}
		switch {
		case a == nil:
			return txErr(inferencetypes.ErrNotAssigned, "reveal")
		case !inferencetypes.IsOpen(j.Status):
			return txErr(inferencetypes.ErrJobEnded, "reveal")
		case j.Status != inferencetypes.JOB_STATUS_REVEALING:
			return txErr(inferencetypes.ErrWrongPhase, "reveal")
		case height > j.Deadline:
			return txErr(inferencetypes.ErrDeadlinePassed, "reveal")
		case len(a.Commitment) == 0:
			return txErr(inferencetypes.ErrNotCommitted, "reveal")
		case a.RevealHeight > 0:
			return txErr(inferencetypes.ErrAlreadyRevealed, "reveal")
		case len(m.Output) == 0 || len(m.Output) > 1024 || len(m.Salt) < inferencetypes.MinSaltLength ||
			len(m.OutputDigest) > 0 && !bytes.Equal(m.OutputDigest, inferencetypes.Digest(m.Output)):
			return txErr(inferencetypes.ErrInvalidOutput, "reveal")
		case !bytes.Equal(a.Commitment, inferencetypes.Commitment(j.Id, addr, inferencetypes.Digest(m.Output), m.Salt)):
			return txErr(inferencetypes.ErrCommitmentMismatch, "reveal")
		}
		if dryRun {
			return nil
		}
		a.Output, a.OutputDigest, a.RevealHeight = m.Output, inferencetypes.Digest(m.Output), height
		n.ResultReveals++
		if j.Mode == inferencetypes.CONSENSUS_MODE_VERIFY {
			// The generator revealed: the test draws the verifiers.
			j.Status = inferencetypes.JOB_STATUS_VERIFYING
			return nil
		}
		revealed := 0
		for _, b := range j.Assignments {
			if b.RevealHeight > 0 {
				revealed++
			}
		}
		if revealed == committed(j) {
			n.settle(j)
		}
	}
	return nil
}

type inferenceServer struct {
	inferencetypes.UnimplementedQueryServer
	n *Node
}

func (s *inferenceServer) Model(_ context.Context, req *inferencetypes.QueryModelRequest) (*inferencetypes.QueryModelResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	m, ok := s.n.models[req.Id]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "model %q not found", req.Id)
	}
	return &inferencetypes.QueryModelResponse{Model: m}, nil
}

func (s *inferenceServer) Job(_ context.Context, req *inferencetypes.QueryJobRequest) (*inferencetypes.QueryJobResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	j := s.n.job(req.Id)
	if j == nil {
		return nil, status.Errorf(codes.NotFound, "job %d not found", req.Id)
	}
	return &inferencetypes.QueryJobResponse{Job: cloneJob(j)}, nil
}

// Jobs filters by requester, worker, status and open_only, in id order;
// the page key is the be64 index of the next job.
func (s *inferenceServer) Jobs(_ context.Context, req *inferencetypes.QueryJobsRequest) (*inferencetypes.QueryJobsResponse, error) {
	n := s.n
	n.mu.Lock()
	defer n.mu.Unlock()
	n.JobsQueries++
	var start uint64
	limit := uint64(100)
	if p := req.Pagination; p != nil {
		if len(p.Key) == 8 {
			start = binary.BigEndian.Uint64(p.Key)
		}
		if p.Limit > 0 {
			limit = p.Limit
		}
	}
	if n.JobsPageLimit > 0 {
		limit = min(limit, uint64(n.JobsPageLimit))
	}
	res := &inferencetypes.QueryJobsResponse{Pagination: &query.PageResponse{}}
	for i := start; i < uint64(len(n.jobs)); i++ {
		j := n.jobs[i]
		if req.Requester != "" && j.Requester != req.Requester ||
			req.Worker != "" && assignment(j, req.Worker) == nil ||
			req.Status != inferencetypes.JOB_STATUS_UNSPECIFIED && j.Status != req.Status ||
			req.OpenOnly && !inferencetypes.IsOpen(j.Status) {
			continue
		}
		if uint64(len(res.Jobs)) == limit {
			res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, i)
			break
		}
		res.Jobs = append(res.Jobs, cloneJob(j))
	}
	return res, nil
}

// revealVerdict executes a VERIFY verifier's reveal as x/inference does:
// after every verifier committed or commit_end, consistent with the job's
// spec, matching the commitment. The job is settled by the test.
func (n *Node) revealVerdict(j *inferencetypes.Job, a *inferencetypes.Assignment, addr []byte, m *inferencetypes.MsgRevealResult, height int64, dryRun bool) *abciErr {
	switch {
	case j.Status != inferencetypes.JOB_STATUS_VERIFYING || !j.VerdictRevealsOpen(height):
		return txErr(inferencetypes.ErrWrongPhase, "reveal")
	case height > j.Deadline:
		return txErr(inferencetypes.ErrDeadlinePassed, "reveal")
	case len(a.Commitment) == 0:
		return txErr(inferencetypes.ErrNotCommitted, "reveal")
	case a.RevealHeight > 0:
		return txErr(inferencetypes.ErrAlreadyRevealed, "reveal")
	case m.Verdict == nil || j.Verify == nil || j.Verify.Accepts(*m.Verdict) != m.Verdict.Accept:
		return txErr(inferencetypes.ErrInvalidVerdict, "reveal")
	case !bytes.Equal(a.Commitment, inferencetypes.Commitment(j.Id, addr, inferencetypes.VerdictDigest(*m.Verdict), m.Salt)):
		return txErr(inferencetypes.ErrCommitmentMismatch, "reveal")
	}
	if dryRun {
		return nil
	}
	v := *m.Verdict
	a.Verdict, a.OutputDigest, a.RevealHeight = &v, inferencetypes.VerdictDigest(v), height
	n.ResultReveals++
	return nil
}
