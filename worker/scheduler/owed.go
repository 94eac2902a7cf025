package scheduler

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmesh/mesh/worker/internal/poll"
	"github.com/llmesh/mesh/worker/state"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// Outcomes the scheduler records for an older epoch the chain gave no verdict on.
const (
	// outcomeClosed: the epoch is no longer open on chain (settled and pruned).
	outcomeClosed = "EPOCH_CLOSED"
	// outcomeNotCommitted: the commit never landed and its window is over.
	outcomeNotCommitted = "NOT_COMMITTED"
)

// revealOwed reveals, oldest first, every older epoch the worker proved and
// has no outcome for, then prunes state outside the kept window. Its
// commit may have landed without a tx of ours (from a vote extension), so a
// proof is enough to ask. The chain keeps at most a few epochs settling,
// and an epoch without a commitment is closed at the first look, so this
// is a handful of queries at worst; usually none.
func (s *Scheduler) revealOwed(ctx context.Context, current, height int64) error {
	epochs, err := s.cfg.Store.Epochs()
	if err != nil {
		return s.fail(err)
	}
	var owed []int64
	for _, e := range epochs {
		if e >= current {
			break
		}
		rec, found, err := s.cfg.Store.Get(e)
		if err != nil || !found || rec.Outcome != "" {
			continue
		}
		done, err := s.revealOld(ctx, rec, height)
		if err != nil {
			return err
		}
		if !done {
			owed = append(owed, e)
		}
	}
	if current > 0 {
		s.prune(current-s.cfg.KeepEpochs+1, owed)
	}
	return nil
}

// revealOld moves one older epoch on and reports whether it is finished.
func (s *Scheduler) revealOld(ctx context.Context, rec state.Record, height int64) (bool, error) {
	ch, err := s.chain.Challenge(ctx, rec.Epoch)
	if status.Code(err) == codes.NotFound {
		s.log.Warn("epoch closed on chain before its reveal was seen", "epoch", rec.Epoch)
		return true, s.closeRecord(rec, outcomeClosed)
	}
	if err != nil {
		return false, s.nodeErr("challenge", err)
	}
	if ch.Commitment == nil {
		if height < ch.CommitEnd {
			return false, nil // the commit may still land
		}
		if rec.CommitTx != "" {
			s.logOnce(rec.Epoch, "commit-lost", "commit not included before the commit window closed", "tx", rec.CommitTx)
		}
		return true, s.closeRecord(rec, outcomeNotCommitted)
	}
	if err := s.revealPhase(ctx, ch, height, rec, true); err != nil {
		return false, err
	}
	after, _, err := s.cfg.Store.Get(rec.Epoch)
	if err != nil {
		return false, s.fail(err)
	}
	return after.Outcome != "" || height >= ch.RevealEnd, nil
}

func (s *Scheduler) closeRecord(rec state.Record, outcome string) error {
	rec.Outcome = outcome
	if err := s.cfg.Store.Update(rec); err != nil {
		return s.fail(err)
	}
	return nil
}

// unjailIfDue broadcasts MsgUnjailWorker once the worker's jail is over
// (again after ResendAfter blocks if it has not taken effect).
func (s *Scheduler) unjailIfDue(ctx context.Context, epoch, height int64) error {
	w, err := s.chain.Worker(ctx)
	if err != nil {
		return s.nodeErr("worker", err)
	}
	if w.Status != computetypes.WORKER_STATUS_JAILED {
		return nil
	}
	if height < w.JailedUntil {
		s.logOnce(epoch, "jailed", "worker is jailed", "until", w.JailedUntil)
		return nil
	}
	if s.unjailHeight > 0 && poll.Within(height, s.unjailHeight, s.cfg.ResendAfter) {
		return nil
	}
	hash, err := s.chain.UnjailWorker(ctx)
	switch {
	case errors.Is(err, computetypes.ErrNotJailed):
		return nil
	case errors.Is(err, computetypes.ErrPoolNotEligible), errors.Is(err, computetypes.ErrStillJailed):
		s.logOnce(epoch, "unjail-refused", "jail over but unjail refused", "err", err)
		s.unjailHeight = height
		return nil
	case err != nil:
		return s.txErr("unjail", err)
	}
	s.unjailHeight = height
	s.m.Unjails.Inc()
	s.log.Info("jail over, unjail broadcast", "tx", hash, "jailed_until", w.JailedUntil)
	return nil
}
