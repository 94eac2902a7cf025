package chain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Chain is everything the worker's loops need from the chain; Client
// implements it over gRPC and tests use fakes of the parts they need.
type Chain interface {
	PoC
	Inference
}

// PoC is what the proof-of-compute scheduler needs.
type PoC interface {
	// Address is the worker's mesh1… address.
	Address() string
	// Height is the node's latest block height.
	Height(ctx context.Context) (int64, error)
	// Challenge is the worker's proof-of-compute challenge in epoch: 0 for
	// the current one, or an earlier epoch still settling (codes.NotFound
	// once it is not).
	Challenge(ctx context.Context, epoch int64) (*computetypes.QueryChallengeResponse, error)
	// Worker is the worker's registration (status, jail end).
	Worker(ctx context.Context) (computetypes.Worker, error)
	// CommitPoC broadcasts MsgCommitPoC and returns the tx hash once CheckTx
	// accepted it. The tx expires after timeoutHeight when it is > 0.
	CommitPoC(ctx context.Context, epoch int64, root []byte, timeoutHeight int64) (string, error)
	// RevealPoC broadcasts MsgRevealPoC, like CommitPoC.
	RevealPoC(ctx context.Context, epoch int64, rows []computetypes.RevealedRow, timeoutHeight int64) (string, error)
	// UnjailWorker broadcasts MsgUnjailWorker signed by the worker, like CommitPoC.
	UnjailWorker(ctx context.Context) (string, error)
	// TxResult reports whether a tx is in a block and how it ended.
	TxResult(ctx context.Context, hash string) (TxResult, error)
}

// Inference is what the inference job loop needs.
type Inference interface {
	// Address is the worker's mesh1… address.
	Address() string
	// Height is the node's latest block height.
	Height(ctx context.Context) (int64, error)
	// OpenJobs returns every job assigned to the worker that has not ended
	// (x/inference Query/Jobs with worker and open_only, all pages).
	OpenJobs(ctx context.Context) ([]inferencetypes.Job, error)
	// Job returns one job, ended or not (codes.NotFound once pruned).
	Job(ctx context.Context, id uint64) (inferencetypes.Job, error)
	// Model returns a registered model.
	Model(ctx context.Context, id string) (inferencetypes.Model, error)
	// Broadcast signs msgs (MsgCommitResult, MsgRevealResult) into one tx
	// and returns its hash once CheckTx accepted it. The tx expires after
	// timeoutHeight when it is > 0.
	Broadcast(ctx context.Context, timeoutHeight int64, msgs ...sdk.Msg) (string, error)
	// TxResult reports whether a tx is in a block and how it ended.
	TxResult(ctx context.Context, hash string) (TxResult, error)
}

// TxResult is a broadcast tx's fate.
type TxResult struct {
	// Found is false while the tx is not in a block (pending, dropped or unknown).
	Found  bool
	Height int64
	// Err is nil for a successful tx, else a *TxError.
	Err error
}

// LogResend logs, before a tx whose effect has not shown is broadcast
// again, what became of it: r is TxResult's answer for hash, where the
// query the effect should show in ("in the job"; empty for none).
func (r TxResult) LogResend(log *slog.Logger, what, where, hash string, args ...any) {
	args = append(args, "tx", hash)
	switch {
	case !r.Found:
		log.Warn(what+" not in a block yet, broadcasting again", args...)
	case r.Err != nil:
		log.Warn(what+" failed in its block, broadcasting again", append(args, "err", r.Err)...)
	default:
		if where != "" {
			where += " "
		}
		log.Warn(what+" included but not visible "+where+"yet, broadcasting again", append(args, "height", r.Height)...)
	}
}

// TxError is a tx rejected by CheckTx or failed in its block, with the ABCI
// code. errors.Is matches the registered error it stands for, e.g.
// computetypes.ErrDuplicateCommit or sdkerrors.ErrWrongSequence.
type TxError struct {
	Codespace string
	Code      uint32
	Log       string
}

func (e *TxError) Error() string {
	return fmt.Sprintf("tx failed: codespace %s code %d: %s", e.Codespace, e.Code, e.Log)
}

// Unwrap returns the registered error of (codespace, code) when one is known.
func (e *TxError) Unwrap() error {
	err := errorsmod.ABCIError(e.Codespace, e.Code, e.Log)
	var reg *errorsmod.Error
	if errors.As(err, &reg) {
		return reg
	}
	return nil
}

// SimulationError is a tx the node refused to simulate (the message or the
// ante handler failed). The gRPC answer carries only text, so errors.Is
// matches a registered error whose description the text contains.
type SimulationError struct {
	Msg string
}

func (e *SimulationError) Error() string { return "simulate: " + e.Msg }

// Is implements errors.Is for registered errors (*errorsmod.Error).
func (e *SimulationError) Is(target error) bool {
	var reg *errorsmod.Error
	if !errors.As(target, &reg) {
		return false
	}
	desc := reg.Error()
	return desc != "" && strings.Contains(e.Msg, desc)
}
