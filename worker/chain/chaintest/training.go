package chaintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	query "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/worker/chain"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// The fake plays x/training's tasks and rounds as the keeper does
// (x/training/README.md), without money, pools or reputation:
//
//	join        OPEN or RUNNING; the join that reaches max(p, a) workers starts round 1
//	round n     seed SHA-256("training-round" ‖ be64(task) ‖ be32(n)) (the keeper asks x/compute);
//	            participants and aggregators drawn from the joined workers as the keeper draws
//	COMMIT      until commit_end (height ≥ it ends the phase), or every participant committed
//	REVEAL      until reveal_end, or every committer revealed
//	AGGREGATE   until aggregate_end, or every aggregator submitted → FINALIZED with ⌈2r/3⌉ votes, else FAILED
//	EMPTY       nobody committed, or nobody revealed
//
// After a round ends the next starts at once; after the last one the task is
// COMPLETED (a round FINALIZED) or FAILED. The datasets' items are served as
// added; a height pinned by x-cosmos-block-height is recorded, not honoured.

// TrainingPhases are the lengths of the fake's round phases.
type TrainingPhases struct {
	Commit, Reveal, Aggregate int64
}

type trainingState struct {
	phases   TrainingPhases
	datasets map[uint64][]uint64 // dataset → item ids, in id order
	items    []*trainingtypes.Item
	tasks    []*trainingtypes.Task
	workers  map[uint64][]string // joined workers, in join order
	rounds   map[uint64][]*trainingtypes.Round
	// ineligible workers are refused by MsgJoinTask (ErrNotEligible).
	ineligible map[string]bool
}

// TrainingCounts counts the x/training messages the fake executed and the
// Items queries it answered, with the heights they pinned.
type TrainingCounts struct {
	Joins, Commits, Reveals, Aggregates int
	ItemsHeights                        []int64
}

func (n *Node) tr() *trainingState {
	if n.training == nil {
		n.training = &trainingState{phases: TrainingPhases{Commit: 10, Reveal: 10, Aggregate: 10},
			datasets: map[uint64][]uint64{}, workers: map[uint64][]string{}, rounds: map[uint64][]*trainingtypes.Round{},
			ineligible: map[string]bool{}}
	}
	return n.training
}

// SetTrainingPhases sets the phase lengths of the rounds opened from now on.
func (n *Node) SetTrainingPhases(p TrainingPhases) { n.Do(func(n *Node) { n.tr().phases = p }) }

// SetTrainingIneligible makes MsgJoinTask refuse worker (ErrNotEligible).
func (n *Node) SetTrainingIneligible(worker string) {
	n.Do(func(n *Node) { n.tr().ineligible[worker] = true })
}

// AddDataset creates a dataset and returns its id (from 1).
func (n *Node) AddDataset() uint64 {
	var id uint64
	n.Do(func(n *Node) {
		t := n.tr()
		id = uint64(len(t.datasets) + 1)
		t.datasets[id] = []uint64{}
	})
	return id
}

// AddItem adds an inline item to a dataset and returns its id (from 1).
// Status defaults to OPEN.
func (n *Node) AddItem(it trainingtypes.Item) uint64 {
	var id uint64
	n.Do(func(n *Node) {
		t := n.tr()
		id = uint64(len(t.items) + 1)
		it.Id = id
		if it.Status == trainingtypes.ITEM_STATUS_UNSPECIFIED {
			it.Status = trainingtypes.ITEM_STATUS_OPEN
		}
		if len(it.Digest) == 0 && len(it.Data) > 0 {
			sum := sha256.Sum256(it.Data)
			it.Digest = sum[:]
		}
		t.items = append(t.items, &it)
		t.datasets[it.DatasetId] = append(t.datasets[it.DatasetId], id)
	})
	return id
}

// AddTrainingTask stores task with the next id (from 1) and returns it.
// Status defaults to OPEN and checkpoint_digest to base_digest.
func (n *Node) AddTrainingTask(task trainingtypes.Task) uint64 {
	var id uint64
	n.Do(func(n *Node) {
		t := n.tr()
		id = uint64(len(t.tasks) + 1)
		task.Id = id
		if task.Status == trainingtypes.TASK_STATUS_UNSPECIFIED {
			task.Status = trainingtypes.TASK_STATUS_OPEN
		}
		if len(task.CheckpointDigest) == 0 {
			task.CheckpointDigest = bytes.Clone(task.BaseDigest)
		}
		if task.CreatedHeight == 0 {
			task.CreatedHeight = n.height
		}
		t.tasks = append(t.tasks, &task)
	})
	return id
}

// TrainingTask returns a copy of task id and its workers (the zero Task when there is none).
func (n *Node) TrainingTask(id uint64) (trainingtypes.Task, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.tr()
	if task := t.task(id); task != nil {
		return *task, slices.Clone(t.workers[id])
	}
	return trainingtypes.Task{}, nil
}

// TrainingRound returns a copy of round number of task id (0: the current one).
func (n *Node) TrainingRound(id uint64, number uint32) (trainingtypes.Round, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r := n.tr().round(id, number); r != nil {
		return cloneRound(r), true
	}
	return trainingtypes.Round{}, false
}

// UpdateTrainingRound changes the current round of task id in place, e.g.
// to play another worker's commit.
func (n *Node) UpdateTrainingRound(id uint64, f func(r *trainingtypes.Round)) {
	n.Do(func(n *Node) {
		if r := n.tr().round(id, 0); r != nil {
			f(r)
		}
	})
}

// JoinTrainingTask plays another worker's MsgJoinTask (no tx, no checks
// but the task's status): the join that reaches max(p, a) workers starts
// round 1.
func (n *Node) JoinTrainingTask(id uint64, worker string) {
	n.Do(func(n *Node) {
		t := n.tr()
		task := t.task(id)
		if task == nil || slices.Contains(t.workers[id], worker) {
			return
		}
		t.workers[id] = append(t.workers[id], worker)
		task.Workers++
		if task.Status == trainingtypes.TASK_STATUS_OPEN && task.Workers >= max(task.ParticipantsPerRound, task.AggregatorsPerRound) {
			task.Status = trainingtypes.TASK_STATUS_RUNNING
			n.openRound(task, 1, n.height)
		}
	})
}

// TrainingCounts returns what the fake executed so far.
func (n *Node) TrainingCounts() TrainingCounts {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.trainingCounts
	c.ItemsHeights = slices.Clone(c.ItemsHeights)
	return c
}

func (t *trainingState) task(id uint64) *trainingtypes.Task {
	if id == 0 || id > uint64(len(t.tasks)) {
		return nil
	}
	return t.tasks[id-1]
}

func (t *trainingState) round(id uint64, number uint32) *trainingtypes.Round {
	task := t.task(id)
	if task == nil {
		return nil
	}
	if number == 0 {
		number = task.CurrentRound
	}
	rs := t.rounds[id]
	if number == 0 || int(number) > len(rs) {
		return nil
	}
	return rs[number-1]
}

func cloneRound(r *trainingtypes.Round) trainingtypes.Round {
	cp := *r
	cp.Updates = slices.Clone(r.Updates)
	cp.Aggregates = slices.Clone(r.Aggregates)
	return cp
}

// advanceTraining ends the phases whose deadline has come (lock held).
func (n *Node) advanceTraining() {
	if n.training == nil {
		return
	}
	t := n.training
	for _, task := range t.tasks {
		// A jump over several heights may end several phases and rounds.
		for task.Status == trainingtypes.TASK_STATUS_RUNNING {
			r := t.round(task.Id, 0)
			var end int64
			switch r.Phase {
			case trainingtypes.ROUND_PHASE_COMMIT:
				end = r.CommitEnd
			case trainingtypes.ROUND_PHASE_REVEAL:
				end = r.RevealEnd
			case trainingtypes.ROUND_PHASE_AGGREGATE:
				end = r.AggregateEnd
			}
			if n.height < end {
				break
			}
			n.endPhase(task, r, end)
		}
	}
}

// endPhase ends r's current phase at height h.
func (n *Node) endPhase(task *trainingtypes.Task, r *trainingtypes.Round, h int64) {
	t := n.tr()
	switch r.Phase {
	case trainingtypes.ROUND_PHASE_COMMIT:
		if countUpdates(r, func(u trainingtypes.Update) bool { return len(u.Commitment) > 0 }) == 0 {
			n.endRound(task, r, trainingtypes.ROUND_PHASE_EMPTY, h)
			return
		}
		r.Phase = trainingtypes.ROUND_PHASE_REVEAL
	case trainingtypes.ROUND_PHASE_REVEAL:
		if countUpdates(r, func(u trainingtypes.Update) bool { return u.Revealed }) == 0 {
			n.endRound(task, r, trainingtypes.ROUND_PHASE_EMPTY, h)
			return
		}
		r.RevealEnd = min(r.RevealEnd, h)
		if r.AggregateEnd <= h {
			r.AggregateEnd = h + t.phases.Aggregate
		}
		r.Phase = trainingtypes.ROUND_PHASE_AGGREGATE
	case trainingtypes.ROUND_PHASE_AGGREGATE:
		q := int(inferencetypes.Quorum(uint32(len(r.Aggregates))))
		best, bestN := inferencetypes.Plurality(r.Aggregates, func(a trainingtypes.Aggregate) []byte { return a.Digest })
		if best < 0 || bestN < q {
			n.endRound(task, r, trainingtypes.ROUND_PHASE_FAILED, h)
			return
		}
		digest := bytes.Clone(r.Aggregates[best].Digest)
		var losses []uint64
		for i := range r.Aggregates {
			a := &r.Aggregates[i]
			if bytes.Equal(a.Digest, digest) {
				if len(losses) == 0 {
					r.CheckpointUri = a.Uri
				}
				a.Agreed = true
				losses = append(losses, a.EvalLoss)
			}
		}
		slices.Sort(losses)
		r.CheckpointDigest, r.EvalLoss = digest, losses[(len(losses)-1)/2]
		task.CheckpointDigest, task.CheckpointUri = bytes.Clone(digest), r.CheckpointUri
		n.endRound(task, r, trainingtypes.ROUND_PHASE_FINALIZED, h)
	}
}

// endRound closes r and starts the next round at h, or ends the task.
func (n *Node) endRound(task *trainingtypes.Task, r *trainingtypes.Round, phase trainingtypes.RoundPhase, h int64) {
	r.Phase = phase
	if task.CurrentRound < task.Rounds {
		n.openRound(task, task.CurrentRound+1, h)
		return
	}
	task.Status = trainingtypes.TASK_STATUS_FAILED
	for _, r := range n.tr().rounds[task.Id] {
		if r.Phase == trainingtypes.ROUND_PHASE_FINALIZED {
			task.Status = trainingtypes.TASK_STATUS_COMPLETED
		}
	}
}

// TrainingSeed is the fake's round seed.
func TrainingSeed(taskID uint64, round uint32) []byte {
	b := append([]byte("training-round"), binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, taskID), round)...)
	sum := sha256.Sum256(b)
	return sum[:]
}

// openRound draws round number of task from its joined workers at h.
func (n *Node) openRound(task *trainingtypes.Task, number uint32, h int64) {
	t := n.tr()
	type cand struct {
		addr   []byte
		worker string
	}
	var cands []cand
	for _, w := range t.workers[task.Id] {
		addr, _ := chain.AddressCodec.StringToBytes(w)
		cands = append(cands, cand{addr, w})
	}
	slices.SortFunc(cands, func(a, b cand) int { return bytes.Compare(a.addr, b.addr) })
	seed := TrainingSeed(task.Id, number)
	draw := func(role string, k int) []string {
		type ranked struct {
			key []byte
			c   cand
		}
		rs := make([]ranked, len(cands))
		for i, c := range cands {
			sum := sha256.Sum256(append(append(bytes.Clone(seed), role...), c.addr...))
			rs[i] = ranked{sum[:], c}
		}
		slices.SortFunc(rs, func(a, b ranked) int {
			if c := bytes.Compare(a.key, b.key); c != 0 {
				return c
			}
			return bytes.Compare(a.c.addr, b.c.addr)
		})
		var out []string
		for _, r := range rs[:min(k, len(rs))] {
			out = append(out, r.c.worker)
		}
		return out
	}
	r := &trainingtypes.Round{TaskId: task.Id, Number: number, Phase: trainingtypes.ROUND_PHASE_COMMIT, Seed: seed,
		BaseDigest: bytes.Clone(task.CheckpointDigest), StartHeight: h, CommitEnd: h + t.phases.Commit}
	r.RevealEnd = r.CommitEnd + t.phases.Reveal
	r.AggregateEnd = r.RevealEnd + t.phases.Aggregate
	for _, w := range draw("participant", int(task.ParticipantsPerRound)) {
		r.Updates = append(r.Updates, trainingtypes.Update{Worker: w})
	}
	for _, w := range draw("aggregator", int(task.AggregatorsPerRound)) {
		r.Aggregates = append(r.Aggregates, trainingtypes.Aggregate{Worker: w})
	}
	t.rounds[task.Id] = append(t.rounds[task.Id], r)
	task.CurrentRound = number
}

func countUpdates(r *trainingtypes.Round, pred func(trainingtypes.Update) bool) (c int) {
	for _, u := range r.Updates {
		if pred(u) {
			c++
		}
	}
	return c
}

// runningRound returns task id's current round if the task is RUNNING and
// number is that round.
func (t *trainingState) runningRound(id uint64, number uint32, what string) (*trainingtypes.Task, *trainingtypes.Round, *abciErr) {
	task := t.task(id)
	if task == nil {
		return nil, nil, txErr(trainingtypes.ErrTaskNotFound, what)
	}
	if task.Status != trainingtypes.TASK_STATUS_RUNNING || number != task.CurrentRound {
		return nil, nil, txErr(trainingtypes.ErrWrongPhase, what)
	}
	return task, t.round(id, number), nil
}

// deliverTraining executes x/training's worker messages at height as the
// keeper does; dryRun checks without changing state.
func (n *Node) deliverTraining(msg any, height int64, dryRun bool) *abciErr {
	t := n.tr()
	switch m := msg.(type) {
	case *trainingtypes.MsgJoinTask:
		task := t.task(m.TaskId)
		switch {
		case task == nil:
			return txErr(trainingtypes.ErrTaskNotFound, "join")
		case task.Status != trainingtypes.TASK_STATUS_OPEN && task.Status != trainingtypes.TASK_STATUS_RUNNING:
			return txErr(trainingtypes.ErrTaskClosed, "join")
		case t.ineligible[m.Worker]:
			return txErr(trainingtypes.ErrNotEligible, "join")
		case slices.Contains(t.workers[m.TaskId], m.Worker):
			return txErr(trainingtypes.ErrAlreadyJoined, "join")
		}
		if dryRun {
			return nil
		}
		t.workers[m.TaskId] = append(t.workers[m.TaskId], m.Worker)
		task.Workers++
		n.trainingCounts.Joins++
		if task.Status == trainingtypes.TASK_STATUS_OPEN && task.Workers >= max(task.ParticipantsPerRound, task.AggregatorsPerRound) {
			task.Status = trainingtypes.TASK_STATUS_RUNNING
			n.openRound(task, 1, height)
		}
	case *trainingtypes.MsgCommitUpdate:
		_, r, err := t.runningRound(m.TaskId, m.Round, "commit")
		if err != nil {
			return err
		}
		u := updateOf(r, m.Worker)
		switch {
		case r.Phase != trainingtypes.ROUND_PHASE_COMMIT || height > r.CommitEnd:
			return txErr(trainingtypes.ErrWrongPhase, "commit")
		case u == nil:
			return txErr(trainingtypes.ErrNotParticipant, "commit")
		case len(u.Commitment) != 0:
			return txErr(trainingtypes.ErrAlreadyCommitted, "commit")
		case len(m.Commitment) != trainingtypes.UpdateCommitmentLength:
			return txErr(trainingtypes.ErrInvalidUpdate, "commit")
		}
		if dryRun {
			return nil
		}
		u.Commitment = bytes.Clone(m.Commitment)
		n.trainingCounts.Commits++
		if countUpdates(r, func(u trainingtypes.Update) bool { return len(u.Commitment) > 0 }) == len(r.Updates) {
			r.Phase = trainingtypes.ROUND_PHASE_REVEAL
			r.CommitEnd = height
			r.RevealEnd = height + t.phases.Reveal
			r.AggregateEnd = r.RevealEnd + t.phases.Aggregate
		}
	case *trainingtypes.MsgRevealUpdate:
		task, r, err := t.runningRound(m.TaskId, m.Round, "reveal")
		if err != nil {
			return err
		}
		u := updateOf(r, m.Worker)
		addr, _ := chain.AddressCodec.StringToBytes(m.Worker)
		switch {
		case r.Phase != trainingtypes.ROUND_PHASE_REVEAL || height > r.RevealEnd:
			return txErr(trainingtypes.ErrWrongPhase, "reveal")
		case u == nil:
			return txErr(trainingtypes.ErrNotParticipant, "reveal")
		case len(m.Digest) != trainingtypes.UpdateDigestLength || m.Samples == 0 ||
			len(m.Salt) < trainingtypes.MinUpdateSaltLength || len(m.Salt) > trainingtypes.MaxUpdateSaltLength ||
			len(m.Uri) > trainingtypes.MaxUpdateURILength:
			return txErr(trainingtypes.ErrInvalidUpdate, "reveal")
		case len(u.Commitment) == 0:
			return txErr(trainingtypes.ErrNoCommitment, "reveal")
		case u.Revealed:
			return txErr(trainingtypes.ErrAlreadyRevealed, "reveal")
		case !bytes.Equal(u.Commitment, trainingtypes.UpdateCommitment(task.Id, r.Number, addr, m.Digest, m.Samples, m.Loss, m.Salt)):
			return txErr(trainingtypes.ErrBadReveal, "reveal")
		}
		if dryRun {
			return nil
		}
		u.Digest, u.Samples, u.Loss, u.Uri, u.Revealed = bytes.Clone(m.Digest), m.Samples, m.Loss, m.Uri, true
		n.trainingCounts.Reveals++
		committed := countUpdates(r, func(u trainingtypes.Update) bool { return len(u.Commitment) > 0 })
		if countUpdates(r, func(u trainingtypes.Update) bool { return u.Revealed }) == committed {
			n.endPhase(task, r, height)
		}
	case *trainingtypes.MsgSubmitAggregate:
		task, r, err := t.runningRound(m.TaskId, m.Round, "aggregate")
		if err != nil {
			return err
		}
		var a *trainingtypes.Aggregate
		for i := range r.Aggregates {
			if r.Aggregates[i].Worker == m.Worker {
				a = &r.Aggregates[i]
			}
		}
		switch {
		case r.Phase != trainingtypes.ROUND_PHASE_AGGREGATE || height > r.AggregateEnd:
			return txErr(trainingtypes.ErrWrongPhase, "aggregate")
		case a == nil:
			return txErr(trainingtypes.ErrNotAggregator, "aggregate")
		case len(a.Digest) != 0:
			return txErr(trainingtypes.ErrAlreadySubmitted, "aggregate")
		case len(m.Digest) != trainingtypes.UpdateDigestLength || len(m.Uri) > trainingtypes.MaxUpdateURILength:
			return txErr(trainingtypes.ErrInvalidUpdate, "aggregate")
		}
		if dryRun {
			return nil
		}
		a.Digest, a.Uri, a.EvalLoss = bytes.Clone(m.Digest), m.Uri, m.EvalLoss
		n.trainingCounts.Aggregates++
		for _, a := range r.Aggregates {
			if len(a.Digest) == 0 {
				return nil
			}
		}
		n.endPhase(task, r, height)
	}
	return nil
}

func updateOf(r *trainingtypes.Round, worker string) *trainingtypes.Update {
	for i := range r.Updates {
		if r.Updates[i].Worker == worker {
			return &r.Updates[i]
		}
	}
	return nil
}

type trainingServer struct {
	trainingtypes.UnimplementedQueryServer
	n *Node
}

func (s *trainingServer) Task(_ context.Context, req *trainingtypes.QueryTaskRequest) (*trainingtypes.QueryTaskResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	t := s.n.tr()
	task := t.task(req.Id)
	if task == nil {
		return nil, status.Errorf(codes.NotFound, "task %d not found", req.Id)
	}
	return &trainingtypes.QueryTaskResponse{Task: *task, Workers: slices.Clone(t.workers[req.Id])}, nil
}

// pageBounds reads a be64 index key and a limit (default 100).
func pageBounds(p *query.PageRequest) (start, limit uint64) {
	limit = 100
	if p != nil {
		if len(p.Key) == 8 {
			start = binary.BigEndian.Uint64(p.Key)
		}
		if p.Limit > 0 {
			limit = p.Limit
		}
	}
	return start, limit
}

func (s *trainingServer) Tasks(_ context.Context, req *trainingtypes.QueryTasksRequest) (*trainingtypes.QueryTasksResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	t := s.n.tr()
	start, limit := pageBounds(req.Pagination)
	res := &trainingtypes.QueryTasksResponse{Pagination: &query.PageResponse{}}
	for i := start; i < uint64(len(t.tasks)); i++ {
		if uint64(len(res.Tasks)) == limit {
			res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, i)
			break
		}
		res.Tasks = append(res.Tasks, *t.tasks[i])
	}
	return res, nil
}

func (s *trainingServer) Round(_ context.Context, req *trainingtypes.QueryRoundRequest) (*trainingtypes.QueryRoundResponse, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	r := s.n.tr().round(req.TaskId, req.Number)
	if r == nil {
		return nil, status.Errorf(codes.NotFound, "task %d round %d not found", req.TaskId, req.Number)
	}
	return &trainingtypes.QueryRoundResponse{Round: cloneRound(r)}, nil
}

func (s *trainingServer) Items(ctx context.Context, req *trainingtypes.QueryItemsRequest) (*trainingtypes.QueryItemsResponse, error) {
	n := s.n
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.tr()
	ids, ok := t.datasets[req.DatasetId]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "dataset %d not found", req.DatasetId)
	}
	var h int64
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(grpctypes.GRPCBlockHeightHeader); len(v) > 0 {
			h, _ = strconv.ParseInt(v[0], 10, 64)
		}
	}
	n.trainingCounts.ItemsHeights = append(n.trainingCounts.ItemsHeights, h)
	start, limit := pageBounds(req.Pagination)
	res := &trainingtypes.QueryItemsResponse{Pagination: &query.PageResponse{}}
	for i := start; i < uint64(len(ids)); i++ {
		if uint64(len(res.Items)) == limit {
			res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, i)
			break
		}
		res.Items = append(res.Items, *t.items[ids[i]-1])
	}
	return res, nil
}
