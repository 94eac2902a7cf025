package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// Worker stats: one record per worker that was ever assigned a job. It
// carries the open-job count that caps assignments, and the record the
// WorkerStats query shows (served, agreed, missed, latency).

// getStats returns the worker's stats, or an empty record for a new worker.
func (k Keeper) getStats(ctx context.Context, worker sdk.AccAddress) (types.WorkerStats, error) {
	s, err := k.WorkerStats.Get(ctx, worker)
	if errors.Is(err, collections.ErrNotFound) {
		return types.WorkerStats{Worker: k.addrString(worker)}, nil
	}
	return s, err
}

// openJobs is the worker's open-job count (0 for a new worker).
func (k Keeper) openJobs(ctx context.Context, worker sdk.AccAddress) (uint32, error) {
	s, err := k.WorkerStats.Get(ctx, worker)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return s.OpenJobs, err
}

// workerOutcome is what a job's end means for one assigned worker.
type workerOutcome int

const (
	// outcomeNone: committed, but the job ended before its reveal phase.
	outcomeNone workerOutcome = iota
	// outcomeAgreed: in the agreeing quorum.
	outcomeAgreed
	// outcomeRevealed: revealed, not in a quorum (outlier, or no quorum).
	outcomeRevealed
	// outcomeSilent: assigned and never revealed.
	outcomeSilent
)

// recordEnd updates a worker's stats when one of its jobs ends: one open job
// less, and the outcome. latency is commit height − request height (agreed only).
func (k Keeper) recordEnd(ctx context.Context, worker sdk.AccAddress, o workerOutcome, latency int64) error {
	s, err := k.getStats(ctx, worker)
	if err != nil {
		return err
	}
	if s.OpenJobs > 0 {
		s.OpenJobs--
	}
	switch o {
	case outcomeAgreed:
		s.JobsServed++
		s.JobsAgreed++
		latency = max(latency, 0)
		s.TotalLatencyBlocks += uint64(latency)
		s.RecentLatencyBlocks = append(s.RecentLatencyBlocks, latency)
		if n := len(s.RecentLatencyBlocks); n > types.RecentLatencyWindow {
			s.RecentLatencyBlocks = append([]int64(nil), s.RecentLatencyBlocks[n-types.RecentLatencyWindow:]...)
		}
	case outcomeRevealed:
		s.JobsServed++
	case outcomeSilent:
		s.JobsMissed++
	}
	return k.WorkerStats.Set(ctx, worker, s)
}

// addOpenJob counts one more open job for worker.
func (k Keeper) addOpenJob(ctx context.Context, worker sdk.AccAddress) error {
	s, err := k.getStats(ctx, worker)
	if err != nil {
		return err
	}
	s.OpenJobs++
	return k.WorkerStats.Set(ctx, worker, s)
}
