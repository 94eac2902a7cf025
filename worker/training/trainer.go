package training

import (
	"context"
	"fmt"

	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
)

// Trainer computes a participant's local update and an aggregator's
// checkpoint. The loop chooses the base, the data, the shard and the
// updates (fetched, digest-checked, shape-checked, samples capped); the
// trainer only does the arithmetic. CPUTrainer is the built-in one,
// ExecTrainer hands each call to an external program.
//
// Honest workers must produce the same bytes for the same request: the
// aggregators' checkpoints are compared by digest on chain.
type Trainer interface {
	Train(ctx context.Context, req TrainRequest) (TrainResult, error)
	Aggregate(ctx context.Context, req AggregateRequest) (AggregateResult, error)
}

// TrainRequest is one participant's local update.
type TrainRequest struct {
	Task      uint64
	Round     uint32
	Runtime   string
	BaseModel string
	// Base is the checkpoint the round starts from.
	Base *federated.Checkpoint
	// Examples are the worker's shard of the round's training split;
	// HeldOut the round's held-out split.
	Examples []train.Example
	HeldOut  []train.Example
	// Hyperparams is the task's JSON (federated.ParseHyper's form).
	Hyperparams string
}

// TrainResult is an update: its blob (what is stored, hashed and
// committed to) and what the participant reveals with it.
type TrainResult struct {
	Blob    []byte
	Samples uint64
	// Loss is the update's loss on its shard, × 10⁶.
	Loss uint64
}

// AggregateRequest is one aggregator's checkpoint.
type AggregateRequest struct {
	Task  uint64
	Round uint32
	Rule  federated.Rule
	// Base is the checkpoint the round started from.
	Base *federated.Checkpoint
	// Updates are the valid revealed updates in the round's order, their
	// samples capped as x/training pays them.
	Updates []federated.Weighted
	HeldOut []train.Example
}

// AggregateResult is the aggregated checkpoint's blob and its loss on the
// held-out split (× 10⁶).
type AggregateResult struct {
	Blob     []byte
	EvalLoss uint64
	// Correct is the number of held-out examples classified right; -1 when
	// the trainer does not say.
	Correct int
}

// CPUTrainer is the built-in trainer: federated's fixed-point arithmetic.
type CPUTrainer struct{}

var _ Trainer = CPUTrainer{}

// Train implements Trainer with federated.LocalUpdate.
func (CPUTrainer) Train(_ context.Context, req TrainRequest) (TrainResult, error) {
	hyper, err := federated.ParseHyper([]byte(req.Hyperparams))
	if err != nil {
		return TrainResult{}, err
	}
	ck, stats, err := federated.LocalUpdate(req.Base, req.Examples, hyper, req.Round)
	if err != nil {
		return TrainResult{}, fmt.Errorf("local update: %w", err)
	}
	return TrainResult{Blob: ck.Encode(), Samples: stats.Samples, Loss: stats.Loss}, nil
}

// Aggregate implements Trainer with federated.Aggregate and Evaluate.
func (CPUTrainer) Aggregate(_ context.Context, req AggregateRequest) (AggregateResult, error) {
	ck, err := federated.Aggregate(req.Rule, req.Updates)
	if err != nil {
		return AggregateResult{}, fmt.Errorf("aggregate: %w", err)
	}
	loss, correct, err := federated.Evaluate(ck, req.HeldOut)
	if err != nil {
		return AggregateResult{}, fmt.Errorf("evaluate: %w", err)
	}
	return AggregateResult{Blob: ck.Encode(), EvalLoss: loss, Correct: correct}, nil
}
