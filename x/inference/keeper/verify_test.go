package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// lmID is the generative test model, VERIFY only.
const lmID = "mesh-lm-v1"

// lmSpec is the test model's VerifySpec: 30 % of the workers' part to the
// verifiers, generators slashed when rejected.
var lmSpec = types.VerifySpec{
	MaxNewTokens: 64, TopK: 8, MinInTopKBps: 9000, MaxMeanGapMilli: 500,
	MinRegenAgreementBps: 8000, VerifierShareBps: 3000, SlashGenerator: true,
}

// verifyFixture has the generative model and n workers serving it (one
// provider each).
func verifyFixture(t *testing.T, n int) *fixture {
	f := newFixture(t, nil)
	m := testModel(lmID, false)
	m.Runtime, m.Modes, m.Verify = "openai:mesh-lm-v1", []types.ConsensusMode{types.CONSENSUS_MODE_VERIFY}, &lmSpec
	_, err := f.msg.RegisterModel(f.ctx, &types.MsgRegisterModel{Authority: f.authority, Model: m})
	require.NoError(t, err)
	for range n {
		f.addWorker(lmID)
	}
	return f
}

func verifyRequest(f *fixture, requester sdk.AccAddress) *types.MsgRequestInference {
	return &types.MsgRequestInference{
		Requester: f.bech(requester), ModelId: lmID, Input: []byte(`{"messages":[{"role":"user","content":"Say hello"}]}`),
		MaxFee: sdk.NewInt64Coin(denom, 5000), Redundancy: 4, Mode: types.CONSENSUS_MODE_VERIFY,
	}
}

// verdict is a consistent verdict: accepting (share 9800, gap 120) or rejecting (share 2000, gap 3100).
func verdict(accept bool) *types.Verdict {
	if accept {
		return &types.Verdict{Accept: true, Method: types.VerdictRescore, Tokens: 12, InTopKBps: 9800, MeanGapMilli: 120, EndOk: true}
	}
	return &types.Verdict{Accept: false, Method: types.VerdictRescore, Tokens: 12, InTopKBps: 2000, MeanGapMilli: 3100, EndOk: true}
}

func verdictCommit(f *fixture, w sdk.AccAddress, jobID uint64, v *types.Verdict) *types.MsgCommitResult {
	return &types.MsgCommitResult{Worker: f.bech(w), JobId: jobID, Commitment: types.Commitment(jobID, w, types.VerdictDigest(*v), salt(w))}
}

func verdictReveal(f *fixture, w sdk.AccAddress, jobID uint64, v *types.Verdict) *types.MsgRevealResult {
	return &types.MsgRevealResult{Worker: f.bech(w), JobId: jobID, Verdict: v, Salt: salt(w)}
}

// generated runs a VERIFY request through generation: the generator
// commits and reveals output, and the verifiers are drawn. It returns the
// requester, the job id, the generator and the verifiers.
func generated(f *fixture, output string) (sdk.AccAddress, uint64, sdk.AccAddress, []sdk.AccAddress) {
	t := f.t
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	var jobID uint64
	f.block(func() { jobID = f.request(verifyRequest(f, requester)).JobId })
	f.block(nil)
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_COMMITTING, job.Status)
	require.Len(t, job.Assignments, 1, "only the generator is drawn at assignment")
	require.Equal(t, lmSpec, *job.Verify, "the model's spec is fixed in the job")
	require.Equal(t, job.AssignedHeight+min(10, (job.Deadline-job.AssignedHeight)/4), job.CommitEnd)
	gen := f.assigned(jobID)[0]

	f.block(func() { f.commitResult(gen, jobID, output) })
	commitHeight := f.height()
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
	f.block(func() {
		f.revealResult(gen, jobID, output)
		require.Len(t, f.events("mesh.inference.v1.EventVerificationStarted"), 1)
	})
	job = f.job(jobID)
	require.Equal(t, types.JOB_STATUS_VERIFYING, job.Status)
	require.Equal(t, max(f.height()+1, commitHeight+2), job.VerifyDrawHeight)
	require.Len(t, job.Assignments, 1, "verifiers are drawn from the draw height on")
	f.advanceTo(job.VerifyDrawHeight - 1)
	f.block(nil) // the draw height's BeginBlocker
	require.Len(t, f.events("mesh.inference.v1.EventJobAssigned"), 3)
	job = f.job(jobID)
	require.Len(t, job.Assignments, 4)
	require.Equal(t, f.height(), job.VerifiersHeight)
	providers := map[string]bool{}
	for i, a := range job.Assignments {
		require.Equal(t, i > 0, a.Verifier)
		require.False(t, providers[a.Provider], "one seat per provider")
		providers[a.Provider] = true
	}
	ws := f.assigned(jobID)
	return requester, jobID, ws[0], ws[1:]
}

// verdicts commits then reveals each verifier's verdict (nil: silent).
func verdicts(f *fixture, jobID uint64, vs []sdk.AccAddress, vds ...*types.Verdict) {
	f.block(func() {
		for i, w := range vs {
			if vds[i] != nil {
				_, err := f.msg.CommitResult(f.ctx, verdictCommit(f, w, jobID, vds[i]))
				require.NoError(f.t, err)
			}
		}
	})
	// With a silent verifier the reveals open after commit_end.
	if job := f.job(jobID); job.Status == types.JOB_STATUS_VERIFYING && f.height() <= job.CommitEnd {
		for _, v := range vds {
			if v == nil {
				f.advanceTo(job.CommitEnd)
				break
			}
		}
	}
	f.block(func() {
		for i, w := range vs {
			if vds[i] != nil {
				require.NoError(f.t, deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, w, jobID, vds[i])))
				f.checkEscrow()
			}
		}
	})
}

// TestVerifyAccepted: an honest generator and three accepting verifiers.
//
// price 1000, r = 4 → F = 4000, max_fee 5000: burned 200 (5 %), workers
// 3400, protocol 400; verifiers' part ⌊3400 × 30 %⌋ = 1020, seat 340,
// generator 3400 − 3 × 340 = 2380; refund 1000.
func TestVerifyAccepted(t *testing.T) {
	f := verifyFixture(t, 5)
	supply0 := f.supply()
	requester, jobID, gen, vs := generated(f, "Hello! How can I help?")
	rep0 := f.reputation(gen)
	verdicts(f, jobID, vs, verdict(true), verdict(true), verdict(true))

	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.Equal(t, "Hello! How can I help?", string(job.Result))
	require.Equal(t, types.Digest(job.Result), job.ResultDigest)
	require.Equal(t, "2380umesh", job.Assignments[0].Paid.String())
	for _, a := range job.Assignments[1:] {
		require.Equal(t, "340umesh", a.Paid.String())
		require.True(t, a.Agreed)
	}
	require.Equal(t, "200umesh", job.Burned.String())
	require.Equal(t, "400umesh", job.ProtocolFee.String())
	require.Equal(t, "1000umesh", job.Refunded.String())
	require.Equal(t, "6000", f.balance(requester).String(), "10000 − 5000 + 1000")
	require.Equal(t, supply0.SubRaw(200).Add(math.NewInt(10_000)), f.supply(), "200 burned (the requester's 10000 was minted)")
	require.Equal(t, "0", f.moduleBalance(types.ModuleName).String())
	require.Greater(t, f.reputation(gen), rep0)
	tallied := f.events("mesh.inference.v1.EventVerificationTallied")
	require.Len(t, tallied, 1)
	require.Equal(t, "accepted", attr(tallied[0], "outcome"))
}

// TestVerifyRejected: a cheating generator, two rejecting verifiers and a
// lazy one that always accepts. The generator is slashed and not paid,
// the rejecting verifiers are paid their seats, the lazy one loses
// reputation, the requester gets the rest back.
func TestVerifyRejected(t *testing.T) {
	f := verifyFixture(t, 5)
	requester, jobID, gen, vs := generated(f, "lorem ipsum pasted")
	genProvider, err := f.ac.StringToBytes(f.job(jobID).Assignments[0].Provider)
	require.NoError(t, err)
	stake0, lazyRep := f.poolTokens(genProvider), f.reputation(vs[2])
	genRep := f.reputation(gen)
	verdicts(f, jobID, vs, verdict(false), verdict(false), verdict(true))

	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FAILED, job.Status)
	require.Empty(t, job.Result)
	require.True(t, job.Assignments[0].Paid.IsZero())
	require.Equal(t, "340umesh", job.Assignments[1].Paid.String())
	require.Equal(t, "340umesh", job.Assignments[2].Paid.String())
	require.True(t, job.Assignments[3].Paid.IsZero(), "the outvoted lazy verifier is not paid")
	require.Equal(t, "4320umesh", job.Refunded.String(), "5000 − 2 × 340")
	require.Equal(t, "9320", f.balance(requester).String())
	require.True(t, f.poolTokens(genProvider).LT(stake0), "the rejected generator is slashed")
	require.Less(t, f.reputation(gen), genRep)
	require.Less(t, f.reputation(vs[2]), lazyRep, "the lazy verifier loses reputation")
	require.Equal(t, "0", f.moduleBalance(types.ModuleName).String())
}

// TestVerifyGrieferCannotFlip: one verifier always rejects; the two honest
// ones accept, the job is finalized and the griefer loses reputation and
// its seat (refunded).
func TestVerifyGrieferCannotFlip(t *testing.T) {
	f := verifyFixture(t, 5)
	_, jobID, _, vs := generated(f, "Hello!")
	griefRep := f.reputation(vs[0])
	verdicts(f, jobID, vs, verdict(false), verdict(true), verdict(true))
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FINALIZED, job.Status)
	require.True(t, job.Assignments[1].Paid.IsZero())
	require.Equal(t, "1340umesh", job.Refunded.String(), "1000 + the griefer's seat")
	require.Less(t, f.reputation(vs[0]), griefRep)
}

// TestVerifyNoQuorum: one accept, one reject, one verifier that never
// commits: once the commit phase ended and both committed verifiers
// revealed, the job fails, the requester is refunded but for the two
// revealed seats, the generator is neither paid nor penalised.
func TestVerifyNoQuorum(t *testing.T) {
	f := verifyFixture(t, 5)
	_, jobID, gen, vs := generated(f, "Hello!")
	genRep, silentRep := f.reputation(gen), f.reputation(vs[2])
	verdicts(f, jobID, vs, verdict(true), verdict(false), nil)
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_FAILED, job.Status)
	require.Equal(t, "no-quorum", attr(f.events("mesh.inference.v1.EventVerificationTallied")[0], "outcome"))
	require.Equal(t, "4320umesh", job.Refunded.String())
	require.Equal(t, genRep, f.reputation(gen), "no quorum: the generator is not judged")
	require.Less(t, f.reputation(vs[2]), silentRep)
	require.Equal(t, "0", f.moduleBalance(types.ModuleName).String())
}

// TestVerifyTooFewVerifiers: with only the generator's provider left free
// for verification the job waits for verifiers, then expires with a full
// refund and the generator unjudged.
func TestVerifyTooFewVerifiers(t *testing.T) {
	f := verifyFixture(t, 4)
	requester, jobID, _, _ := func() (sdk.AccAddress, uint64, sdk.AccAddress, []sdk.AccAddress) {
		requester := addr("requester", 1)
		f.fund(requester, 10_000)
		var id uint64
		f.block(func() { id = f.request(verifyRequest(f, requester)).JobId })
		f.block(nil)
		gen := f.assigned(id)[0]
		f.block(func() { f.commitResult(gen, id, "hi") })
		// Two of the three other workers leave before the draw.
		n := 0
		for i := 1; i <= 4 && n < 2; i++ {
			w := addr("worker", i)
			if w.Equals(gen) {
				continue
			}
			rec, err := f.compute.Workers.Get(f.ctx, w)
			require.NoError(t, err)
			rec.ReputationBps = 0
			require.NoError(t, f.compute.Workers.Set(f.ctx, w, rec))
			n++
		}
		f.block(func() { f.revealResult(gen, id, "hi") })
		return requester, id, gen, nil
	}()
	f.advanceTo(f.job(jobID).VerifyDrawHeight + 3)
	require.Len(t, f.job(jobID).Assignments, 1, "no verifiers while too few providers are eligible")
	f.advanceTo(f.job(jobID).Deadline)
	job := f.job(jobID)
	require.Equal(t, types.JOB_STATUS_EXPIRED, job.Status)
	require.Equal(t, "5000umesh", job.Refunded.String())
	require.Equal(t, "10000", f.balance(requester).String())
}

// TestVerifyRefusals: bad requests, verdicts and reveals are refused with
// registered errors and change nothing.
func TestVerifyRefusals(t *testing.T) {
	f := verifyFixture(t, 5)
	f.addWorker(modelID)
	requester := addr("requester", 9)
	f.fund(requester, 10_000)

	exact := verifyRequest(f, requester)
	exact.ModelId = modelID
	f.requireRejected(types.ErrModeNotSupported, func() error { return deliver(f.ctx, f.msg.RequestInference, exact) }, "VERIFY on a model without a spec")
	notVerify := verifyRequest(f, requester)
	notVerify.Mode = types.CONSENSUS_MODE_EXACT
	f.requireRejected(types.ErrModeNotSupported, func() error { return deliver(f.ctx, f.msg.RequestInference, notVerify) }, "EXACT on a VERIFY-only model")
	three := verifyRequest(f, requester)
	three.Redundancy = 3
	f.requireRejected(types.ErrInvalidRedundancy, func() error { return deliver(f.ctx, f.msg.RequestInference, three) }, "r = 3")
	short := verifyRequest(f, requester)
	short.DeadlineBlocks = 20
	f.requireRejected(types.ErrInvalidDeadline, func() error { return deliver(f.ctx, f.msg.RequestInference, short) }, "deadline without room to verify")

	_, jobID, gen, vs := generated(f, "Hello!")
	inconsistent := verdict(true)
	inconsistent.InTopKBps = 5000 // below 9000: must reject
	f.block(func() {
		for _, w := range vs {
			_, err := f.msg.CommitResult(f.ctx, verdictCommit(f, w, jobID, inconsistent))
			require.NoError(t, err)
		}
	})
	f.block(func() {
		f.requireRejected(types.ErrInvalidVerdict, func() error {
			return deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, vs[0], jobID, inconsistent))
		}, "accept that does not follow from the statistic")
		f.requireRejected(types.ErrInvalidVerdict, func() error {
			return deliver(f.ctx, f.msg.RevealResult, revealMsg(f, vs[0], jobID, "an output"))
		}, "a verifier revealing an output")
		f.requireRejected(types.ErrInvalidVerdict, func() error {
			return deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, gen, jobID, verdict(true)))
		}, "the generator revealing a verdict")
		bad := verdict(true)
		bad.Method = "guess"
		f.requireRejected(types.ErrInvalidVerdict, func() error {
			return deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, vs[0], jobID, bad))
		}, "unknown method")
		f.requireRejected(types.ErrCommitmentMismatch, func() error {
			return deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, vs[0], jobID, verdict(false)))
		}, "a verdict other than the committed one")
	})
}

// TestVerifyVerdictPhase: a verifier cannot reveal before every verifier
// committed or the commit phase ended, and the generator's output by URI is refused.
func TestVerifyVerdictPhase(t *testing.T) {
	f := verifyFixture(t, 5)
	_, jobID, _, vs := generated(f, "Hello!")
	f.block(func() {
		_, err := f.msg.CommitResult(f.ctx, verdictCommit(f, vs[0], jobID, verdict(true)))
		require.NoError(t, err)
		f.requireRejected(types.ErrWrongPhase, func() error {
			return deliver(f.ctx, f.msg.RevealResult, verdictReveal(f, vs[0], jobID, verdict(true)))
		}, "reveal while verifiers still commit")
	})
}

// TestVerifyGeneratorByURIRefused: the generator must reveal inline.
func TestVerifyGeneratorByURIRefused(t *testing.T) {
	f := verifyFixture(t, 5)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	var jobID uint64
	f.block(func() { jobID = f.request(verifyRequest(f, requester)).JobId })
	f.block(nil)
	gen := f.assigned(jobID)[0]
	digest := types.Digest([]byte("big"))
	f.block(func() {
		_, err := f.msg.CommitResult(f.ctx, &types.MsgCommitResult{Worker: f.bech(gen), JobId: jobID, Commitment: types.Commitment(jobID, gen, digest, salt(gen))})
		require.NoError(t, err)
	})
	f.block(func() {
		f.requireRejected(types.ErrInvalidOutput, func() error {
			return deliver(f.ctx, f.msg.RevealResult, &types.MsgRevealResult{Worker: f.bech(gen), JobId: jobID, OutputDigest: digest, OutputUri: "https://example.com/out", Salt: salt(gen)})
		})
	})
}

// TestVerifyGenesisRoundTrip: a job exported while verifying validates
// (genesis Validate accepts its verifier seats and spec).
func TestVerifyGenesisRoundTrip(t *testing.T) {
	f := verifyFixture(t, 5)
	_, jobID, _, vs := generated(f, "Hello!")
	f.block(func() {
		_, err := f.msg.CommitResult(f.ctx, verdictCommit(f, vs[0], jobID, verdict(true)))
		require.NoError(t, err)
	})
	gs, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	var found bool
	for _, j := range gs.Jobs {
		if j.Id == jobID {
			found = true
			require.Equal(t, types.JOB_STATUS_VERIFYING, j.Status)
			require.Len(t, j.Assignments, 4)
		}
	}
	require.True(t, found)
}
