package keeper

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// VERIFY mode (issue 18). A generative model's answers are not
// bit-identical across machines, so instead of comparing r answers the job
// has one generator and r − 1 verifiers:
//
//  1. Assignment draws only the generator (the first assignment). Its
//     commit phase is at most a quarter of the time left, so that the
//     verifiers get the rest.
//  2. The generator commits and reveals its output inline, as in any job.
//     Its reveal moves the job to VERIFYING with verify_draw_height =
//     max(h + 1, commit height + 2): the seed of that height comes from the
//     validators' beacon shares of the block after the commitment, which
//     the generator could not know when it committed.
//  3. The BeginBlocker of the draw height (or a later one, while fewer than
//     r − 1 other providers have a free worker) draws r − 1 verifiers,
//     one per provider and none of the generator's, by the usual weights
//     (VerifySeedPurpose seed), and opens their commit phase.
//  4. Each verifier re-scores the output (VerifySpec: top-k share, mean
//     log-prob gap, the end), commits to its Verdict's digest, and reveals
//     the verdict once every verifier committed or the commit phase ended.
//     A verdict whose accept does not follow from its own statistic under
//     the job's spec is refused (ErrInvalidVerdict).
//  5. Settlement with q = ⌈2(r−1)/3⌉ (settleVerify).

// verifyDeadlineBlocks is the least deadline of a VERIFY job: two commit
// and reveal phases (generation, verification) and the two blocks between
// the generator's commitment and the verifiers' draw.
func verifyDeadlineBlocks(p types.Params) int64 {
	return 2*(p.CommitBlocks+p.RevealBlocks) + 2
}

// checkVerifyRequest checks a VERIFY request against its model and
// redundancy and resolves its deadline.
func checkVerifyRequest(p types.Params, model types.Model, r uint32, deadline int64) (int64, error) {
	if r < types.MinVerifyRedundancy {
		return 0, errorsmod.Wrapf(types.ErrInvalidRedundancy, "VERIFY needs redundancy ≥ %d (a generator and 3 verifiers), got %d", types.MinVerifyRedundancy, r)
	}
	least := verifyDeadlineBlocks(p)
	if deadline == 0 {
		deadline = least
	}
	if deadline < least || deadline > types.MaxDeadlineBlocks {
		return 0, errorsmod.Wrapf(types.ErrInvalidDeadline, "VERIFY deadline_blocks %d must be in %d..%d (two commit and reveal phases and 2 blocks)", deadline, least, types.MaxDeadlineBlocks)
	}
	return deadline, nil
}

// startVerification moves a VERIFY job whose generator just revealed to
// VERIFYING and queues its verifiers' draw. The job is saved.
func (k Keeper) startVerification(ctx context.Context, job *types.Job) error {
	g := job.Generator()
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	job.VerifyDrawHeight = max(h+1, g.CommitHeight+2)
	if err := k.setStatus(ctx, job, types.JOB_STATUS_VERIFYING); err != nil {
		return err
	}
	if err := k.VerifyQueue.Set(ctx, collections.Join(job.VerifyDrawHeight, job.Id)); err != nil {
		return err
	}
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventVerificationStarted{JobId: job.Id, Generator: g.Worker, DrawHeight: job.VerifyDrawHeight})
}

// DrawVerifiers draws the verifiers of the VERIFYING jobs whose draw height
// has come, at most max_expirations_per_block per block, and returns how
// many jobs got them. A job whose model has too few free workers of other
// providers waits for the next block (until its deadline ends it).
func (k Keeper) DrawVerifiers(ctx context.Context, params types.Params) (int, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	due, err := queueBatch(ctx, k.VerifyQueue, h, params.MaxExpirationsPerBlock)
	if err != nil {
		return 0, err
	}
	cands := map[string][]candidate{} // per model, lookups only
	drawn := 0
	for _, key := range due {
		if err := k.VerifyQueue.Remove(ctx, key); err != nil {
			return drawn, err
		}
		job, err := k.Jobs.Get(ctx, key.K2())
		if err != nil || job.Status != types.JOB_STATUS_VERIFYING || job.VerifiersHeight != 0 || job.Deadline-h < 2 {
			continue // stale, or no time left to commit and reveal: it expires
		}
		cs, ok := cands[job.ModelId]
		if !ok {
			model, err := k.GetModel(ctx, job.ModelId)
			if err != nil {
				continue // the deadline ends it
			}
			if cs, _, err = k.eligibleWorkers(ctx, params, model); err != nil {
				return drawn, err
			}
		}
		others := withoutProvider(cs, job.Generator().Provider)
		if distinctProviders(others) < job.VerifierSeats() {
			cands[job.ModelId] = cs
			if err := k.VerifyQueue.Set(ctx, collections.Join(h+1, job.Id)); err != nil {
				return drawn, err
			}
			continue
		}
		var workers []sdk.AccAddress
		err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
			workers, err = k.assignVerifiers(cc, params, &job, others)
			return err
		})
		if err != nil {
			k.Logger(ctx).Error("inference: drawing verifiers failed", "job", job.Id, "err", err)
			continue // the deadline ends it
		}
		cands[job.ModelId] = takeSlots(cs, workers)
		drawn++
	}
	return drawn, nil
}

// withoutProvider drops provider's workers (the generator's) from cands:
// one seat per provider.
func withoutProvider(cands []candidate, provider string) []candidate {
	out := make([]candidate, 0, len(cands))
	for _, c := range cands {
		if c.provider == provider {
			continue
		}
		out = append(out, c)
	}
	return out
}

// assignVerifiers draws job's verifiers from cands (enough providers,
// checked by the caller), opens their commit phase and saves the job.
func (k Keeper) assignVerifiers(ctx context.Context, params types.Params, job *types.Job, cands []candidate) ([]sdk.AccAddress, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	seed := k.compute.Seed(ctx, types.VerifySeedPurpose, binary.BigEndian.AppendUint64(nil, job.Id))
	workers := drawWorkers(seed, cands, job.VerifierSeats())
	if err := k.seat(ctx, job, workers, cands, true); err != nil {
		return nil, err
	}
	job.VerifiersHeight = h
	// The generator's commit_end was off the commit queue since it committed.
	job.CommitEnd = h + min(params.CommitBlocks, max((job.Deadline-h)/2, 1))
	if err := k.CommitQueue.Set(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return nil, err
	}
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return nil, err
	}
	for _, a := range job.Assignments[1:] {
		if err := kit.Emit(ctx, &types.EventJobAssigned{JobId: job.Id, Worker: a.Worker, Verifier: true}); err != nil {
			return nil, err
		}
	}
	return workers, nil
}

// revealVerdict records a verifier's verdict (see RevealResult, whose
// common checks ran) and settles the job when every committed verifier
// revealed.
func (k Keeper) revealVerdict(ctx context.Context, params types.Params, worker sdk.AccAddress, msg *types.MsgRevealResult, job types.Job, a *types.Assignment) (types.Job, bool, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if msg.Verdict == nil {
		return job, false, errorsmod.Wrapf(types.ErrInvalidVerdict, "job %d: a verifier reveals a verdict, not an output", job.Id)
	}
	if job.Status != types.JOB_STATUS_VERIFYING || !job.VerdictRevealsOpen(h) {
		return job, false, errorsmod.Wrapf(types.ErrWrongPhase, "job %d: verdicts are revealed after height %d or once every verifier committed", job.Id, job.CommitEnd)
	}
	if len(a.Commitment) == 0 {
		return job, false, errorsmod.Wrapf(types.ErrNotCommitted, "job %d, worker %s", job.Id, a.Worker)
	}
	if len(a.OutputDigest) != 0 {
		return job, false, errorsmod.Wrapf(types.ErrAlreadyRevealed, "job %d, worker %s", job.Id, a.Worker)
	}
	v := *msg.Verdict
	if want := job.Verify.Accepts(v); v.Accept != want {
		return job, false, errorsmod.Wrapf(types.ErrInvalidVerdict,
			"job %d: accept=%t does not follow from %s in_top_k_bps %d, mean_gap_milli %d, end_ok %t (needs ≥ %d, ≤ %d; regenerate ≥ %d)",
			job.Id, v.Accept, v.Method, v.InTopKBps, v.MeanGapMilli, v.EndOk, job.Verify.MinInTopKBps, job.Verify.MaxMeanGapMilli, job.Verify.MinRegenAgreementBps)
	}
	digest := types.VerdictDigest(v)
	if !bytes.Equal(types.Commitment(job.Id, worker, digest, msg.Salt), a.Commitment) {
		return job, false, errorsmod.Wrapf(types.ErrCommitmentMismatch, "job %d, worker %s", job.Id, a.Worker)
	}
	if err := k.CommitQueue.Remove(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return job, false, err
	}
	a.OutputDigest, a.Verdict, a.RevealHeight = digest, &v, h
	if err := k.Jobs.Set(ctx, job.Id, job); err != nil {
		return job, false, err
	}
	if err := kit.Emit(ctx, &types.EventResultRevealed{JobId: job.Id, Worker: a.Worker, OutputDigest: hex.EncodeToString(digest)}); err != nil {
		return job, false, err
	}
	if countRevealed(job) < countCommitted(job) {
		return job, false, nil
	}
	ended, settled := k.settleLastReveal(ctx, params, job)
	return ended, settled, nil
}

// Settlement of a VERIFY job. With W the workers' part of the fee (as in
// payOut: F minus burn and protocol share), each of the r − 1 verifier
// seats is worth seat = ⌊W × verifier_share_bps / 10⁴ / (r − 1)⌋ and the
// generator's part is W − (r − 1) × seat. Among the revealed verdicts:
//
//   - ≥ q accept: FINALIZED, the result is the generator's output. The
//     generator and each accepting verifier are paid their parts, gain
//     reputation and points; burn and protocol share as in any job; the
//     seats of rejecting (outvoted: reputation lost) and silent verifiers
//     are refunded with max_fee − F.
//   - ≥ q reject: FAILED. The generator is penalised (slashed
//     liar_slash_fraction when the spec's slash_generator is set), each
//     rejecting verifier is paid its seat and gains reputation, accepting
//     ones are outvoted; the requester gets everything else back.
//   - neither: FAILED (EXPIRED at the deadline). The generator is neither
//     paid nor penalised; every verifier that revealed is paid its seat;
//     the rest is refunded.
//
// Silent verifiers lose reputation; a verifier that committed but whose
// job ended at its commit close (too few commitments) is not judged. A
// job whose verifiers were never drawn ends with a full refund, its
// generator silent if it did not reveal and otherwise not judged.
func (k Keeper) settleVerify(ctx context.Context, params types.Params, job types.Job, atDeadline bool) (types.Job, error) {
	ps, err := k.parties(&job)
	if err != nil {
		return job, err
	}
	failed := types.JOB_STATUS_FAILED
	if atDeadline {
		failed = types.JOB_STATUS_EXPIRED
	}
	outcomes := make([]workerOutcome, len(job.Assignments))
	if job.VerifiersHeight == 0 {
		if err := k.refund(ctx, &job, job.MaxFee.Amount); err != nil {
			return job, err
		}
		if len(ps) > 0 && len(ps[0].OutputDigest) == 0 && (atDeadline || len(ps[0].Commitment) == 0) {
			outcomes[0] = outcomeSilent
			k.penalize(ctx, params, job.Id, ps[0], "silent", false)
		}
		return job, k.finish(ctx, params, &job, ps, failed, outcomes)
	}

	var accepts, rejects uint32
	for _, p := range ps[1:] {
		if p.Verdict != nil {
			if p.Verdict.Accept {
				accepts++
			} else {
				rejects++
			}
		}
	}
	q := types.VerifyQuorum(job.Redundancy)
	outcome, status := "no-quorum", failed
	switch {
	case accepts >= q:
		outcome, status = "accepted", types.JOB_STATUS_FINALIZED
	case rejects >= q:
		outcome, status = "rejected", types.JOB_STATUS_FAILED
	}

	denom := job.Fee.Denom
	burned, workers, protocol := splitFee(params, job.Fee.Amount)
	seat := workers.MulRaw(int64(job.Verify.VerifierShareBps)).QuoRaw(types.BpsScale).QuoRaw(int64(job.VerifierSeats()))
	genShare := workers.Sub(seat.MulRaw(int64(job.VerifierSeats())))

	spent := math.ZeroInt()
	pay := func(p party, share math.Int) {
		if err := k.payWorker(ctx, p, sdk.NewCoin(denom, share)); err != nil {
			k.Logger(ctx).Error("inference: worker share refunded", "job", job.Id, "worker", p.Worker, "err", err)
			return
		}
		p.Paid = sdk.NewCoin(denom, share)
		spent = spent.Add(share)
	}
	quality := uint32(0)
	if accepts+rejects > 0 {
		quality = max(accepts, rejects) * types.BpsScale / (accepts + rejects)
	}
	agree := func(i int, p party, share math.Int) {
		p.Agreed = true
		outcomes[i] = outcomeAgreed
		pay(p, share)
		k.recordReputation(ctx, job.Id, p, true)
		k.addInferencePoints(ctx, &job, p, quality)
	}

	gen := ps[0]
	switch outcome {
	case "accepted":
		agree(0, gen, genShare)
	case "rejected":
		outcomes[0] = outcomeRevealed
		k.penalize(ctx, params, job.Id, gen, "rejected", job.Verify.SlashGenerator)
	default:
		outcomes[0] = outcomeRevealed
	}
	for i, p := range ps {
		if i == 0 {
			continue
		}
		switch {
		case p.Verdict == nil && len(p.Commitment) != 0 && !atDeadline:
			// The job ended at its commit close: never asked to reveal.
		case p.Verdict == nil:
			outcomes[i] = outcomeSilent
			k.penalize(ctx, params, job.Id, p, "silent", false)
		case outcome == "no-quorum":
			outcomes[i] = outcomeRevealed
			pay(p, seat)
		case p.Verdict.Accept == (outcome == "accepted"):
			agree(i, p, seat)
		default:
			outcomes[i] = outcomeRevealed
			k.penalize(ctx, params, job.Id, p, "outvoted", false)
		}
	}

	if outcome == "accepted" {
		// Rounding dust of the seats stays with the generator (genShare);
		// unpaid seats go back to the requester.
		if err := k.burnAndShare(ctx, &job, burned, protocol); err != nil {
			return job, err
		}
		job.Result, job.ResultDigest = bytes.Clone(gen.Output), bytes.Clone(gen.OutputDigest)
	}
	refund := job.MaxFee.Amount.Sub(spent)
	if outcome == "accepted" {
		refund = refund.Sub(burned).Sub(protocol)
	}
	if err := k.refund(ctx, &job, refund); err != nil {
		return job, err
	}
	if err := kit.Emit(ctx, &types.EventVerificationTallied{JobId: job.Id, Accepts: accepts, Rejects: rejects, Quorum: q, Outcome: outcome}); err != nil {
		return job, err
	}
	return job, k.finish(ctx, params, &job, ps, status, outcomes)
}

// closeVerifierCommits ends the verifiers' commit phase of a VERIFYING job
// (the EndBlocker of its commit_end): with at least q commitments the
// verdict reveals stay open until the deadline; with fewer no quorum can
// form, and the job is settled now (no quorum, committed verifiers not
// judged). It reports whether the job ended.
func (k Keeper) closeVerifierCommits(ctx context.Context, params types.Params, key collections.Pair[int64, uint64], job types.Job) bool {
	if err := k.CommitQueue.Remove(ctx, key); err != nil {
		k.Logger(ctx).Error("inference: drop commit entry", "job", job.Id, "err", err)
		return false
	}
	if job.VerifiersCommitted() >= int(types.VerifyQuorum(job.Redundancy)) {
		return false
	}
	var ended types.Job
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
		ended, err = k.settleVerify(cc, params, job, false)
		return err
	})
	if err != nil {
		k.settlementFailed(ctx, job.Id, err)
		return false // the deadline queue still ends it
	}
	k.runCallback(ctx, ended)
	return true
}
