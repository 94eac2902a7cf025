package keeper_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/training/types"
)

func TestCreateTask(t *testing.T) {
	f := newTaskFixture(t)
	f.next()
	id := f.create(f.createMsg(3, 2, 3))
	require.Equal(t, uint64(1), id)

	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_OPEN, task.Status)
	require.Equal(t, f.bech(f.creator), task.Creator)
	require.Equal(t, tfBaseModel, task.BaseModelId)
	require.Equal(t, inferencetypes.RuntimeInt8Embedded, task.Runtime)
	require.Equal(t, tfBaseDigest, task.BaseDigest)
	require.Equal(t, tfBaseDigest, task.CheckpointDigest)
	require.Equal(t, []uint64{f.dataset}, task.DatasetIds)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, tfBudget), task.Budget)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, 0), task.Spent)
	require.Equal(t, int64(2), task.CreatedHeight)
	require.Equal(t, uint32(0), task.CurrentRound)
	require.Equal(t, `{"lr":0.01}`, task.Hyperparams)

	require.Equal(t, int64(tfFunds-tfBudget), f.balance(f.creator))
	require.Equal(t, int64(tfBudget), f.escrow())
	ev := tfEvents[types.EventTaskCreated](f)
	require.Equal(t, []types.EventTaskCreated{{TaskId: 1, Creator: f.bech(f.creator), BaseModelId: tfBaseModel, Budget: "10000000umesh"}}, ev)

	require.Equal(t, uint64(2), f.create(f.createMsg(1, 1, 1)))
	require.Equal(t, int64(2*tfBudget), f.escrow())
}

func TestCreateTaskRejected(t *testing.T) {
	f := newTaskFixture(t)
	f.inference.models["retired"] = inferencetypes.Model{Id: "retired", WeightsDigest: strings.Repeat("ab", 32), Status: inferencetypes.MODEL_STATUS_RETIRED}
	f.inference.models["no-digest"] = inferencetypes.Model{Id: "no-digest", Status: inferencetypes.MODEL_STATUS_ACTIVE}
	f.inference.models["short-digest"] = inferencetypes.Model{Id: "short-digest", WeightsDigest: "abcd", Status: inferencetypes.MODEL_STATUS_ACTIVE}
	poor := tfAddr("poor")
	f.fund(poor, tfBudget-1)

	cases := []struct {
		name   string
		mutate func(*types.MsgCreateTask)
		want   error
	}{
		{"unknown dataset", func(m *types.MsgCreateTask) { m.DatasetIds = []uint64{1, 7} }, types.ErrDatasetNotFound},
		{"budget below the minimum", func(m *types.MsgCreateTask) { m.Budget = sdk.NewInt64Coin(tfDenom, tfBudget-1) }, types.ErrBudgetTooLow},
		{"budget in another denom", func(m *types.MsgCreateTask) { m.Budget = sdk.NewInt64Coin("uatom", tfBudget) }, types.ErrBudgetTooLow},
		{"unknown base model", func(m *types.MsgCreateTask) { m.BaseModelId = "nope" }, types.ErrModelNotFound},
		{"retired base model", func(m *types.MsgCreateTask) { m.BaseModelId = "retired" }, types.ErrInvalidTask},
		{"base model without digest", func(m *types.MsgCreateTask) { m.BaseModelId = "no-digest" }, types.ErrInvalidTask},
		{"base model with a short digest", func(m *types.MsgCreateTask) { m.BaseModelId = "short-digest" }, types.ErrInvalidTask},
		{"rounds above max_rounds", func(m *types.MsgCreateTask) { m.Rounds = f.params.MaxRounds + 1 }, types.ErrInvalidTask},
		{"participants above max", func(m *types.MsgCreateTask) { m.ParticipantsPerRound = f.params.MaxParticipants + 1 }, types.ErrInvalidTask},
		{"aggregators above max", func(m *types.MsgCreateTask) { m.AggregatorsPerRound = f.params.MaxAggregators + 1 }, types.ErrInvalidTask},
		{"creator cannot pay", func(m *types.MsgCreateTask) { m.Creator = f.bech(poor) }, sdkerrors.ErrInsufficientFunds},
		{"no datasets", func(m *types.MsgCreateTask) { m.DatasetIds = nil }, types.ErrInvalidTask},
		{"bad creator", func(m *types.MsgCreateTask) { m.Creator = "mesh1nope" }, types.ErrInvalidAddress},
	}
	for _, tc := range cases {
		msg := f.createMsg(2, 2, 3)
		tc.mutate(msg)
		f.requireRejected(tc.want, validated(msg, func() error { _, err := f.k.CreateTask(f.ctx, msg); return err }), tc.name)
	}
	require.Equal(t, int64(tfBudget-1), f.balance(poor))
	require.Equal(t, int64(0), f.escrow())
	next, err := f.k.NextTaskID.Peek(f.ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), next)
}

func TestCreateTaskMaxTaskWorkers(t *testing.T) {
	f := newTaskFixture(t, func(p *types.Params) { p.MaxTaskWorkers = 2 })
	f.requireRejected(types.ErrInvalidTask, func() error { _, err := f.k.CreateTask(f.ctx, f.createMsg(1, 1, 3)); return err })
}

func TestMsgCreateTaskValidate(t *testing.T) {
	f := newTaskFixture(t)
	cases := map[string]func(*types.MsgCreateTask){
		"duplicate dataset":     func(m *types.MsgCreateTask) { m.DatasetIds = []uint64{1, 2, 1} },
		"dataset 0":             func(m *types.MsgCreateTask) { m.DatasetIds = []uint64{0} },
		"17 datasets":           func(m *types.MsgCreateTask) { m.DatasetIds = make([]uint64, 17) },
		"no rounds":             func(m *types.MsgCreateTask) { m.Rounds = 0 },
		"no participants":       func(m *types.MsgCreateTask) { m.ParticipantsPerRound = 0 },
		"no aggregators":        func(m *types.MsgCreateTask) { m.AggregatorsPerRound = 0 },
		"no aggregation":        func(m *types.MsgCreateTask) { m.Aggregation = types.AGGREGATION_UNSPECIFIED },
		"unknown aggregation":   func(m *types.MsgCreateTask) { m.Aggregation = 9 },
		"hyperparams not JSON":  func(m *types.MsgCreateTask) { m.Hyperparams = "lr=1" },
		"hyperparams too large": func(m *types.MsgCreateTask) { m.Hyperparams = `"` + strings.Repeat("x", 1023) + `"` },
		"zero budget":           func(m *types.MsgCreateTask) { m.Budget = sdk.NewInt64Coin(tfDenom, 0) },
		"bad model id":          func(m *types.MsgCreateTask) { m.BaseModelId = "a b" },
	}
	for name, mutate := range cases {
		msg := f.createMsg(2, 2, 3)
		mutate(msg)
		require.ErrorIs(t, msg.ValidateBasic(), types.ErrInvalidTask, name)
	}
	msg := f.createMsg(2, 2, 3)
	msg.Hyperparams = ""
	require.NoError(t, msg.ValidateBasic())
	msg.Hyperparams = `"` + strings.Repeat("x", 1022) + `"`
	require.NoError(t, msg.ValidateBasic())
}

func TestMsgRoundValidate(t *testing.T) {
	f := newTaskFixture(t)
	w := f.addWorker("a")
	u := tfUpdate(w, 1, 10)
	require.NoError(t, f.commitMsg(w, 1, 1, u).ValidateBasic())
	require.NoError(t, f.revealMsg(w, 1, 1, u).ValidateBasic())
	require.NoError(t, f.aggregateMsg(w, 1, 1, u.digest, 1).ValidateBasic())

	c := f.commitMsg(w, 1, 1, u)
	c.Commitment = c.Commitment[:31]
	require.ErrorIs(t, c.ValidateBasic(), types.ErrInvalidUpdate)
	c = f.commitMsg(w, 1, 0, u)
	require.ErrorIs(t, c.ValidateBasic(), types.ErrInvalidUpdate)
	c = f.commitMsg(w, 1, 1, u)
	c.Worker = ""
	require.ErrorIs(t, c.ValidateBasic(), types.ErrInvalidAddress)

	for name, mutate := range map[string]func(*types.MsgRevealUpdate){
		"short digest": func(m *types.MsgRevealUpdate) { m.Digest = m.Digest[:31] },
		"no samples":   func(m *types.MsgRevealUpdate) { m.Samples = 0 },
		"uri space":    func(m *types.MsgRevealUpdate) { m.Uri = "ipfs:// x" },
		"uri too long": func(m *types.MsgRevealUpdate) { m.Uri = strings.Repeat("u", 513) },
		"short salt":   func(m *types.MsgRevealUpdate) { m.Salt = m.Salt[:15] },
		"long salt":    func(m *types.MsgRevealUpdate) { m.Salt = make([]byte, 65) },
		"round 0":      func(m *types.MsgRevealUpdate) { m.Round = 0 },
	} {
		m := f.revealMsg(w, 1, 1, u)
		mutate(m)
		require.ErrorIs(t, m.ValidateBasic(), types.ErrInvalidUpdate, name)
	}
	a := f.aggregateMsg(w, 1, 1, u.digest, 1)
	a.Digest = nil
	require.ErrorIs(t, a.ValidateBasic(), types.ErrInvalidUpdate)
	a = f.aggregateMsg(w, 1, 1, u.digest, 1)
	a.Uri = "bad\nuri"
	require.ErrorIs(t, a.ValidateBasic(), types.ErrInvalidUpdate)
}

// TestUpdateCommitmentLayout pins the commitment's byte layout.
func TestUpdateCommitmentLayout(t *testing.T) {
	worker := tfAddr("w")
	digest, salt := tfSha("d"), tfSha("s")[:16]
	var pre []byte
	pre = append(pre, 0, 0, 0, 0, 0, 0, 0, 7) // task
	pre = append(pre, 0, 0, 0, 3)             // round
	pre = append(pre, worker...)
	pre = append(pre, digest...)
	pre = append(pre, 0, 0, 0, 0, 0, 0, 0x01, 0x00)    // samples 256
	pre = append(pre, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40) // loss 1,000,000
	pre = append(pre, salt...)
	want := tfShaBytes(pre)
	require.Equal(t, want, types.UpdateCommitment(7, 3, worker, digest, 256, 1_000_000, salt))
}

func TestJoinTask(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	id := f.create(f.createMsg(2, 2, 3))

	f.next()
	f.join(id, ws[0])
	f.join(id, ws[1])
	require.Equal(t, types.TASK_STATUS_OPEN, f.task(id).Status)
	require.Equal(t, uint32(2), f.task(id).Workers)
	require.Len(t, tfEvents[types.EventTaskJoined](f), 2)
	require.Empty(t, f.deadlines())

	// The third join reaches max(2 participants, 3 aggregators): round 1 is
	// scheduled for the next block, not drawn in this one.
	f.join(id, ws[2])
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_OPEN, task.Status)
	require.Equal(t, uint32(0), task.CurrentRound)
	require.Equal(t, uint32(3), task.Workers)
	joined := f.height()
	require.Equal(t, [][2]int64{{joined + 1, int64(id)}}, f.deadlines())
	require.Empty(t, tfEvents[types.EventRoundStarted](f))
	f.endBlock()
	require.Equal(t, types.TASK_STATUS_OPEN, f.task(id).Status, "not in the joins' own EndBlocker")

	f.next()
	f.endBlock()
	task = f.task(id)
	require.Equal(t, types.TASK_STATUS_RUNNING, task.Status)
	require.Equal(t, uint32(1), task.CurrentRound)
	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_COMMIT, r.Phase)
	require.Equal(t, joined+1, r.StartHeight)
	require.Len(t, r.Updates, 2)
	require.Len(t, r.Aggregates, 3)
	h := f.height()
	require.Equal(t, [][2]int64{{h + f.params.CommitBlocks, int64(id)}}, f.deadlines())
	started := tfEvents[types.EventRoundStarted](f)
	require.Len(t, started, 1)
	require.Equal(t, uint32(1), started[0].Round)

	// A RUNNING task still takes workers for the next rounds.
	f.join(id, ws[3])
	require.Equal(t, uint32(4), f.task(id).Workers)
	require.Equal(t, uint32(1), f.task(id).CurrentRound)
}

func TestJoinTaskRejected(t *testing.T) {
	f := newTaskFixture(t, func(p *types.Params) { p.MaxTaskWorkers = 3 })
	ws := f.addWorkers(4)
	id := f.create(f.createMsg(1, 1, 3))
	f.join(id, ws[0])

	inactive := f.addWorker("inactive")
	w := f.compute.workers[string(inactive.addr)]
	w.Status = computetypes.WORKER_STATUS_JAILED
	f.compute.workers[string(inactive.addr)] = w
	otherModel := f.addWorker("other-model")
	w = f.compute.workers[string(otherModel.addr)]
	w.Models = []string{"other"}
	f.compute.workers[string(otherModel.addr)] = w
	ineligible := f.addWorker("ineligible")
	f.pool.eligible[string(ineligible.provider)] = false
	unknown := tfWorker{addr: tfAddr("unknown")}

	join := func(w tfWorker, task uint64) func() error {
		return func() error { return f.k.JoinTask(f.ctx, &types.MsgJoinTask{Worker: f.bech(w.addr), TaskId: task}) }
	}
	f.requireRejected(types.ErrTaskNotFound, join(ws[1], 9))
	f.requireRejected(types.ErrNotEligible, join(unknown, id), "unregistered")
	f.requireRejected(types.ErrNotEligible, join(inactive, id), "jailed")
	f.requireRejected(types.ErrNotEligible, join(otherModel, id), "another model")
	f.requireRejected(types.ErrNotEligible, join(ineligible, id), "pool not eligible")
	f.requireRejected(types.ErrAlreadyJoined, join(ws[0], id))
	f.requireRejected(types.ErrInvalidAddress, func() error { return f.k.JoinTask(f.ctx, &types.MsgJoinTask{Worker: "x", TaskId: id}) })

	// Full at max_task_workers (3): the task started at the third join.
	f.join(id, ws[1])
	f.join(id, ws[2])
	f.requireRejected(types.ErrTaskFull, join(ws[3], id))

	// An ended task takes nobody.
	task := f.task(id)
	task.Status = types.TASK_STATUS_FAILED
	require.NoError(t, f.k.Tasks.Set(f.ctx, id, task))
	f.requireRejected(types.ErrTaskClosed, join(ws[3], id))
}
