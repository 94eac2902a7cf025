package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/internal/poll"
	"github.com/llmesh/mesh/worker/state"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// revealPhase: the commitment is on chain.
func (s *Scheduler) revealPhase(ctx context.Context, ch *computetypes.QueryChallengeResponse, height int64, rec state.Record, found bool) error {
	c := ch.Commitment
	if found && !bytes.Equal(rec.Root, c.Root) {
		// Not ours (another machine with the same key?) or a damaged record.
		s.log.Error("committed root differs from local state, recomputing", "epoch", ch.Epoch,
			"chain", fmt.Sprintf("%X", c.Root), "local", fmt.Sprintf("%X", rec.Root))
		found = false
	}
	if found && !rec.Committed {
		rec.Committed = true
		if err := s.cfg.Store.Update(rec); err != nil {
			return s.fail(err)
		}
		s.m.EpochsCommitted.Inc()
		s.st.Update(func(sn *health.Snapshot) { sn.LastEpochCommitted = ch.Epoch })
		s.log.Info("commitment on chain", "epoch", ch.Epoch, "height", c.Height)
	}

	if c.Outcome != computetypes.PROOF_OUTCOME_UNSPECIFIED {
		s.phase("idle")
		if found && rec.Outcome == "" {
			return s.recordOutcome(ch.Epoch, rec, c.Outcome)
		}
		return nil
	}
	if len(ch.SampleIndices) == 0 {
		s.phase("waiting for sample")
		return nil
	}
	if height >= ch.RevealEnd {
		s.phase("idle")
		s.logOnce(ch.Epoch, "reveal-skip", "reveal window closed without a verdict on our reveal", "height", height, "reveal_end", ch.RevealEnd)
		return nil
	}
	if found && rec.RevealTx != "" && poll.Within(height, rec.RevealHeight, s.cfg.ResendAfter) {
		s.phase("revealing")
		return nil
	}

	rows, rec, err := s.rowsFor(ctx, ch, rec, found)
	if err != nil {
		return s.fail(err)
	}
	if rec.RevealTx != "" {
		if err := s.checkPending(ctx, ch.Epoch, "reveal", rec.RevealTx); err != nil {
			return err
		}
	}
	revealed, err := buildReveal(rows, ch.SampleIndices, c.Root)
	if err != nil {
		return s.fail(fmt.Errorf("epoch %d: %w", ch.Epoch, err))
	}
	s.phase("revealing")
	hash, err := s.chain.RevealPoC(ctx, ch.Epoch, revealed, ch.RevealEnd)
	if errors.Is(err, computetypes.ErrAlreadyRevealed) {
		s.log.Info("reveal already on chain", "epoch", ch.Epoch)
		return nil
	}
	if err != nil {
		return s.txErr("reveal", err)
	}
	rec.RevealTx, rec.RevealHeight = hash, height
	if err := s.cfg.Store.Update(rec); err != nil {
		return s.fail(err)
	}
	s.log.Info("reveal broadcast", "epoch", ch.Epoch, "tx", hash, "rows", len(revealed))
	return nil
}

func (s *Scheduler) recordOutcome(epoch int64, rec state.Record, outcome computetypes.ProofOutcome) error {
	rec.Outcome = outcome.String()
	if err := s.cfg.Store.Update(rec); err != nil {
		return s.fail(err)
	}
	s.m.Outcomes.WithLabelValues(rec.Outcome).Inc()
	if outcome != computetypes.PROOF_OUTCOME_MISS {
		s.m.EpochsRevealed.Inc()
		s.st.Update(func(sn *health.Snapshot) { sn.LastEpochRevealed = epoch })
	}
	if outcome == computetypes.PROOF_OUTCOME_PASS {
		s.m.EpochsPassed.Inc()
	}
	s.st.Update(func(sn *health.Snapshot) { sn.LastOutcome = rec.Outcome })
	if outcome == computetypes.PROOF_OUTCOME_PASS {
		s.log.Info("proof of compute passed", "epoch", epoch)
	} else {
		s.log.Error("proof of compute not passed", "epoch", epoch, "outcome", rec.Outcome)
	}
	return nil
}

// rowsFor returns the committed rows: from disk, or recomputed when the
// state was lost (the proof is deterministic, so the root must match).
func (s *Scheduler) rowsFor(ctx context.Context, ch *computetypes.QueryChallengeResponse, rec state.Record, found bool) ([][]byte, state.Record, error) {
	if found {
		rows, err := s.cfg.Store.Rows(rec)
		if err == nil {
			return rows, rec, nil
		}
		s.log.Error("rows unreadable, recomputing", "epoch", ch.Epoch, "err", err)
	}
	if c := ch.Commitment; c.Rows != ch.M {
		return nil, rec, fmt.Errorf("epoch %d: committed %d rows but the challenge now has %d; cannot rebuild", ch.Epoch, c.Rows, ch.M)
	}
	s.log.Warn("no local state for a commitment on chain, recomputing", "epoch", ch.Epoch)
	rec, err := s.prove(ctx, ch)
	if err != nil {
		return nil, rec, err
	}
	if !bytes.Equal(rec.Root, ch.Commitment.Root) {
		return nil, rec, fmt.Errorf("epoch %d: recomputed root %X is not the committed %X", ch.Epoch, rec.Root, ch.Commitment.Root)
	}
	rec.Committed = true
	if err := s.cfg.Store.Update(rec); err != nil {
		return nil, rec, err
	}
	rows, err := s.cfg.Store.Rows(rec)
	return rows, rec, err
}

// buildReveal returns the sampled rows, in the chain's order, with their
// Merkle proofs; it refuses rows whose tree does not have the committed root.
func buildReveal(rows [][]byte, indices []uint32, root []byte) ([]computetypes.RevealedRow, error) {
	tree, err := backends.Tree(rows)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tree.Root(), root) {
		return nil, fmt.Errorf("rows give root %X, committed %X", tree.Root(), root)
	}
	out := make([]computetypes.RevealedRow, len(indices))
	for i, idx := range indices {
		if int(idx) >= len(rows) {
			return nil, fmt.Errorf("sampled row %d of %d", idx, len(rows))
		}
		out[i] = computetypes.RevealedRow{Index: idx, Values: rows[idx], Proof: tree.Proof(idx)}
	}
	return out, nil
}
