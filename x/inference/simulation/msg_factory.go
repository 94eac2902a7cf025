package simulation

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/types"
)

// MsgRequestInferenceFactory requests an inference on an active model with
// a max_fee that covers price × redundancy. Whether enough capable workers
// exist and the queue has room is decided by the keeper (an accepted request
// is queued and assigned by a later block's BeginBlocker); the two errors
// that say "not now" (ErrNotEnoughWorkers, ErrNetworkAtCapacity) are
// expected results, every other error fails the simulation.
func MsgRequestInferenceFactory(k keeper.Keeper) *simsx.ResultHandlingSimMsgFactory[*types.MsgRequestInference] {
	return simsx.NewSimMsgFactoryWithDeliveryResultHandler(func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRequestInference, simsx.SimDeliveryResultHandler) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			reporter.Skipf("params: %s", err)
			return nil, nil, nil
		}
		var models []types.Model
		_ = k.Models.Walk(ctx, nil, func(_ string, m types.Model) (bool, error) {
			if m.Status == types.MODEL_STATUS_ACTIVE {
				models = append(models, m)
			}
			return false, nil
		})
		if len(models) == 0 {
			reporter.Skip("no active model")
			return nil, nil, nil
		}
		r := testData.Rand()
		m := models[r.Intn(len(models))]
		red := params.MinRedundancy + uint32(r.Intn(int(params.MaxRedundancy-params.MinRedundancy+1)))
		price := m.Prices[r.Intn(len(m.Prices))] // any accepted denom
		fee := price.Amount.MulRaw(int64(red)).Add(math.NewInt(r.Int63n(1000)))
		from := testData.AnyAccount(reporter, simsx.WithLiquidBalanceGTE(sdk.NewCoin(price.Denom, fee.MulRaw(2))))
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		maxFee := sdk.NewCoin(price.Denom, fee)
		from.LiquidBalance().BlockAmount(maxFee)
		input := []byte(r.StringN(1 + r.Intn(int(min(params.MaxInputBytes, 256)))))
		msg := &types.MsgRequestInference{
			Requester:      from.AddressBech32,
			ModelId:        m.Id,
			Input:          input,
			MaxFee:         maxFee,
			Redundancy:     red,
			DeadlineBlocks: int64(r.Intn(3)) * (params.CommitBlocks + params.RevealBlocks),
		}
		if r.Intn(3) == 0 {
			msg.Mode, msg.Tolerance = types.CONSENSUS_MODE_MEDIAN, int64(r.Intn(5))
		}
		return []simsx.SimAccount{from}, msg, func(err error) error {
			if errors.Is(err, types.ErrNotEnoughWorkers) || errors.Is(err, types.ErrNetworkAtCapacity) {
				return nil
			}
			return err
		}
	})
}

// MsgCommitResultFactory commits an assigned worker's simulated answer to a
// job in its commit phase.
func MsgCommitResultFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCommitResult] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitResult) {
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		job, a, ok := randomAssignment(ctx, k, testData, types.JOB_STATUS_COMMITTING, func(j types.Job, a types.Assignment) bool {
			return h <= j.CommitEnd && len(a.Commitment) == 0
		})
		if !ok {
			reporter.Skip("no open commit")
			return nil, nil
		}
		worker := testData.GetAccount(reporter, a.Worker)
		out, salt := answer(job, worker.Address)
		return []simsx.SimAccount{worker}, &types.MsgCommitResult{
			Worker: a.Worker, JobId: job.Id, Commitment: types.Commitment(job.Id, worker.Address, types.Digest(out), salt),
		}
	}
}

// MsgRevealResultFactory reveals a committed answer in the reveal phase.
func MsgRevealResultFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRevealResult] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevealResult) {
		h := sdk.UnwrapSDKContext(ctx).BlockHeight()
		keep := func(j types.Job, a types.Assignment) bool {
			return h <= j.Deadline && len(a.Commitment) != 0 && len(a.OutputDigest) == 0
		}
		job, a, ok := randomAssignment(ctx, k, testData, types.JOB_STATUS_REVEALING, keep)
		if !ok {
			// A commit phase that is over but not yet closed by the EndBlocker opens on reveal.
			job, a, ok = randomAssignment(ctx, k, testData, types.JOB_STATUS_COMMITTING, func(j types.Job, a types.Assignment) bool {
				return h > j.CommitEnd && keep(j, a)
			})
		}
		if !ok {
			reporter.Skip("no open reveal")
			return nil, nil
		}
		worker := testData.GetAccount(reporter, a.Worker)
		out, salt := answer(job, worker.Address)
		return []simsx.SimAccount{worker}, &types.MsgRevealResult{Worker: a.Worker, JobId: job.Id, Output: out, Salt: salt}
	}
}

// answer is the simulated worker's output and salt for job: derived from
// the job and the worker so that the reveal recomputes what was committed.
// One worker in ten answers something else; in MEDIAN mode the answer is a
// number near the input's.
func answer(job types.Job, worker sdk.AccAddress) (out, salt []byte) {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, job.Id))
	h.Write(worker)
	sum := h.Sum(nil)
	salt = sum[:16]
	base := types.Digest(job.Input)
	liar := sum[16]%10 == 0
	if job.Mode == types.CONSENSUS_MODE_MEDIAN {
		v := int64(binary.BigEndian.Uint16(base))
		if liar {
			v += 1000
		} else {
			v += int64(sum[17] % 3)
		}
		return []byte(fmt.Sprint(v)), salt
	}
	if liar {
		return append([]byte("lie:"), sum[:8]...), salt
	}
	return append([]byte("ok:"), base[:8]...), salt
}

// randomAssignment picks a job of the given status and one of its
// assignments with a simulated worker that passes keep.
func randomAssignment(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, status types.JobStatus,
	keep func(types.Job, types.Assignment) bool,
) (types.Job, types.Assignment, bool) {
	type pick struct {
		job types.Job
		a   types.Assignment
	}
	var picks []pick
	rng := collections.NewPrefixedPairRange[int32, uint64](int32(status))
	_ = k.JobsByStatus.Walk(ctx, rng, func(key collections.Pair[int32, uint64]) (bool, error) {
		j, err := k.Jobs.Get(ctx, key.K2())
		if err != nil {
			return false, nil
		}
		for _, a := range j.Assignments {
			if testData.HasAccount(a.Worker) && keep(j, a) {
				picks = append(picks, pick{j, a})
			}
		}
		return len(picks) >= 64, nil
	})
	if len(picks) == 0 {
		return types.Job{}, types.Assignment{}, false
	}
	p := picks[testData.Rand().Intn(len(picks))]
	return p.job, p.a, true
}
