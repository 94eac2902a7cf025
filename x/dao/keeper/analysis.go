package keeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// MaxAnalysisInputBytes caps the text sent for analysis: the title, a blank
// line and the start of the summary.
const MaxAnalysisInputBytes = 2048

// analysisInput is title + "\n\n" + summary, cut to MaxAnalysisInputBytes
// on a UTF-8 boundary.
func analysisInput(title, summary string) []byte {
	s := title + "\n\n" + summary
	if len(s) <= MaxAnalysisInputBytes {
		return []byte(s)
	}
	cut := MaxAnalysisInputBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return []byte(s[:cut])
}

// requestAnalysis opens the analysis job of proposal p and returns the
// analysis to store with it. The proposer pays analysis_max_fee into the
// treasury, which requests (and pays) the job; what the job does not spend
// is refunded to the treasury. So proposals — whose deposits come back —
// cannot drain the treasury through analysis fees. The payment and the
// request run in one cache context: when either fails (model inactive, too
// few workers, proposer short of the fee…) nothing of it is kept and the
// analysis is UNAVAILABLE — the proposal is created all the same.
func (k Keeper) requestAnalysis(ctx context.Context, params types.Params, p types.Proposal) types.Analysis {
	if params.AnalysisModel == "" || k.inference == nil {
		return types.Analysis{}
	}
	treasury := k.TreasuryAddress()
	proposer, err := k.addrBytes(p.Proposer)
	if err != nil {
		return types.Analysis{Status: types.ANALYSIS_STATUS_UNAVAILABLE, Model: params.AnalysisModel, Error: StableError(err)}
	}
	msg := &inferencetypes.MsgRequestInference{
		Requester:  k.addrString(treasury),
		ModelId:    params.AnalysisModel,
		Input:      analysisInput(p.Title, p.Summary),
		MaxFee:     params.AnalysisMaxFee,
		Redundancy: params.AnalysisRedundancy,
		// The label and score are compared byte for byte: the workers
		// run a deterministic model.
		Mode:     inferencetypes.CONSENSUS_MODE_EXACT,
		Callback: types.AnalysisCallback,
	}
	var job inferencetypes.Job
	err = cachectx.Run(ctx, func(cc sdk.Context) error {
		// Not a transaction: nothing ran the request's stateless checks.
		if err := msg.ValidateBasic(); err != nil {
			return err
		}
		if err := k.bank.SendCoinsFromAccountToModule(cc, proposer, types.ModuleName, sdk.NewCoins(params.AnalysisMaxFee)); err != nil {
			return err
		}
		var err error
		job, err = k.inference.RequestInference(cc, treasury, msg)
		return err
	})
	if err != nil {
		k.Logger(ctx).Info("proposal analysis unavailable", "proposal", p.Id, "model", params.AnalysisModel, "err", err)
		return types.Analysis{Status: types.ANALYSIS_STATUS_UNAVAILABLE, Model: params.AnalysisModel, Error: StableError(err)}
	}
	return types.Analysis{Status: types.ANALYSIS_STATUS_PENDING, JobId: job.Id, Model: params.AnalysisModel}
}

// analysisResult is the answer of an analysis model, e.g.
// {"label":"high","score":6924,"model":"mesh-embedded-v1"}; other fields
// are ignored.
type analysisResult struct {
	Label *string      `json:"label"`
	Score *json.Number `json:"score"`
}

// maxLabelLength bounds the label stored with a proposal.
const maxLabelLength = 64

// parseAnalysis reads a label and a score in 0…10000 from a job's result.
func parseAnalysis(result []byte) (string, uint32, bool) {
	var r analysisResult
	if err := json.Unmarshal(result, &r); err != nil || r.Label == nil || r.Score == nil {
		return "", 0, false
	}
	label := *r.Label
	if label == "" || len(label) > maxLabelLength || !utf8.ValidString(label) {
		return "", 0, false
	}
	// Integers only: a JSON number is parsed as text, never as a float.
	score, err := r.Score.Int64()
	if err != nil || score < 0 || score > types.BpsScale {
		return "", 0, false
	}
	return label, uint32(score), true
}

// JobHooks returns the hooks x/inference calls when a job with callback
// "dao" ends. Anybody may name that callback: jobs that are not one of the
// DAO's analyses are ignored.
func (k Keeper) JobHooks() inferencetypes.JobHooks {
	return inferencetypes.JobHooksFunc(k.afterJobEnded)
}

// afterJobEnded records the end of a proposal's analysis job. Only the
// proposal's analysis changes.
func (k Keeper) afterJobEnded(ctx context.Context, job inferencetypes.Job) error {
	id, err := k.AnalysisJobs.Get(ctx, job.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.AnalysisJobs.Remove(ctx, job.Id); err != nil {
		return err
	}
	p, err := k.Proposals.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	a := p.Analysis
	a.JobId = job.Id
	switch job.Status {
	case inferencetypes.JOB_STATUS_FINALIZED:
		if label, score, ok := parseAnalysis(job.Result); ok {
			a.Status, a.Label, a.Score, a.Error = types.ANALYSIS_STATUS_DONE, label, score, ""
		} else {
			a.Status, a.Error = types.ANALYSIS_STATUS_FAILED, "unparseable result"
		}
	default:
		a.Status, a.Error = types.ANALYSIS_STATUS_FAILED, fmt.Sprintf("job %s", job.Status)
	}
	p.Analysis = a
	if err := k.Proposals.Set(ctx, id, p); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventAnalysis{ProposalId: id, Status: a.Status, Label: a.Label, Score: a.Score})
}
