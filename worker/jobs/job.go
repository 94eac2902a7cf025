package jobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/internal/poll"
	"github.com/llmesh/mesh/worker/state"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// SaltBytes is the length of a commitment's salt.
const SaltBytes = 32

// handle moves one open job on and returns the worker's phase in it.
func (l *Loop) handle(ctx context.Context, height int64, j *inferencetypes.Job) (string, error) {
	a := assignmentOf(j, l.chain.Address())
	if a == nil {
		return "", nil // not ours: the query filters by worker, so a node quirk
	}
	rec, found, err := l.cfg.Store.Get(j.Id)
	if err != nil {
		l.logOnce(slog.LevelError, j.Id, "unreadable", "job record unreadable", "err", err)
		found = false
	}
	committed := len(a.Commitment) > 0
	if committed || j.Status != inferencetypes.JOB_STATUS_COMMITTING || a.Verifier {
		l.cfg.Sidecar.DropResult(j.Id)
	}
	if committed && found && !bytes.Equal(rec.Commitment, a.Commitment) {
		// Another process with the same key, or a damaged record: our salt
		// does not open this commitment.
		l.logOnce(slog.LevelError, j.Id, "foreign", "the commitment on chain is not the one in our record (another worker with this key?): cannot reveal",
			"chain", fmt.Sprintf("%X", a.Commitment), "local", fmt.Sprintf("%X", rec.Commitment))
		return "stuck", nil
	}
	if committed && found && !rec.Committed {
		rec.Committed = true
		if err := l.cfg.Store.Save(rec); err != nil {
			return "committed", l.fail(err)
		}
		l.m.JobsCommitted.Inc()
		l.st.Update(func(s *health.Snapshot) { s.LastJobCommitted = j.Id })
		l.log.Info("commitment on chain", "job", j.Id, "height", a.CommitHeight)
	}
	if a.Verifier {
		return l.verifierPhase(ctx, height, j, a, rec, found, committed)
	}
	switch j.Status {
	case inferencetypes.JOB_STATUS_VERIFYING:
		// A VERIFY job's generator: its output is on chain, verifiers judge it.
		if found && !rec.Revealed {
			l.markRevealed(rec)
		}
		return "verifying", nil
	case inferencetypes.JOB_STATUS_COMMITTING:
		if committed {
			return "committed", nil
		}
		return l.commitPhase(ctx, height, j, rec, found)
	case inferencetypes.JOB_STATUS_REVEALING:
		if !committed {
			l.logOnce(slog.LevelWarn, j.Id, "no-commit", "job in its reveal phase without our commitment: nothing to reveal")
			return "skipped", nil
		}
		if a.RevealHeight > 0 {
			if found && !rec.Revealed {
				l.markRevealed(rec)
			}
			return "revealed", nil
		}
		return l.revealPhase(ctx, height, j, a, rec, found)
	}
	return "", nil
}

func assignmentOf(j *inferencetypes.Job, worker string) *inferencetypes.Assignment {
	for i := range j.Assignments {
		if j.Assignments[i].Worker == worker {
			return &j.Assignments[i]
		}
	}
	return nil
}

func (l *Loop) markRevealed(rec state.JobRecord) {
	rec.Revealed = true
	if err := l.cfg.Store.Save(rec); err != nil {
		l.log.Warn("saving job record", "job", rec.JobID, "err", err)
	}
	l.m.JobsRevealed.Inc()
	l.st.Update(func(s *health.Snapshot) { s.LastJobRevealed = rec.JobID })
	l.log.Info("reveal on chain", "job", rec.JobID)
}

// commitPhase: the job takes commitments and ours is not on chain.
func (l *Loop) commitPhase(ctx context.Context, height int64, j *inferencetypes.Job, rec state.JobRecord, found bool) (string, error) {
	// A tx broadcast now lands at height+1 at the earliest.
	if height >= j.CommitEnd {
		if found && rec.CommitTx != "" {
			l.logOnce(slog.LevelWarn, j.Id, "commit-lost", "commit not included before the commit window closed", "tx", rec.CommitTx, "commit_end", j.CommitEnd)
		} else {
			l.logOnce(slog.LevelWarn, j.Id, "commit-skip", "commit window closed before an output was ready", "height", height, "commit_end", j.CommitEnd)
		}
		return "skipped", nil
	}
	if !found {
		return l.startInference(ctx, j), nil
	}
	if isVerifier(j, l.chain.Address()) {
		// Verdicts go by tx only (the vote extension carries result commitments).
		return l.queueCommit(ctx, height, j, rec)
	}
	// (Again after a restart: the store is memory.)
	l.cfg.Sidecar.PutResult(j.Id, rec.Commitment, j.CommitEnd)
	if rec.CommitTx == "" && l.grace.Hold(j.Id, height, j.CommitEnd) {
		l.logOnce(slog.LevelInfo, j.Id, "commit-held", "commit tx held back for the vote extension",
			"grace_blocks", l.cfg.SidecarGrace, "height", height, "commit_end", j.CommitEnd)
		return "committing", nil
	}
	if rec.CommitTx == "" && l.grace.Held(j.Id) {
		l.logOnce(slog.LevelInfo, j.Id, "commit-fallback", "commitment not landed from the vote extension: broadcasting the commit tx",
			"height", height, "commit_end", j.CommitEnd)
	}
	return l.queueCommit(ctx, height, j, rec)
}

// queueCommit adds the job's commit to the Step's batch unless one was
// broadcast (or refused) recently.
func (l *Loop) queueCommit(ctx context.Context, height int64, j *inferencetypes.Job, rec state.JobRecord) (string, error) {
	if rec.CommitTx != "" && poll.Within(height, rec.CommitHeight, l.cfg.ResendAfter) || l.refusedRecently(j.Id, height) {
		return "committing", nil // broadcast (or refused) recently: wait
	}
	if rec.CommitTx != "" {
		if err := l.checkPending(ctx, j.Id, "commit", rec.CommitTx); err != nil {
			return "committing", err
		}
	}
	l.batch = append(l.batch, pendingTx{what: "commit", rec: rec, height: height, timeout: j.CommitEnd,
		msg: &inferencetypes.MsgCommitResult{Worker: l.chain.Address(), JobId: j.Id, Commitment: rec.Commitment}})
	return "committing", nil
}

// revealPhase: our commitment is on chain and the job takes reveals.
func (l *Loop) revealPhase(ctx context.Context, height int64, j *inferencetypes.Job, a *inferencetypes.Assignment, rec state.JobRecord, found bool) (string, error) {
	if height >= j.Deadline {
		l.logOnce(slog.LevelWarn, j.Id, "reveal-skip", "reveal window closed before our reveal", "height", height, "deadline", j.Deadline)
		return "skipped", nil
	}
	if !found {
		l.logOnce(slog.LevelError, j.Id, "lost", "our commitment is on chain but its record (output and salt) is gone: cannot reveal",
			"commitment", fmt.Sprintf("%X", a.Commitment))
		return "stuck", nil
	}
	if rec.RevealTx != "" && poll.Within(height, rec.RevealHeight, l.cfg.ResendAfter) || l.refusedRecently(j.Id, height) {
		return "revealing", nil
	}
	if rec.RevealTx != "" {
		if err := l.checkPending(ctx, j.Id, "reveal", rec.RevealTx); err != nil {
			return "revealing", err
		}
	}
	msg := &inferencetypes.MsgRevealResult{Worker: l.chain.Address(), JobId: j.Id,
		Output: rec.Output, OutputDigest: rec.OutputDigest, Salt: rec.Salt}
	if rec.Verdict != nil {
		msg = &inferencetypes.MsgRevealResult{Worker: l.chain.Address(), JobId: j.Id, Verdict: rec.Verdict, Salt: rec.Salt}
	}
	l.batch = append(l.batch, pendingTx{what: "reveal", rec: rec, height: height, timeout: j.Deadline, msg: msg})
	return "revealing", nil
}

// isVerifier reports whether worker holds a verifier seat of j.
func isVerifier(j *inferencetypes.Job, worker string) bool {
	a := assignmentOf(j, worker)
	return a != nil && a.Verifier
}

// verifierPhase moves on a verifier seat of a VERIFY job: once drawn
// (VERIFYING), score the generator's output and commit to the verdict
// before commit_end; reveal it once every verifier committed or the commit
// phase is over (the chain's rule), before the deadline.
func (l *Loop) verifierPhase(ctx context.Context, height int64, j *inferencetypes.Job, a *inferencetypes.Assignment,
	rec state.JobRecord, found, committed bool,
) (string, error) {
	if j.Status != inferencetypes.JOB_STATUS_VERIFYING {
		return "", nil
	}
	if !committed {
		return l.commitPhase(ctx, height, j, rec, found)
	}
	if a.RevealHeight > 0 {
		if found && !rec.Revealed {
			l.markRevealed(rec)
		}
		return "revealed", nil
	}
	// A tx broadcast now lands at height+1 at the earliest.
	if !j.VerdictRevealsOpen(height + 1) {
		return "committed", nil
	}
	return l.revealPhase(ctx, height, j, a, rec, found)
}

// pendingTx is a commit or reveal a Step will broadcast.
type pendingTx struct {
	what    string // "commit" or "reveal"
	rec     state.JobRecord
	height  int64
	timeout int64
	msg     sdk.Msg
}

// flush broadcasts the Step's commits and reveals in one tx (a worker with
// many concurrent jobs would otherwise spend a block on its tx round trips).
// If the chain refuses the batch, each message is sent alone, so one job's
// problem does not hold up the others.
//
// With the sidecar on, commits and reveals leave in two txs: a commit that
// the vote extension carried into the block first fails our tx in that
// block, and it must not take reveals down with it.
func (l *Loop) flush(ctx context.Context) error {
	batch := l.batch
	l.batch = nil
	if l.cfg.Sidecar == nil {
		return l.broadcast(ctx, batch)
	}
	var commits, reveals []pendingTx
	for _, p := range batch {
		if p.what == "commit" {
			commits = append(commits, p)
		} else {
			reveals = append(reveals, p)
		}
	}
	err := l.broadcast(ctx, reveals)
	if chain.Unreachable(err) {
		return err
	}
	return errors.Join(err, l.broadcast(ctx, commits))
}

// broadcast sends batch in one tx, or message by message if it is refused.
func (l *Loop) broadcast(ctx context.Context, batch []pendingTx) error {
	if len(batch) > 1 {
		msgs := make([]sdk.Msg, len(batch))
		timeout := batch[0].timeout
		for i, p := range batch {
			msgs[i], timeout = p.msg, min(timeout, p.timeout)
		}
		hash, err := l.chain.Broadcast(ctx, timeout, msgs...)
		if err == nil {
			var errs []error
			for _, p := range batch {
				errs = append(errs, l.sent(p, hash))
			}
			return errors.Join(errs...)
		}
		if chain.Unreachable(err) {
			return l.nodeErr("broadcast", err)
		}
		l.log.Warn("batched tx refused, sending its messages one by one", "messages", len(msgs), "err", err)
	}
	var errs []error
	for _, p := range batch {
		hash, err := l.chain.Broadcast(ctx, p.timeout, p.msg)
		switch {
		case p.what == "commit" && errors.Is(err, inferencetypes.ErrAlreadyCommitted):
			// Our earlier tx, or the vote extension carried it: the next poll
			// compares it with the record and reveals.
			l.log.Info("commitment already on chain", "job", p.rec.JobID)
		case p.what == "reveal" && errors.Is(err, inferencetypes.ErrAlreadyRevealed):
			l.log.Info("reveal already on chain", "job", p.rec.JobID)
		case chain.Unreachable(err):
			return errors.Join(append(errs, l.nodeErr(p.what, err))...)
		case err != nil:
			// This job's problem: it waits ResendAfter blocks, the others go on.
			l.refusedAt[p.rec.JobID] = p.height
			l.fail(err)
			l.log.Warn("tx refused", "job", p.rec.JobID, "what", p.what, "err", err, "retry_after_blocks", l.cfg.ResendAfter)
		default:
			errs = append(errs, l.sent(p, hash))
		}
	}
	return errors.Join(errs...)
}

// sent records that p's message left in tx hash.
func (l *Loop) sent(p pendingTx, hash string) error {
	rec := p.rec
	if p.what == "commit" {
		rec.CommitTx, rec.CommitHeight = hash, p.height
	} else {
		rec.RevealTx, rec.RevealHeight = hash, p.height
	}
	if err := l.cfg.Store.Save(rec); err != nil {
		return l.fail(err)
	}
	if p.what == "commit" {
		l.log.Info("commit broadcast", "job", rec.JobID, "tx", hash, "output_bytes", len(rec.Output))
	} else {
		l.log.Info("reveal broadcast", "job", rec.JobID, "tx", hash)
	}
	return nil
}

// checkPending looks up a tx whose effect has not shown after ResendAfter
// blocks, before it is sent again, and logs why.
func (l *Loop) checkPending(ctx context.Context, job uint64, what, hash string) error {
	res, err := l.chain.TxResult(ctx, hash)
	if err != nil {
		return l.nodeErr("tx result", err)
	}
	res.LogResend(l.log, what, "in the job", hash, "job", job)
	return nil
}

// pending is what an inference needs of its job.
type pending struct {
	id                  uint64
	model               string
	mode                inferencetypes.ConsensusMode
	commitEnd, deadline int64
	// verify is a VERIFY job's spec; generated is the generator's output
	// when this worker is one of its verifiers (verifier set).
	verify    *inferencetypes.VerifySpec
	verifier  bool
	generated []byte
}

// startInference resolves the job's model and starts its inference in the
// background, unless one runs or the last one failed too recently.
func (l *Loop) startInference(ctx context.Context, j *inferencetypes.Job) string {
	l.mu.Lock()
	running, f := l.inflight[j.Id], l.failures[j.Id]
	l.mu.Unlock()
	switch {
	case running:
		return "computing"
	case f.n > 0 && time.Now().Before(f.next):
		return "retrying"
	}
	if len(l.cfg.Models) > 0 && !slices.Contains(l.cfg.Models, j.ModelId) {
		l.logOnce(slog.LevelWarn, j.Id, "unlisted", "assigned a model not in --models; answering anyway", "model", j.ModelId)
	}
	m, err := l.model(ctx, j.ModelId)
	if err != nil {
		if status.Code(err) != codes.NotFound {
			l.m.NodeErrors.Inc()
		}
		l.failed(j.Id, "", fmt.Errorf("model %s: %w", j.ModelId, err))
		return "retrying"
	}
	be, name, err := l.cfg.Backends.Resolve(m)
	if err == nil {
		var input []byte
		if input, err = jobInput(j); err == nil {
			p := pending{id: j.Id, model: j.ModelId, mode: j.Mode, commitEnd: j.CommitEnd, deadline: j.Deadline, verify: j.Verify}
			if g := j.Generator(); g != nil && isVerifier(j, l.chain.Address()) {
				p.verifier, p.generated = true, g.Output
			}
			l.mu.Lock()
			l.inflight[j.Id] = true
			l.mu.Unlock()
			l.wg.Add(1)
			go l.infer(ctx, p, be, name, input)
			return "computing"
		}
	}
	l.failed(j.Id, "", err)
	return "retrying"
}

// infer computes one output and saves the job's record, salt included;
// the loop commits it on its next step.
func (l *Loop) infer(ctx context.Context, p pending, be backends.Inference, name string, input []byte) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		delete(l.inflight, p.id)
		l.mu.Unlock()
	}()
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-l.sem }()
	ictx, cancel := context.WithTimeout(ctx, l.cfg.InferTimeout)
	defer cancel()
	start := time.Now()
	var out []byte
	var verdict *inferencetypes.Verdict
	var err error
	switch {
	case p.mode != inferencetypes.CONSENSUS_MODE_VERIFY:
		out, err = be.Infer(ictx, name, input)
	case p.verify == nil:
		err = errors.New("VERIFY job without a verify spec")
	case p.verifier:
		verdict, err = scoreVerdict(ictx, be, name, input, p.generated, *p.verify)
	default:
		out, err = generate(ictx, be, name, input, *p.verify)
	}
	took := time.Since(start)
	if ctx.Err() != nil {
		return // shutting down
	}
	if err == nil && verdict == nil {
		out, err = finishOutput(p.mode, out)
	}
	if err != nil {
		l.m.InferenceErrors.WithLabelValues(be.Name()).Inc()
		l.failed(p.id, be.Name(), err)
		return
	}
	l.m.InferenceDuration.WithLabelValues(be.Name()).Observe(took.Seconds())
	salt := make([]byte, SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		l.failed(p.id, be.Name(), fmt.Errorf("salt: %w", err))
		return
	}
	sum := sha256.Sum256(out)
	digest := sum[:]
	if verdict != nil {
		digest = inferencetypes.VerdictDigest(*verdict)
	}
	rec := state.JobRecord{JobID: p.id, ModelID: p.model, Output: out, OutputDigest: digest, Salt: salt, Verdict: verdict,
		Commitment: inferencetypes.Commitment(p.id, l.addr, digest, salt), CommitEnd: p.commitEnd, Deadline: p.deadline}
	if err := l.cfg.Store.Save(rec); err != nil {
		l.failed(p.id, be.Name(), fmt.Errorf("saving the record: %w", err))
		return
	}
	if verdict == nil {
		// The salt is on disk: the commitment may land from the vote extension.
		l.cfg.Sidecar.PutResult(p.id, rec.Commitment, p.commitEnd)
	} else {
		l.log.Info("verdict ready", "job", p.id, "accept", verdict.Accept, "method", verdict.Method,
			"tokens", verdict.Tokens, "in_top_k_bps", verdict.InTopKBps, "mean_gap_milli", verdict.MeanGapMilli, "end_ok", verdict.EndOk)
	}
	l.mu.Lock()
	delete(l.failures, p.id)
	l.mu.Unlock()
	l.log.Info("output ready", "job", p.id, "model", p.model, "backend", be.Name(), "took", took.Round(time.Microsecond),
		"output_bytes", len(out))
	l.signal()
}

// failed records a failed inference; it is retried after a delay doubling
// from PollInterval (so the next poll retries the first failure).
func (l *Loop) failed(id uint64, backend string, err error) {
	l.mu.Lock()
	f := l.failures[id]
	f.n++
	delay := min(l.cfg.PollInterval<<min(f.n-1, 16), l.cfg.MaxBackoff)
	f.next, f.err = time.Now().Add(delay), err
	l.failures[id] = f
	l.mu.Unlock()
	l.st.SetError(fmt.Errorf("job %d: %w", id, err))
	l.log.Warn("inference failed, will retry", "job", id, "backend", backend, "attempt", f.n, "retry_in", delay, "err", err)
}

// prune deletes the records of jobs that have ended (once Query/Job says
// so: a job missing from the open jobs may only be a lagging answer) and
// counts how they ended for us.
func (l *Loop) prune(ctx context.Context, open map[uint64]bool) error {
	ids, err := l.cfg.Store.IDs()
	if err != nil {
		return l.fail(fmt.Errorf("listing job records: %w", err))
	}
	var errs []error
	for _, id := range ids {
		if open[id] {
			continue
		}
		j, err := l.chain.Job(ctx, id)
		switch {
		case status.Code(err) == codes.NotFound:
			l.ended(id, nil) // already pruned by the chain
		case err != nil:
			errs = append(errs, l.nodeErr("job", err))
		case inferencetypes.IsOpen(j.Status):
			// Still open: the open-jobs answer lagged. Next poll.
		default:
			l.ended(id, &j)
		}
	}
	l.mu.Lock()
	for id := range l.failures {
		if !open[id] && !l.inflight[id] {
			delete(l.failures, id)
		}
	}
	l.mu.Unlock()
	for k := range l.once {
		if k.job != 0 && !open[k.job] {
			delete(l.once, k)
		}
	}
	for id := range l.refusedAt {
		if !open[id] {
			delete(l.refusedAt, id)
		}
	}
	l.grace.Retain(func(id uint64) bool { return open[id] })
	return errors.Join(errs...)
}

// ended accounts for a job that is over (j nil: no longer on chain) and
// deletes its record.
func (l *Loop) ended(id uint64, j *inferencetypes.Job) {
	l.cfg.Sidecar.DropResult(id)
	rec, found, _ := l.cfg.Store.Get(id)
	var a *inferencetypes.Assignment
	if j != nil {
		a = assignmentOf(j, l.chain.Address())
	}
	if found {
		revealed := rec.Revealed || a != nil && a.RevealHeight > 0
		if a != nil && len(a.Commitment) > 0 && !rec.Committed {
			l.m.JobsCommitted.Inc()
		}
		if revealed && !rec.Revealed {
			l.m.JobsRevealed.Inc()
			l.st.Update(func(s *health.Snapshot) { s.LastJobRevealed = id })
		}
		args := []any{"job", id}
		if j != nil {
			args = append(args, "status", statusName(j.Status))
		}
		if revealed {
			if a != nil {
				args = append(args, "agreed", a.Agreed)
			}
			l.log.Info("job ended", args...)
		} else {
			l.m.JobsMissed.Inc()
			l.log.Warn("job ended before our reveal", append(args, "committed", rec.Committed || a != nil && len(a.Commitment) > 0)...)
		}
	}
	if err := l.cfg.Store.Delete(id); err != nil {
		l.log.Warn("deleting job record", "job", id, "err", err)
	}
}

// generate answers a VERIFY job as its generator: greedy decoding under
// the job's settings.
func generate(ctx context.Context, be backends.Inference, name string, input []byte, spec inferencetypes.VerifySpec) ([]byte, error) {
	g, ok := be.(backends.Generative)
	if !ok {
		return nil, fmt.Errorf("VERIFY job: the %s backend cannot generate text", be.Name())
	}
	return g.Generate(ctx, name, input, settings(spec))
}

// scoreVerdict scores the generator's output as a VERIFY job's verifier
// and returns the verdict the chain will accept: accept exactly when the
// statistic meets the job's spec (VerifySpec.Accepts).
func scoreVerdict(ctx context.Context, be backends.Inference, name string, input, output []byte, spec inferencetypes.VerifySpec) (*inferencetypes.Verdict, error) {
	g, ok := be.(backends.Generative)
	if !ok {
		return nil, fmt.Errorf("VERIFY job: the %s backend cannot score text", be.Name())
	}
	s, err := g.Score(ctx, name, input, output, settings(spec))
	if err != nil {
		return nil, err
	}
	v := &inferencetypes.Verdict{Method: s.Method, Tokens: min(s.Tokens, inferencetypes.MaxVerdictTokens),
		InTopKBps: min(s.InTopKBps, inferencetypes.BpsScale), MeanGapMilli: s.MeanGapMilli, EndOk: s.EndOK}
	if v.Method == inferencetypes.VerdictRegenerate {
		v.MeanGapMilli = 0
	}
	if err := inferencetypes.ValidateVerdict(*v); err != nil {
		return nil, fmt.Errorf("backend %s: %w", be.Name(), err)
	}
	v.Accept = spec.Accepts(*v)
	return v, nil
}

func settings(spec inferencetypes.VerifySpec) backends.GenSettings {
	return backends.GenSettings{MaxTokens: int(spec.MaxNewTokens), TopK: int(spec.TopK)}
}
