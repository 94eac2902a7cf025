package simulation

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/keeper"
	"github.com/llmesh/mesh/x/training/types"
)

// The round's messages carry a simulated model update: digest, samples,
// loss and salt derived from (task, round, worker), so that a reveal
// recomputes what was committed; aggregators agree on one digest per round
// except one in eight, which an honest majority outvotes.

// MsgCommitUpdateFactory commits a participant's update in a commit phase.
func MsgCommitUpdateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgCommitUpdate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitUpdate) {
		msg, acc := pickRoundMsg(ctx, k, testData, reporter, types.ROUND_PHASE_COMMIT, func(r types.Round, acc simsx.SimAccount) sdk.Msg {
			for _, u := range r.Updates {
				if u.Worker == acc.AddressBech32 && len(u.Commitment) == 0 {
					d, samples, loss, salt := simUpdate(r.TaskId, r.Number, acc.Address)
					return &types.MsgCommitUpdate{Worker: u.Worker, TaskId: r.TaskId, Round: r.Number,
						Commitment: types.UpdateCommitment(r.TaskId, r.Number, acc.Address, d, samples, loss, salt)}
				}
			}
			return nil
		}, func(c context.Context, m sdk.Msg) error { return k.CommitUpdate(c, m.(*types.MsgCommitUpdate)) })
		if msg == nil {
			return nil, nil
		}
		return []simsx.SimAccount{acc}, msg.(*types.MsgCommitUpdate)
	}
}

// MsgRevealUpdateFactory reveals a committed update in a reveal phase.
func MsgRevealUpdateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgRevealUpdate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevealUpdate) {
		msg, acc := pickRoundMsg(ctx, k, testData, reporter, types.ROUND_PHASE_REVEAL, func(r types.Round, acc simsx.SimAccount) sdk.Msg {
			for _, u := range r.Updates {
				if u.Worker == acc.AddressBech32 && len(u.Commitment) != 0 && !u.Revealed {
					d, samples, loss, salt := simUpdate(r.TaskId, r.Number, acc.Address)
					return &types.MsgRevealUpdate{Worker: u.Worker, TaskId: r.TaskId, Round: r.Number,
						Digest: d, Samples: samples, Loss: loss, Uri: "ipfs://sim-update", Salt: salt}
				}
			}
			return nil
		}, func(c context.Context, m sdk.Msg) error { return k.RevealUpdate(c, m.(*types.MsgRevealUpdate)) })
		if msg == nil {
			return nil, nil
		}
		return []simsx.SimAccount{acc}, msg.(*types.MsgRevealUpdate)
	}
}

// MsgSubmitAggregateFactory submits an aggregator's result in an aggregate phase.
func MsgSubmitAggregateFactory(k keeper.Keeper) simsx.SimMsgFactoryFn[*types.MsgSubmitAggregate] {
	return func(ctx context.Context, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSubmitAggregate) {
		msg, acc := pickRoundMsg(ctx, k, testData, reporter, types.ROUND_PHASE_AGGREGATE, func(r types.Round, acc simsx.SimAccount) sdk.Msg {
			for _, a := range r.Aggregates {
				if a.Worker == acc.AddressBech32 && len(a.Digest) == 0 {
					d, _, loss, _ := simUpdate(r.TaskId, r.Number, nil) // the round's agreed result
					if own, _, _, salt := simUpdate(r.TaskId, r.Number, acc.Address); salt[0]%8 == 0 {
						d = own // one aggregator in eight submits its own result and is outvoted
					}
					return &types.MsgSubmitAggregate{Worker: a.Worker, TaskId: r.TaskId, Round: r.Number,
						Digest: d, Uri: "ipfs://sim-checkpoint", EvalLoss: loss}
				}
			}
			return nil
		}, func(c context.Context, m sdk.Msg) error { return k.SubmitAggregate(c, m.(*types.MsgSubmitAggregate)) })
		if msg == nil {
			return nil, nil
		}
		return []simsx.SimAccount{acc}, msg.(*types.MsgSubmitAggregate)
	}
}

// pickRoundMsg walks the running tasks' current rounds in phase, builds the
// message of a simulated worker with build, and returns the first that a
// dry run of the real keeper (check) accepts.
func pickRoundMsg(ctx context.Context, k keeper.Keeper, testData *simsx.ChainDataSource, reporter simsx.SimulationReporter,
	phase types.RoundPhase, build func(types.Round, simsx.SimAccount) sdk.Msg, check func(context.Context, sdk.Msg) error,
) (sdk.Msg, simsx.SimAccount) {
	type cand struct {
		round types.Round
		acc   simsx.SimAccount
	}
	var cands []cand
	_ = k.Tasks.Walk(ctx, nil, func(id uint64, t types.Task) (bool, error) {
		if t.Status != types.TASK_STATUS_RUNNING {
			return false, nil
		}
		r, err := k.Rounds.Get(ctx, collections.Join(id, t.CurrentRound))
		if err != nil || r.Phase != phase {
			return false, nil
		}
		var workers []string
		for _, u := range r.Updates {
			workers = append(workers, u.Worker)
		}
		for _, a := range r.Aggregates {
			workers = append(workers, a.Worker)
		}
		for _, w := range workers {
			if testData.HasAccount(w) {
				cands = append(cands, cand{r, testData.GetAccount(reporter, w)})
			}
		}
		return len(cands) >= 64, nil
	})
	testData.Rand().Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	for _, c := range cands {
		msg := build(c.round, c.acc)
		if msg != nil && dryRun(ctx, func(cc context.Context) error { return check(cc, msg) }) == nil {
			return msg, c.acc
		}
	}
	reporter.Skipf("no simulated worker with a %s message", phase)
	return nil, simsx.SimAccount{}
}

// simUpdate is the simulated update of worker (nil: the round's agreed
// aggregate) in a round: a 32-byte digest, samples, loss and a 16-byte salt.
func simUpdate(task uint64, round uint32, worker sdk.AccAddress) (digest []byte, samples, loss uint64, salt []byte) {
	h := sha256.New()
	h.Write(binary.BigEndian.AppendUint64(nil, task))
	h.Write(binary.BigEndian.AppendUint32(nil, round))
	h.Write(worker)
	sum := h.Sum(nil)
	salt2 := sha256.Sum256(sum)
	return sum, 1 + uint64(sum[0])*10, uint64(sum[1]) * 1000, salt2[:16]
}
