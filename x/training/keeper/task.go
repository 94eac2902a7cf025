package keeper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/training/types"
)

// A task trains its base model (an ACTIVE x/inference model) on its datasets
// in rounds. Its creator escrows the budget in the module account; each
// round is paid from ⌊(budget − spent) / rounds left⌋ and what no round paid
// is refunded when the task ends. A task is OPEN until max(participants,
// aggregators) eligible workers have joined, RUNNING while its rounds run
// (round.go), then COMPLETED (some round agreed on a checkpoint, which is
// registered as a CANDIDATE model) or FAILED.

// CreateTask checks msg, escrows its budget and opens the task. Nothing is
// written when it fails.
func (k Keeper) CreateTask(ctx context.Context, msg *types.MsgCreateTask) (uint64, error) {
	creator, err := k.addrBytes(msg.Creator)
	if err != nil {
		return 0, err
	}
	// State and events hold the canonical spelling (genesis compares strings).
	creatorStr := k.addrString(creator)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	model, err := k.inference.GetModel(ctx, msg.BaseModelId)
	if err != nil {
		return 0, errorsmod.Wrapf(types.ErrModelNotFound, "%s: %s", msg.BaseModelId, err.Error())
	}
	if model.Status != inferencetypes.MODEL_STATUS_ACTIVE {
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "base model %s is %s, want ACTIVE", model.Id, model.Status)
	}
	base, err := hex.DecodeString(model.WeightsDigest)
	if err != nil || len(base) != types.UpdateDigestLength {
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "base model %s has no SHA-256 weights digest", model.Id)
	}
	for _, id := range msg.DatasetIds {
		ok, err := k.Datasets.Has(ctx, id)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, errorsmod.Wrapf(types.ErrDatasetNotFound, "dataset %d", id)
		}
	}
	switch {
	case msg.Rounds > params.MaxRounds:
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "rounds %d above max_rounds %d", msg.Rounds, params.MaxRounds)
	case msg.ParticipantsPerRound > params.MaxParticipants:
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "participants_per_round %d above max_participants %d", msg.ParticipantsPerRound, params.MaxParticipants)
	case msg.AggregatorsPerRound > params.MaxAggregators:
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "aggregators_per_round %d above max_aggregators %d", msg.AggregatorsPerRound, params.MaxAggregators)
	case max(msg.ParticipantsPerRound, msg.AggregatorsPerRound) > params.MaxTaskWorkers:
		// It could never start: it starts once that many workers joined.
		return 0, errorsmod.Wrapf(types.ErrInvalidTask, "needs %d workers, above max_task_workers %d",
			max(msg.ParticipantsPerRound, msg.AggregatorsPerRound), params.MaxTaskWorkers)
	}
	if msg.Budget.Denom != params.MinTaskBudget.Denom || msg.Budget.Amount.LT(params.MinTaskBudget.Amount) {
		return 0, errorsmod.Wrapf(types.ErrBudgetTooLow, "budget %s, want at least %s", msg.Budget, params.MinTaskBudget)
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, creator, types.ModuleName, sdk.NewCoins(msg.Budget)); err != nil {
		return 0, err
	}
	id, err := k.NextTaskID.Next(ctx)
	if err != nil {
		return 0, err
	}
	task := types.Task{
		Id:                   id,
		Creator:              creatorStr,
		BaseModelId:          model.Id,
		Runtime:              model.Runtime,
		BaseDigest:           base,
		DatasetIds:           slices.Clone(msg.DatasetIds),
		Rounds:               msg.Rounds,
		ParticipantsPerRound: msg.ParticipantsPerRound,
		AggregatorsPerRound:  msg.AggregatorsPerRound,
		Aggregation:          msg.Aggregation,
		Hyperparams:          msg.Hyperparams,
		Budget:               msg.Budget,
		Spent:                sdk.NewCoin(msg.Budget.Denom, math.ZeroInt()),
		Status:               types.TASK_STATUS_OPEN,
		CheckpointDigest:     bytes.Clone(base),
		CreatedHeight:        sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.Tasks.Set(ctx, id, task); err != nil {
		return 0, err
	}
	return id, kit.Emit(ctx, &types.EventTaskCreated{TaskId: id, Creator: creatorStr, BaseModelId: model.Id, Budget: msg.Budget.String()})
}

// JoinTask enters a worker in an OPEN or RUNNING task's draws: it must be
// registered in x/compute, ACTIVE, serve the base model and have an eligible
// provider pool. It takes part in the rounds drawn from the next block on.
// The join that brings an OPEN task to max(participants, aggregators)
// workers schedules its first round for the EndBlocker of the next block
// (the task stays OPEN until then).
func (k Keeper) JoinTask(ctx context.Context, msg *types.MsgJoinTask) error {
	worker, err := k.addrBytes(msg.Worker)
	if err != nil {
		return err
	}
	workerStr := k.addrString(worker)
	task, err := k.getTask(ctx, msg.TaskId)
	if err != nil {
		return err
	}
	if task.Status != types.TASK_STATUS_OPEN && task.Status != types.TASK_STATUS_RUNNING {
		return errorsmod.Wrapf(types.ErrTaskClosed, "task %d is %s", task.Id, task.Status)
	}
	w, err := k.compute.GetWorker(ctx, worker)
	if err != nil {
		return errorsmod.Wrapf(types.ErrNotEligible, "worker %s: %s", workerStr, err.Error())
	}
	if w.Status != computetypes.WORKER_STATUS_ACTIVE {
		return errorsmod.Wrapf(types.ErrNotEligible, "worker %s is %s", workerStr, w.Status)
	}
	if !slices.Contains(w.Models, task.BaseModelId) {
		return errorsmod.Wrapf(types.ErrNotEligible, "worker %s does not serve %s", workerStr, task.BaseModelId)
	}
	if ok, err := k.poolEligible(ctx, w.Provider); err != nil || !ok {
		reason := "not eligible"
		if err != nil {
			reason = err.Error()
		}
		return errorsmod.Wrapf(types.ErrNotEligible, "pool of provider %s: %s", w.Provider, reason)
	}
	key := collections.Join(task.Id, worker)
	joined, err := k.TaskWorkers.Has(ctx, key)
	if err != nil {
		return err
	}
	if joined {
		return errorsmod.Wrapf(types.ErrAlreadyJoined, "worker %s, task %d", workerStr, task.Id)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if task.Workers >= params.MaxTaskWorkers {
		return errorsmod.Wrapf(types.ErrTaskFull, "task %d has %d workers", task.Id, task.Workers)
	}
	if err := k.TaskWorkers.Set(ctx, key); err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.RecentJoins.Set(ctx, collections.Join3(h, task.Id, worker)); err != nil {
		return err
	}
	task.Workers++
	if err := kit.Emit(ctx, &types.EventTaskJoined{TaskId: task.Id, Worker: workerStr}); err != nil {
		return err
	}
	// Round 1 is not drawn in the block of the join that completes the task
	// (nor, then, in the block that created it), and a draw skips the
	// workers joined in its own block (roundCandidates): the draw's seed
	// (x/compute Seed, the validators' beacon once vote extensions are on)
	// is known to the drawing block's proposer before it picks the txs.
	if task.Status == types.TASK_STATUS_OPEN && task.Workers == startWorkers(task) {
		if err := k.RoundDeadlines.Set(ctx, collections.Join(h+1, task.Id)); err != nil {
			return err
		}
	}
	return k.Tasks.Set(ctx, task.Id, task)
}

// startWorkers is the number of joined workers an OPEN task waits for.
func startWorkers(task types.Task) uint32 {
	return max(task.ParticipantsPerRound, task.AggregatorsPerRound)
}

// startTask starts the first round of an OPEN task that has its workers,
// from the EndBlocker of a block after the join that completed them (not
// saved).
func (k Keeper) startTask(ctx context.Context, params types.Params, task *types.Task) error {
	task.Status = types.TASK_STATUS_RUNNING
	return k.startRounds(ctx, params, task, 1)
}

// getTask returns a task, or ErrTaskNotFound.
func (k Keeper) getTask(ctx context.Context, id uint64) (types.Task, error) {
	t, err := k.Tasks.Get(ctx, id)
	return t, kit.NotFound(err, types.ErrTaskNotFound, fmt.Sprintf("task %d", id))
}

// poolEligible reports whether provider's pool may back a task's worker.
func (k Keeper) poolEligible(ctx context.Context, provider string) (bool, error) {
	addr, err := k.addrBytes(provider)
	if err != nil {
		return false, err
	}
	return k.pool.IsEligible(ctx, addr)
}

// endTask ends a RUNNING task after its last round (not saved): COMPLETED
// when some round FINALIZED, its checkpoint then registered as a CANDIDATE
// model (a failed registration is logged and leaves no candidate id), else
// FAILED; what the rounds did not pay is refunded to the creator.
func (k Keeper) endTask(ctx context.Context, task *types.Task) error {
	finalized, err := k.anyRoundFinalized(ctx, task)
	if err != nil {
		return err
	}
	task.Status = types.TASK_STATUS_FAILED
	if finalized {
		task.Status = types.TASK_STATUS_COMPLETED
		var id string
		err := cachectx.Run(ctx, func(cc sdk.Context) (err error) {
			id, err = k.registerCandidate(cc, task)
			return err
		})
		if err != nil {
			k.Logger(ctx).Error("training: candidate model not registered", "task", task.Id, "err", err)
		} else {
			task.CandidateModelId = id
		}
	}
	left := task.Budget.Sub(task.Spent)
	if left.IsPositive() {
		creator, err := k.addrBytes(task.Creator)
		if err != nil {
			return err
		}
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, creator, sdk.NewCoins(left)); err != nil {
			return err
		}
	}
	return kit.Emit(ctx, &types.EventTaskEnded{TaskId: task.Id, Status: task.Status, CandidateModelId: task.CandidateModelId, Refunded: left.String()})
}

// anyRoundFinalized reports whether one of the task's rounds FINALIZED,
// looking from the last round back (at most max_rounds reads).
func (k Keeper) anyRoundFinalized(ctx context.Context, task *types.Task) (bool, error) {
	rng := collections.NewPrefixedPairRange[uint64, uint32](task.Id).Descending()
	it, err := k.Rounds.Iterate(ctx, rng)
	if err != nil {
		return false, err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		r, err := it.Value()
		if err != nil {
			return false, err
		}
		if r.Phase == types.ROUND_PHASE_FINALIZED {
			return true, nil
		}
	}
	return false, nil
}

// registerCandidate registers the task's checkpoint in x/inference as a
// CANDIDATE model "<base>-t<id>" ("task-<id>" if that is too long), with the
// base model's runtime, determinism, prices and VRAM, and returns its id.
func (k Keeper) registerCandidate(ctx context.Context, task *types.Task) (string, error) {
	base, err := k.inference.GetModel(ctx, task.BaseModelId)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("%s-t%d", task.BaseModelId, task.Id)
	if len(id) > inferencetypes.MaxModelIDLength {
		id = fmt.Sprintf("task-%d", task.Id)
	}
	name := fmt.Sprintf("%s (training task %d)", base.Name, task.Id)
	if len(name) > inferencetypes.MaxModelNameLength {
		name = fmt.Sprintf("training task %d", task.Id)
	}
	m := inferencetypes.Model{
		Id:            id,
		Name:          name,
		Version:       fmt.Sprintf("t%d", task.Id),
		WeightsDigest: hex.EncodeToString(task.CheckpointDigest),
		WeightsUri:    task.CheckpointUri,
		Runtime:       task.Runtime,
		Deterministic: base.Deterministic,
		Prices:        base.Prices,
		MinVramGb:     base.MinVramGb,
		Status:        inferencetypes.MODEL_STATUS_CANDIDATE,
	}
	if err := k.inference.RegisterCandidateModel(ctx, m); err != nil {
		return "", err
	}
	return id, nil
}

// roundSeedPurpose is the x/compute Seed purpose of the round draws.
const roundSeedPurpose = "training-round"

// startRounds starts round n of a RUNNING task (not saved). A round without
// candidates ends EMPTY at once and the next one is tried; after the last
// round the task ends. The candidates are read once: in one block, a round
// without any means the next rounds have none either.
func (k Keeper) startRounds(ctx context.Context, params types.Params, task *types.Task, n uint32) error {
	var cands []roundCandidate
	scanned := false
	for ; n <= task.Rounds; n++ {
		if !scanned {
			var err error
			if cands, err = k.roundCandidates(ctx, task.Id); err != nil {
				return err
			}
			scanned = true
		}
		if len(cands) > 0 {
			return k.openRound(ctx, params, task, n, cands)
		}
		round := types.Round{
			TaskId: task.Id, Number: n, Phase: types.ROUND_PHASE_EMPTY, BaseDigest: bytes.Clone(task.CheckpointDigest),
			StartHeight: sdk.UnwrapSDKContext(ctx).BlockHeight(), Budget: roundBudget(task, n),
		}
		task.CurrentRound = n
		if err := kit.Emit(ctx, &types.EventRoundStarted{TaskId: task.Id, Round: n}); err != nil {
			return err
		}
		if err := k.saveEndedRound(ctx, task, &round, math.ZeroInt()); err != nil {
			return err
		}
	}
	return k.endTask(ctx, task)
}

// roundBudget is ⌊(budget − spent) / (rounds − n + 1)⌋.
func roundBudget(task *types.Task, n uint32) sdk.Coin {
	left := task.Budget.Amount.Sub(task.Spent.Amount)
	return sdk.NewCoin(task.Budget.Denom, left.QuoRaw(int64(task.Rounds-n+1)))
}

// roundCandidate is a joined worker that may be drawn.
type roundCandidate struct {
	addr     sdk.AccAddress
	worker   string
	provider string
}

// roundCandidates lists the task's joined workers (at most MaxTaskWorkers,
// in address order) that joined before this block and are ACTIVE in
// x/compute with an eligible pool.
func (k Keeper) roundCandidates(ctx context.Context, taskID uint64) ([]roundCandidate, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	it, err := k.TaskWorkers.Iterate(ctx, collections.NewPrefixedPairRange[uint64, sdk.AccAddress](taskID))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []roundCandidate
	eligible := make(map[string]bool) // lookups only: never iterated
	for n := 0; it.Valid() && n < types.MaxTaskWorkers; it.Next() {
		n++
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		addr := key.K2()
		// Joined in this block: the proposer, who knows the seed, chose
		// whether its join is in the block.
		if recent, err := k.RecentJoins.Has(ctx, collections.Join3(h, taskID, addr)); err != nil || recent {
			if err != nil {
				return nil, err
			}
			continue
		}
		w, err := k.compute.GetWorker(ctx, addr)
		if err != nil || w.Status != computetypes.WORKER_STATUS_ACTIVE {
			continue
		}
		ok, seen := eligible[w.Provider]
		if !seen {
			// A pool x/pool cannot read is not eligible.
			ok, err = k.poolEligible(ctx, w.Provider)
			ok = ok && err == nil
			eligible[w.Provider] = ok
		}
		if !ok {
			continue
		}
		worker := k.addrString(addr)
		out = append(out, roundCandidate{addr: addr, worker: worker, provider: w.Provider})
	}
	return out, nil
}

// draw returns the n candidates with the smallest SHA-256(seed ‖ role ‖
// address), in that order.
func draw(seed []byte, role string, cands []roundCandidate, n int) []roundCandidate {
	type ranked struct {
		key []byte
		c   roundCandidate
	}
	rs := make([]ranked, len(cands))
	for i, c := range cands {
		h := sha256.New()
		h.Write(seed)
		h.Write([]byte(role))
		h.Write(c.addr)
		rs[i] = ranked{key: h.Sum(nil), c: c}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c
		}
		return bytes.Compare(a.c.addr, b.c.addr)
	})
	out := make([]roundCandidate, 0, min(n, len(rs)))
	for _, r := range rs[:min(n, len(rs))] {
		out = append(out, r.c)
	}
	return out
}

// openRound draws round n from cands (not empty) and opens its commit phase.
func (k Keeper) openRound(ctx context.Context, params types.Params, task *types.Task, n uint32, cands []roundCandidate) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	id := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, task.Id), n)
	seed := k.compute.Seed(ctx, roundSeedPurpose, id)
	zero := sdk.NewCoin(task.Budget.Denom, math.ZeroInt())
	round := types.Round{
		TaskId: task.Id, Number: n, Phase: types.ROUND_PHASE_COMMIT, Seed: seed,
		BaseDigest: bytes.Clone(task.CheckpointDigest), StartHeight: h,
		CommitEnd: h + params.CommitBlocks, Budget: roundBudget(task, n),
	}
	round.RevealEnd = round.CommitEnd + params.RevealBlocks
	round.AggregateEnd = round.RevealEnd + params.AggregateBlocks
	ev := &types.EventRoundStarted{TaskId: task.Id, Round: n}
	for _, c := range draw(seed, "participant", cands, int(task.ParticipantsPerRound)) {
		round.Updates = append(round.Updates, types.Update{Worker: c.worker, Provider: c.provider, Paid: zero})
		ev.Participants = append(ev.Participants, c.worker)
	}
	for _, c := range draw(seed, "aggregator", cands, int(task.AggregatorsPerRound)) {
		round.Aggregates = append(round.Aggregates, types.Aggregate{Worker: c.worker, Provider: c.provider, Paid: zero})
		ev.Aggregators = append(ev.Aggregators, c.worker)
	}
	if err := k.Rounds.Set(ctx, collections.Join(task.Id, n), round); err != nil {
		return err
	}
	if err := k.RoundDeadlines.Set(ctx, collections.Join(round.CommitEnd, task.Id)); err != nil {
		return err
	}
	task.CurrentRound = n
	return kit.Emit(ctx, ev)
}
