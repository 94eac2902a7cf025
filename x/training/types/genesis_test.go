package types_test

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/types"
)

const (
	alice = "mesh1alice"
	bob   = "mesh1bob"
	carol = "mesh1carol"
	w1    = "mesh1worker1"
	w2    = "mesh1worker2"
)

func umesh(n int64) sdk.Coin { return sdk.NewInt64Coin("umesh", n) }

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// validGenesis has two datasets; an inline OPEN item with two pending
// annotations, a LABELED item by URI and a DISPUTED one; a COMPLETED task
// with two rounds and a RUNNING task in the reveal phase of round 2.
func validGenesis() types.GenesisState {
	return types.GenesisState{
		Params:        types.DefaultParams(),
		NextDatasetId: 3,
		NextItemId:    4,
		NextTaskId:    3,
		Datasets: []types.Dataset{
			{Id: 1, Owner: alice, Name: "reviews", Schema: "text", License: "CC-BY-4.0", Items: 2, Labels: []string{"low", "high"}},
			{Id: 2, Owner: bob, Name: "scans", Items: 1},
		},
		Items: []types.Item{
			{Id: 1, DatasetId: 1, Contributor: alice, Digest: digest("good"), Data: []byte("good"), Status: types.ITEM_STATUS_OPEN, Annotations: 2},
			{Id: 2, DatasetId: 1, Contributor: alice, Digest: digest("far"), Uri: "https://x/far", Status: types.ITEM_STATUS_LABELED, Label: "low", Annotations: 3},
			{Id: 3, DatasetId: 2, Contributor: bob, Digest: digest("good"), Data: []byte("good"), Status: types.ITEM_STATUS_DISPUTED, Annotations: 3},
		},
		Annotations: []types.Annotation{
			{ItemId: 1, Annotator: bob, Label: "high", Stake: umesh(1_000_000)},
			{ItemId: 1, Annotator: carol, Label: "low", Stake: umesh(1_000_000)},
		},
		AnnotatorStats: []types.AnnotatorStats{
			{Annotator: bob, Agreed: 1},
			{Annotator: carol, Disagreed: 1, Strikes: 1},
		},
		Tasks: []types.Task{
			{
				Id: 1, Creator: alice, BaseModelId: "mesh-embedded-v1", Runtime: "int8-embedded", BaseDigest: digest("base"),
				DatasetIds: []uint64{1, 2}, Rounds: 2, ParticipantsPerRound: 2, AggregatorsPerRound: 1,
				Aggregation: types.AGGREGATION_FEDAVG, Hyperparams: `{"lr":"0.01"}`, Budget: umesh(20_000_000), Spent: umesh(20_000_000),
				Status: types.TASK_STATUS_COMPLETED, CurrentRound: 2, CheckpointDigest: digest("ck2"), CandidateModelId: "mesh-embedded-v1-t1", Workers: 2,
			},
			{
				Id: 2, Creator: bob, BaseModelId: "mesh-embedded-v1", Runtime: "int8-embedded", BaseDigest: digest("base"),
				DatasetIds: []uint64{2}, Rounds: 3, ParticipantsPerRound: 2, AggregatorsPerRound: 1,
				Aggregation: types.AGGREGATION_MEDIAN, Budget: umesh(30_000_000), Spent: umesh(10_000_000),
				Status: types.TASK_STATUS_RUNNING, CurrentRound: 2, Workers: 1,
			},
		},
		TaskWorkers: []types.TaskWorker{{TaskId: 1, Worker: w1}, {TaskId: 1, Worker: w2}, {TaskId: 2, Worker: w1}},
		Rounds: []types.Round{
			{TaskId: 1, Number: 1, Phase: types.ROUND_PHASE_FINALIZED, Budget: umesh(10_000_000)},
			{TaskId: 1, Number: 2, Phase: types.ROUND_PHASE_FINALIZED, Budget: umesh(10_000_000)},
			{TaskId: 2, Number: 1, Phase: types.ROUND_PHASE_EMPTY, Budget: umesh(10_000_000)},
			{
				TaskId: 2, Number: 2, Phase: types.ROUND_PHASE_REVEAL, CommitEnd: 20, RevealEnd: 30, AggregateEnd: 40, Budget: umesh(10_000_000),
				Updates:    []types.Update{{Worker: w1, Provider: alice, Commitment: digest("c"), Paid: umesh(0)}},
				Aggregates: []types.Aggregate{{Worker: w1, Provider: alice, Paid: umesh(0)}},
			},
		},
	}
}

func TestDefaultGenesis(t *testing.T) {
	gs := types.DefaultGenesis()
	require.NoError(t, gs.Validate())
	require.Equal(t, types.DefaultParams(), gs.Params)
	require.Equal(t, []uint64{1, 1, 1}, []uint64{gs.NextDatasetId, gs.NextItemId, gs.NextTaskId})
}

func TestGenesisValidate(t *testing.T) {
	valid := validGenesis()
	require.NoError(t, valid.Validate())

	for _, tc := range []struct {
		name    string
		mutate  func(*types.GenesisState)
		wantErr string
	}{
		{"bad params", func(gs *types.GenesisState) { gs.Params.MaxRounds = 0 }, "max_rounds"},
		{"next dataset id 0", func(gs *types.GenesisState) { gs.NextDatasetId = 0 }, "must be at least 1"},
		{"next item id 0", func(gs *types.GenesisState) { gs.NextItemId = 0 }, "must be at least 1"},
		{"next task id 0", func(gs *types.GenesisState) { gs.NextTaskId = 0 }, "must be at least 1"},
		{"dataset id at next", func(gs *types.GenesisState) { gs.NextDatasetId = 2 }, "dataset id 2 outside 1…next_dataset_id−1 (1)"},
		{"dataset id 0", func(gs *types.GenesisState) { gs.Datasets[0].Id = 0 }, "dataset id 0 outside"},
		{"dataset twice", func(gs *types.GenesisState) { gs.Datasets[1].Id = 1 }, "dataset 1 listed twice"},
		{"dataset without owner", func(gs *types.GenesisState) { gs.Datasets[0].Owner = "" }, "dataset 1: empty owner or name"},
		{"dataset item count", func(gs *types.GenesisState) { gs.Datasets[0].Items = 3 }, "dataset 1 counts 3 items, genesis has 2"},
		{"item id at next", func(gs *types.GenesisState) { gs.NextItemId = 3 }, "item id 3 outside 1…next_item_id−1 (2)"},
		{"item twice", func(gs *types.GenesisState) { gs.Items[1].Id = 1 }, "item 1 listed twice"},
		{"item of unknown dataset", func(gs *types.GenesisState) { gs.Items[2].DatasetId = 9 }, "item 3: dataset 9 does not exist"},
		{"item without contributor", func(gs *types.GenesisState) { gs.Items[0].Contributor = "" }, "item 1: empty contributor"},
		{"short digest", func(gs *types.GenesisState) { gs.Items[1].Digest = gs.Items[1].Digest[:31] }, "item 2: digest of 31 bytes, want 32"},
		{"digest not of data", func(gs *types.GenesisState) { gs.Items[0].Data = []byte("bad") }, "item 1: digest is not the SHA-256 of its inline data"},
		{"duplicate digest in dataset", func(gs *types.GenesisState) { gs.Items[1].Digest = digest("good") }, "items 1 and 2 of dataset 1 have the same digest"},
		{"item status", func(gs *types.GenesisState) { gs.Items[1].Status = types.ItemStatus(9) }, "item 2: invalid status 9"},
		{"item status unspecified", func(gs *types.GenesisState) { gs.Items[1].Status = types.ITEM_STATUS_UNSPECIFIED }, "item 2: invalid status 0"},
		{"labeled without label", func(gs *types.GenesisState) { gs.Items[1].Label = "" }, "item 2: LABELED without a label"},
		{"annotation of unknown item", func(gs *types.GenesisState) { gs.Annotations[0].ItemId = 9 }, "item 9 does not exist"},
		{"annotation of a final item", func(gs *types.GenesisState) { gs.Annotations[0].ItemId = 2 }, "on item 2, which is ITEM_STATUS_LABELED"},
		{"annotation twice", func(gs *types.GenesisState) { gs.Annotations[1].Annotator = bob }, "annotation of mesh1bob on item 1 listed twice"},
		{"annotation without label", func(gs *types.GenesisState) { gs.Annotations[1].Label = "" }, "empty annotator or label"},
		{"annotation stake", func(gs *types.GenesisState) { gs.Annotations[1].Stake = sdk.Coin{Denom: "u mesh"} }, "invalid stake"},
		{"item annotation count", func(gs *types.GenesisState) { gs.Items[0].Annotations = 3 }, "item 1 counts 3 annotations, genesis has 2"},
		{"annotator stats twice", func(gs *types.GenesisState) { gs.AnnotatorStats[1].Annotator = bob }, "annotator stats of mesh1bob listed twice"},
		{"annotator stats without annotator", func(gs *types.GenesisState) { gs.AnnotatorStats[1].Annotator = "" }, "empty annotator"},
		{"task id at next", func(gs *types.GenesisState) { gs.NextTaskId = 2 }, "task id 2 outside 1…next_task_id−1 (1)"},
		{"task twice", func(gs *types.GenesisState) { gs.Tasks[1].Id = 1 }, "task 1 listed twice"},
		{"task status", func(gs *types.GenesisState) { gs.Tasks[0].Status = types.TASK_STATUS_UNSPECIFIED }, "task 1: invalid status 0"},
		{"task aggregation", func(gs *types.GenesisState) { gs.Tasks[0].Aggregation = types.Aggregation(7) }, "task 1: invalid aggregation 7"},
		{"task of unknown dataset", func(gs *types.GenesisState) { gs.Tasks[1].DatasetIds = []uint64{2, 5} }, "task 2: dataset 5 does not exist"},
		{"task dataset twice", func(gs *types.GenesisState) { gs.Tasks[0].DatasetIds = []uint64{1, 1} }, "task 1: dataset 1 listed twice"},
		{"task without datasets", func(gs *types.GenesisState) { gs.Tasks[0].DatasetIds = nil }, "task 1: no datasets"},
		{"task without rounds", func(gs *types.GenesisState) { gs.Tasks[0].Rounds = 0 }, "must be positive"},
		{"task past its rounds", func(gs *types.GenesisState) { gs.Tasks[0].CurrentRound = 3 }, "current_round 3 after its last round 2"},
		{"task overspent", func(gs *types.GenesisState) { gs.Tasks[1].Spent = umesh(30_000_001) }, "at most the budget"},
		{"task spent other denom", func(gs *types.GenesisState) { gs.Tasks[1].Spent = sdk.NewInt64Coin("uatom", 1) }, "must be in umesh"},
		{"task budget zero", func(gs *types.GenesisState) { gs.Tasks[1].Budget = umesh(0) }, "budget 0umesh must be positive"},
		{"task without creator", func(gs *types.GenesisState) { gs.Tasks[1].Creator = "" }, "empty creator"},
		{"worker of unknown task", func(gs *types.GenesisState) { gs.TaskWorkers[2].TaskId = 9 }, "joined task 9, which does not exist"},
		{"worker twice", func(gs *types.GenesisState) { gs.TaskWorkers[1].Worker = w1 }, "worker mesh1worker1 of task 1 listed twice"},
		{"worker count", func(gs *types.GenesisState) { gs.Tasks[1].Workers = 2 }, "task 2 counts 2 workers, genesis has 1"},
		{"round of unknown task", func(gs *types.GenesisState) { gs.Rounds[0].TaskId = 9 }, "round 1 of task 9, which does not exist"},
		{"round 0", func(gs *types.GenesisState) { gs.Rounds[0].Number = 0 }, "round 0 of task 1 outside 1…2"},
		{"round past the task's rounds", func(gs *types.GenesisState) { gs.Tasks[0].Rounds = 1; gs.Tasks[0].CurrentRound = 1 }, "round 2 of task 1 outside 1…1"},
		{"round after the current one", func(gs *types.GenesisState) { gs.Rounds[2].Number = 3 }, "round 3 of task 2 is after its current round 2"},
		{"round twice", func(gs *types.GenesisState) { gs.Rounds[1].Number = 1 }, "round 1 of task 1 listed twice"},
		{"round phase", func(gs *types.GenesisState) { gs.Rounds[0].Phase = types.ROUND_PHASE_UNSPECIFIED }, "invalid phase 0"},
		{"old round in progress", func(gs *types.GenesisState) { gs.Rounds[2].Phase = types.ROUND_PHASE_COMMIT }, "not the current round of a RUNNING task"},
		{"running task's last round final", func(gs *types.GenesisState) {
			gs.Tasks[1].Rounds = 2
			gs.Rounds[3].Phase = types.ROUND_PHASE_FAILED
		}, "task 2 is RUNNING but its last round 2 is ROUND_PHASE_FAILED"},
		{"running task's round missing", func(gs *types.GenesisState) { gs.Rounds = gs.Rounds[:3] }, "task 2 is RUNNING but its current round 2 is missing"},
		{"running without a round", func(gs *types.GenesisState) { gs.Tasks[1].CurrentRound = 0; gs.Rounds = gs.Rounds[:2] }, "RUNNING without a current round"},
		{"participant twice", func(gs *types.GenesisState) {
			gs.Rounds[3].Updates = append(gs.Rounds[3].Updates, gs.Rounds[3].Updates[0])
		}, "drawn twice"},
		{"round budget denom", func(gs *types.GenesisState) { gs.Rounds[3].Budget = sdk.NewInt64Coin("uatom", 5) }, "invalid budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs := validGenesis()
			tc.mutate(&gs)
			err := gs.Validate()
			if tc.name == "bad params" {
				require.ErrorIs(t, err, types.ErrInvalidParams)
			} else {
				require.ErrorIs(t, err, types.ErrInvalidGenesis)
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}

	// The same digest in two datasets is two items; an OPEN task needs no round.
	gs := validGenesis()
	gs.Tasks[1].Status, gs.Tasks[1].CurrentRound, gs.Rounds = types.TASK_STATUS_OPEN, 0, gs.Rounds[:2]
	require.NoError(t, gs.Validate())
}
