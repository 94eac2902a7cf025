package types

import (
	"fmt"
	"slices"

	"github.com/llmesh/mesh/x/internal/validate"
)

// DefaultGenesis returns the default genesis: default params, no model, and
// job ids starting at 1.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextJobId: 1}
}

// Validate checks the genesis state: params, models (unique, valid, priced
// only in umesh and fee_denoms), jobs
// (unique ids below next_job_id, known models, consistent fields) and worker
// stats (unique, and open_jobs equal to the open jobs that list the worker).
// Addresses are checked for a valid bech32 form of any prefix; InitGenesis
// decodes them with the chain's address codec. That the module account holds
// the sum of the open jobs' escrows is x/bank's genesis, not checked here.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	models := make([]string, 0, len(gs.Models))
	for _, m := range gs.Models {
		if err := ValidateModel(m); err != nil {
			return fmt.Errorf("model %q: %w", m.Id, err)
		}
		if err := gs.Params.CheckPrices(m); err != nil {
			return err
		}
		models = append(models, m.Id)
	}
	slices.Sort(models)
	if i := validate.FirstDuplicate(models); i >= 0 {
		return fmt.Errorf("model %s listed twice", models[i])
	}
	if gs.NextJobId == 0 {
		return fmt.Errorf("next_job_id must be at least 1")
	}

	ids := make([]uint64, 0, len(gs.Jobs))
	var open []string // one entry per (open job, assigned worker)
	for _, j := range gs.Jobs {
		if j.Id == 0 || j.Id >= gs.NextJobId {
			return fmt.Errorf("job %d: id must be in 1..%d", j.Id, gs.NextJobId-1)
		}
		if _, found := slices.BinarySearch(models, j.ModelId); !found {
			return fmt.Errorf("job %d: unknown model %q", j.Id, j.ModelId)
		}
		if err := validateJob(j); err != nil {
			return fmt.Errorf("job %d: %w", j.Id, err)
		}
		ids = append(ids, j.Id)
		if IsOpen(j.Status) {
			for _, a := range j.Assignments {
				open = append(open, a.Worker)
			}
		}
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return fmt.Errorf("job %d listed twice", ids[i])
		}
	}

	slices.Sort(open)
	workers := make([]string, 0, len(gs.WorkerStats))
	for _, s := range gs.WorkerStats {
		if err := validate.Address(s.Worker); err != nil {
			return fmt.Errorf("worker stats: %w", err)
		}
		if len(s.RecentLatencyBlocks) > RecentLatencyWindow {
			return fmt.Errorf("worker stats of %s: %d recent latencies, at most %d", s.Worker, len(s.RecentLatencyBlocks), RecentLatencyWindow)
		}
		if s.JobsAgreed > s.JobsServed {
			return fmt.Errorf("worker stats of %s: more jobs agreed than served", s.Worker)
		}
		lo, _ := slices.BinarySearch(open, s.Worker)
		hi := lo
		for hi < len(open) && open[hi] == s.Worker {
			hi++
		}
		if uint64(s.OpenJobs) != uint64(hi-lo) {
			return fmt.Errorf("worker stats of %s: open_jobs %d but %d open jobs assign it", s.Worker, s.OpenJobs, hi-lo)
		}
		workers = append(workers, s.Worker)
	}
	slices.Sort(workers)
	if i := validate.FirstDuplicate(workers); i >= 0 {
		return fmt.Errorf("worker stats of %s listed twice", workers[i])
	}
	for _, w := range open {
		if _, found := slices.BinarySearch(workers, w); !found {
			return fmt.Errorf("worker %s has open jobs but no stats", w)
		}
	}
	return nil
}

func validateJob(j Job) error {
	if err := validate.Address(j.Requester); err != nil {
		return fmt.Errorf("requester: %w", err)
	}
	if err := ValidateInputForm(j.Input, j.InputDigest, j.InputUri); err != nil {
		return err
	}
	if len(j.InputDigest) != DigestLength {
		return fmt.Errorf("input_digest must be 32 bytes")
	}
	if err := j.MaxFee.Validate(); err != nil || !j.MaxFee.IsPositive() {
		return fmt.Errorf("max_fee %s must be a valid positive coin", j.MaxFee)
	}
	if err := j.Fee.Validate(); err != nil || j.Fee.Denom != j.MaxFee.Denom || j.Fee.Amount.GT(j.MaxFee.Amount) {
		return fmt.Errorf("fee %s must be a valid coin of %s, at most max_fee", j.Fee, j.MaxFee.Denom)
	}
	if j.Mode != CONSENSUS_MODE_EXACT && j.Mode != CONSENSUS_MODE_MEDIAN && j.Mode != CONSENSUS_MODE_VERIFY {
		return fmt.Errorf("mode must be EXACT, MEDIAN or VERIFY, got %s", j.Mode)
	}
	if err := validateVerifyJob(j); err != nil {
		return err
	}
	if j.Tolerance < 0 || (j.Mode == CONSENSUS_MODE_EXACT && j.Tolerance != 0) {
		return fmt.Errorf("invalid tolerance %d for %s", j.Tolerance, j.Mode)
	}
	// A job never assigned (queued, or expired in the queue) has no
	// assignments and no commit phase.
	unassigned := len(j.Assignments) == 0 && j.CommitEnd == 0 && j.AssignedHeight == 0
	if unassigned && j.Status != JOB_STATUS_QUEUED && j.Status != JOB_STATUS_EXPIRED {
		return fmt.Errorf("unassigned job in status %s", j.Status)
	}
	if !unassigned && j.Status == JOB_STATUS_QUEUED {
		return fmt.Errorf("queued job with assignments or a commit phase")
	}
	switch {
	case unassigned && (j.CreatedHeight < 0 || j.Deadline <= j.CreatedHeight):
		return fmt.Errorf("heights must satisfy created %d < deadline %d", j.CreatedHeight, j.Deadline)
	case !unassigned && (j.CreatedHeight < 0 || j.CommitEnd <= j.CreatedHeight || j.Deadline <= j.CommitEnd ||
		(j.AssignedHeight != 0 && (j.AssignedHeight < j.CreatedHeight || j.AssignedHeight >= j.CommitEnd))):
		return fmt.Errorf("heights must satisfy created %d ≤ assigned %d < commit_end %d < deadline %d",
			j.CreatedHeight, j.AssignedHeight, j.CommitEnd, j.Deadline)
	}
	if len(j.Callback) > MaxCallbackLength || !validate.Printable(j.Callback, false) {
		return fmt.Errorf("invalid callback name")
	}
	if (j.Callback == SudoCallback) != (j.CallbackGasLimit > 0) {
		return fmt.Errorf("callback_gas_limit %d with callback %q", j.CallbackGasLimit, j.Callback)
	}
	if j.CallbackPending && (j.Callback != SudoCallback || IsOpen(j.Status)) {
		return fmt.Errorf("callback_pending on a job that is open or has no contract callback")
	}
	if _, ok := JobStatus_name[int32(j.Status)]; !ok || j.Status == JOB_STATUS_UNSPECIFIED {
		return fmt.Errorf("invalid status %s", j.Status)
	}
	if IsOpen(j.Status) != (j.EndedHeight == 0) {
		return fmt.Errorf("status %s with ended_height %d", j.Status, j.EndedHeight)
	}
	if j.Redundancy == 0 || j.Redundancy > MaxRedundancyBound || (!unassigned && len(j.Assignments) != seats(j)) {
		return fmt.Errorf("%d assignments for redundancy %d", len(j.Assignments), j.Redundancy)
	}
	workers := make([]string, 0, len(j.Assignments))
	for _, a := range j.Assignments {
		if err := validate.Address(a.Worker); err != nil {
			return fmt.Errorf("assignment: %w", err)
		}
		if len(a.Commitment) != 0 && len(a.Commitment) != CommitmentLength {
			return fmt.Errorf("assignment of %s: commitment must be 32 bytes", a.Worker)
		}
		if len(a.OutputDigest) != 0 && len(a.Commitment) == 0 {
			return fmt.Errorf("assignment of %s: revealed without a commitment", a.Worker)
		}
		workers = append(workers, a.Worker)
	}
	slices.Sort(workers)
	if i := validate.FirstDuplicate(workers); i >= 0 {
		return fmt.Errorf("worker %s assigned twice", workers[i])
	}
	return nil
}

// seats is the number of assignments an assigned job has: r, or for a
// VERIFY job 1 (the generator) until its verifiers are drawn.
func seats(j Job) int {
	if j.Mode == CONSENSUS_MODE_VERIFY && j.VerifiersHeight == 0 {
		return 1
	}
	return int(j.Redundancy)
}

// validateVerifyJob checks the VERIFY fields of a job: a VERIFY job has a
// valid spec, r ≥ MinVerifyRedundancy, verifier seats after the first
// assignment only, verdicts only on verifier seats; other jobs have none of it.
func validateVerifyJob(j Job) error {
	if j.Mode != CONSENSUS_MODE_VERIFY {
		if j.Verify != nil || j.VerifiersHeight != 0 || j.VerifyDrawHeight != 0 || j.Status == JOB_STATUS_VERIFYING {
			return fmt.Errorf("VERIFY fields on a %s job", j.Mode)
		}
		for _, a := range j.Assignments {
			if a.Verifier || a.Verdict != nil {
				return fmt.Errorf("verifier seat in a %s job", j.Mode)
			}
		}
		return nil
	}
	if j.Verify == nil {
		return fmt.Errorf("VERIFY job without a verify spec")
	}
	if err := j.Verify.Validate(); err != nil {
		return err
	}
	if j.Redundancy < MinVerifyRedundancy {
		return fmt.Errorf("VERIFY job of redundancy %d below %d", j.Redundancy, MinVerifyRedundancy)
	}
	if j.Status == JOB_STATUS_VERIFYING && j.VerifyDrawHeight == 0 {
		return fmt.Errorf("VERIFYING job without a draw height")
	}
	for i, a := range j.Assignments {
		if a.Verifier != (i > 0) {
			return fmt.Errorf("VERIFY job: assignment %d must be the generator only if first", i)
		}
		if a.Verdict != nil && (!a.Verifier || len(a.OutputDigest) == 0) {
			return fmt.Errorf("VERIFY job: verdict on a seat that is no revealed verifier")
		}
		if a.Verdict != nil {
			if err := ValidateVerdict(*a.Verdict); err != nil {
				return err
			}
		}
	}
	return nil
}
