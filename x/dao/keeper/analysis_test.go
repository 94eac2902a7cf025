package keeper_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// analysed submits a proposal with the analysis on and returns its id and job id.
func analysed(t *testing.T) (*fixture, uint64, uint64) {
	t.Helper()
	f := newFixture(t, withParams(withAnalysis))
	f.fundTreasury(1_000_000)
	id := f.submit(f.account("proposer"), f.send(f.account("grants"), 1))
	p := f.proposal(id)
	require.Equal(t, types.ANALYSIS_STATUS_PENDING, p.Analysis.Status)
	return f, id, p.Analysis.JobId
}

func TestAnalysisRequested(t *testing.T) {
	f, id, job := analysed(t)
	require.Equal(t, uint64(1), job)
	require.Len(t, f.inference.requests, 1)
	req := f.inference.requests[0]
	require.Equal(t, f.treasury(), req.requester)
	require.Equal(t, inferencetypes.MsgRequestInference{
		Requester:  f.authority,
		ModelId:    model,
		Input:      []byte("Fund the inference grants\n\nSend treasury funds to the grants multisig."),
		MaxFee:     sdk.NewInt64Coin(denom, 10_000),
		Redundancy: 3,
		Mode:       inferencetypes.CONSENSUS_MODE_EXACT,
		Callback:   types.AnalysisCallback,
	}, req.msg)
	require.Equal(t, int64(1_000_000), f.treasuryBalance(), "the treasury pays max_fee, which the proposer paid in")
	require.Equal(t, int64(funds-deposit-10_000), f.balance(f.account("proposer")), "deposit + analysis fee")

	p := f.proposal(id)
	require.Equal(t, types.Analysis{Status: types.ANALYSIS_STATUS_PENDING, JobId: 1, Model: model}, p.Analysis)
	got, err := f.k.AnalysisJobs.Get(f.ctx, job)
	require.NoError(t, err)
	require.Equal(t, id, got)
	require.Equal(t, uint64(1), typedEvents[types.EventProposalSubmitted](f)[0].AnalysisJobId)
}

func TestAnalysisInputCut(t *testing.T) {
	f := newFixture(t, withParams(withAnalysis))
	f.fundTreasury(1_000_000)
	msg := f.submitMsg(f.account("proposer"), f.send(f.account("grants"), 1))
	msg.Title = "T"
	msg.Summary = strings.Repeat("é", 3000) // 2 bytes each
	_, err := f.msg.SubmitProposal(f.ctx, msg)
	require.NoError(t, err)
	in := f.inference.requests[0].msg.Input
	// "T\n\n" is 3 bytes; 2045 more would split an "é": cut to 2047.
	require.Len(t, in, 2047)
	require.True(t, utf8.Valid(in))
	require.True(t, strings.HasPrefix("T\n\n"+msg.Summary, string(in)))
}

func TestAnalysisDone(t *testing.T) {
	f, id, job := analysed(t)
	before := f.proposal(id)
	f.next(0)
	err := f.k.JobHooks().AfterJobEnded(f.ctx, inferencetypes.Job{
		Id: job, Status: inferencetypes.JOB_STATUS_FINALIZED, Callback: types.AnalysisCallback,
		Result: []byte(`{"label":"high","score":6924,"model":"mesh-embedded-v1"}`),
	})
	require.NoError(t, err)
	after := f.proposal(id)
	require.Equal(t, types.Analysis{Status: types.ANALYSIS_STATUS_DONE, JobId: job, Model: model, Label: "high", Score: 6924}, after.Analysis)
	after.Analysis = before.Analysis
	require.Equal(t, before, after, "only the analysis changes")
	has, err := f.k.AnalysisJobs.Has(f.ctx, job)
	require.NoError(t, err)
	require.False(t, has)
	require.Equal(t, []types.EventAnalysis{{ProposalId: id, Status: types.ANALYSIS_STATUS_DONE, Label: "high", Score: 6924}},
		typedEvents[types.EventAnalysis](f))

	// A second call for the same job is ignored.
	snap := f.snapshot()
	require.NoError(t, f.k.JobHooks().AfterJobEnded(f.ctx, inferencetypes.Job{Id: job, Status: inferencetypes.JOB_STATUS_FAILED}))
	require.Equal(t, snap, f.snapshot())
}

func TestAnalysisFailed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		job    inferencetypes.Job
		reason string
	}{
		{"job failed", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FAILED}, "job JOB_STATUS_FAILED"},
		{"job expired", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_EXPIRED}, "job JOB_STATUS_EXPIRED"},
		{"not JSON", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FINALIZED, Result: []byte("high risk")}, "unparseable result"},
		{"no label", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FINALIZED, Result: []byte(`{"score":10}`)}, "unparseable result"},
		{"score above 10000", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FINALIZED, Result: []byte(`{"label":"high","score":10001}`)}, "unparseable result"},
		{"negative score", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FINALIZED, Result: []byte(`{"label":"low","score":-1}`)}, "unparseable result"},
		{"fractional score", inferencetypes.Job{Status: inferencetypes.JOB_STATUS_FINALIZED, Result: []byte(`{"label":"low","score":1.5}`)}, "unparseable result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, id, job := analysed(t)
			before := f.proposal(id)
			tc.job.Id = job
			require.NoError(t, f.k.JobHooks().AfterJobEnded(f.ctx, tc.job))
			after := f.proposal(id)
			require.Equal(t, types.Analysis{Status: types.ANALYSIS_STATUS_FAILED, JobId: job, Model: model, Error: tc.reason}, after.Analysis)
			after.Analysis = before.Analysis
			require.Equal(t, before, after, "the rest of the proposal is unchanged")
			require.Equal(t, types.PROPOSAL_STATUS_VOTING, after.Status)
		})
	}
}

// Anybody may name the "dao" callback: a job that is not an analysis is ignored.
func TestAnalysisForeignJob(t *testing.T) {
	f, _, job := analysed(t)
	snap, events := f.snapshot(), len(f.ctx.EventManager().Events())
	require.NoError(t, f.k.JobHooks().AfterJobEnded(f.ctx, inferencetypes.Job{
		Id: job + 1, Status: inferencetypes.JOB_STATUS_FINALIZED, Callback: types.AnalysisCallback,
		Result: []byte(`{"label":"low","score":1}`),
	}))
	require.Equal(t, snap, f.snapshot())
	require.Len(t, f.ctx.EventManager().Events(), events)
}

// When the job cannot be opened the proposal is created all the same, and
// nothing of the failed request is kept.
func TestAnalysisUnavailable(t *testing.T) {
	t.Run("inference error", func(t *testing.T) {
		f := newFixture(t, withParams(withAnalysis))
		f.fundTreasury(1_000_000)
		f.inference.err = errInferenceDown
		proposer := f.account("proposer")
		funded := f.balance(proposer)
		id := f.submit(proposer, f.send(f.account("grants"), 1))
		p := f.proposal(id)
		require.Equal(t, types.PROPOSAL_STATUS_VOTING, p.Status)
		require.Equal(t, types.Analysis{Status: types.ANALYSIS_STATUS_UNAVAILABLE, Model: model, Error: "inference/" + fmt.Sprint(inferencetypes.ErrModelNotActive.ABCICode()) + ": model not active"}, p.Analysis)
		require.Equal(t, int64(1_000_000), f.treasuryBalance())
		require.Equal(t, funded-deposit, f.balance(proposer))
		require.Zero(t, typedEvents[types.EventProposalSubmitted](f)[0].AnalysisJobId)
	})
	t.Run("proposer short of the analysis fee", func(t *testing.T) {
		f := newFixture(t, withParams(withAnalysis))
		f.fundTreasury(1_000_000)
		proposer := sdk.AccAddress([]byte("poor-proposer-0000000"))
		f.fund(proposer, deposit+9_999)
		id := f.submit(proposer, f.send(f.account("grants"), 1))
		p := f.proposal(id)
		require.Equal(t, types.ANALYSIS_STATUS_UNAVAILABLE, p.Analysis.Status)
		require.Contains(t, p.Analysis.Error, "insufficient funds")
		require.Equal(t, int64(1_000_000), f.treasuryBalance(), "the treasury pays nothing")
		require.Equal(t, int64(9_999), f.balance(proposer), "only the deposit was taken")
		require.Empty(t, f.inference.requests)
		it, err := f.k.AnalysisJobs.Iterate(f.ctx, nil)
		require.NoError(t, err)
		defer it.Close()
		require.False(t, it.Valid())
	})
}
