package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/keeper"
	"github.com/llmesh/mesh/x/inference/types"
)

// liarJob runs a 3-worker job on the test model to the end, the third
// worker answering "5" and the others "4". between runs after the request's
// block and before the commits. It returns the liar and its pool's tokens
// before and after.
func (f *fixture) liarJob(between func()) (liar sdk.AccAddress, before, after int64, job types.Job) {
	f.t.Helper()
	requester := addr("requester", 1)
	f.fund(requester, 3500)
	var jobID uint64
	f.block(func() { jobID = f.request(f.requestMsg(requester)).JobId })
	if between != nil {
		between()
	}
	f.block(nil) // assigned
	ws := f.assigned(jobID)
	liar = ws[2]
	pool := f.providerOf(liar)
	before = f.poolTokens(pool).Int64()
	f.inBlock(f.commitResult, jobID, ws, "4", "4", "5")
	f.inBlock(f.revealResult, jobID, ws, "4", "4", "5")
	return liar, before, f.poolTokens(pool).Int64(), f.job(jobID)
}

// TestDeterministicFixedAtRequest (issue 17 L3): a job is judged by the
// model's deterministic flag at its request, stored in the job; a later
// MsgUpdateModel does not change whether an open job's outliers are slashed.
// Before the fix the settlement read the model's current flag: the
// deterministic job below did not slash its liar, the other one did.
func TestDeterministicFixedAtRequest(t *testing.T) {
	for _, atRequest := range []bool{true, false} {
		t.Run(map[bool]string{true: "deterministic then not", false: "not then deterministic"}[atRequest], func(t *testing.T) {
			f := newFixture(t, nil)
			require.NoError(t, f.k.UpdateModel(f.ctx, f.authority, testModel(modelID, atRequest)))
			f.addWorkers(3)
			_, before, after, job := f.liarJob(func() {
				require.NoError(t, f.k.UpdateModel(f.ctx, f.authority, testModel(modelID, !atRequest)))
			})
			require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
			want := before
			if atRequest {
				want = before - selfBond/100
			}
			require.Equal(t, want, after, "the liar is slashed iff the model was deterministic at the request")
			require.Equal(t, atRequest, job.Deterministic, "stored at the request")
		})
	}
}

// TestMigrate1to2Deterministic: the v2 migration stores the model's flag in
// every open job (a v1 job has none).
func TestMigrate1to2Deterministic(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	_, jobID, _ := f.requestOne(3500)
	job := f.job(jobID)
	job.Deterministic = false // as v1 stored it
	require.NoError(t, f.k.Jobs.Set(f.ctx, jobID, job))
	require.NoError(t, keeper.NewMigrator(f.k).Migrate1to2(f.ctx))
	require.True(t, f.job(jobID).Deterministic)
}

// TestMedianUnreadableNotSlashed (issue 17 L2): on a deterministic model, a
// MEDIAN reveal that does not parse as a decimal int64 ("4.0", an output by
// URI) cannot agree, and loses reputation, but is not slashed: a format the
// requester's mode cannot read is no proof of a lie. A readable value out of
// tolerance still is. Before the fix the unreadable reveal was slashed 1 %.
func TestMedianUnreadableNotSlashed(t *testing.T) {
	for _, tc := range []struct {
		odd     string
		reason  string
		slashed int64
	}{
		{"4.0", "unreadable", 0},
		{"9", "outlier", selfBond / 100},
	} {
		t.Run(tc.odd, func(t *testing.T) {
			f := newFixture(t, nil)
			f.addWorkers(3)
			requester := addr("requester", 1)
			f.fund(requester, 3500)
			msg := f.requestMsg(requester)
			msg.Mode = types.CONSENSUS_MODE_MEDIAN
			var jobID uint64
			f.block(func() { jobID = f.request(msg).JobId })
			f.block(nil)
			ws := f.assigned(jobID)
			pool := f.providerOf(ws[2])
			before := f.poolTokens(pool).Int64()
			f.inBlock(f.commitResult, jobID, ws, "4", "4", tc.odd)
			f.block(func() {
				for i, out := range []string{"4", "4", tc.odd} {
					f.revealResult(ws[i], jobID, out)
				}
				pen := f.events("mesh.inference.v1.EventWorkerPenalized")
				require.Len(t, pen, 1)
				require.Equal(t, tc.reason, attr(pen[0], "reason"))
			})
			job := f.job(jobID)
			require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
			require.Equal(t, []byte("4"), job.Result)
			require.Equal(t, before-tc.slashed, f.poolTokens(pool).Int64())
			require.Equal(t, uint32(4000), f.reputation(ws[2]), "reputation lost either way")
		})
	}
}
