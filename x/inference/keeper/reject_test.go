package keeper_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/llmesh/mesh/x/inference/types"
)

// TestRequestRejected: every bad request fails with its registered error
// and changes no state, no balance, no supply and emits nothing.
func TestRequestRejected(t *testing.T) {
	f := newFixture(t, func(p *types.Params) { p.FeeDenoms = []string{"ibc/INJ"} })
	f.addWorkers(3)
	retired := testModel("retired-v0", true)
	retired.Status = types.MODEL_STATUS_RETIRED
	require.NoError(t, f.k.RegisterModel(f.ctx, f.authority, retired))
	candidate := testModel("candidate-v2", true)
	candidate.Status = types.MODEL_STATUS_CANDIDATE
	require.NoError(t, f.k.RegisterModel(f.ctx, f.authority, candidate))
	requester, poor := addr("requester", 1), addr("poor", 1)
	f.fund(requester, 100_000)
	f.fund(poor, 100)
	f.k.SetJobHooks(map[string]types.JobHooks{"known": types.JobHooksFunc(nil)})
	f.block(nil)

	cases := []struct {
		name   string
		mutate func(m *types.MsgRequestInference)
		want   error
	}{
		{"unknown model", func(m *types.MsgRequestInference) { m.ModelId = "nope" }, types.ErrModelNotFound},
		{"retired model", func(m *types.MsgRequestInference) { m.ModelId = retired.Id }, types.ErrModelNotActive},
		{"candidate model", func(m *types.MsgRequestInference) { m.ModelId = candidate.Id }, types.ErrModelNotActive},
		{"fee below price × r", func(m *types.MsgRequestInference) { m.MaxFee = sdk.NewInt64Coin(denom, 2999) }, types.ErrFeeTooLow},
		{"fee below price × default r", func(m *types.MsgRequestInference) { m.Redundancy, m.MaxFee = 0, sdk.NewInt64Coin(denom, 2999) }, types.ErrFeeTooLow},
		{"denom not allowed", func(m *types.MsgRequestInference) { m.MaxFee = sdk.NewInt64Coin("uatom", 5000) }, types.ErrFeeDenomNotAllowed},
		{"allowed denom, model priced otherwise", func(m *types.MsgRequestInference) { m.MaxFee = sdk.NewInt64Coin("ibc/INJ", 5000) }, types.ErrFeeDenomNotAllowed},
		{"zero fee", func(m *types.MsgRequestInference) { m.MaxFee = sdk.NewInt64Coin(denom, 0) }, types.ErrInvalidFee},
		{"redundancy above eligible workers", func(m *types.MsgRequestInference) { m.Redundancy, m.MaxFee = 5, sdk.NewInt64Coin(denom, 5000) }, types.ErrNotEnoughWorkers},
		{"redundancy above max", func(m *types.MsgRequestInference) { m.Redundancy, m.MaxFee = 8, sdk.NewInt64Coin(denom, 8000) }, types.ErrInvalidRedundancy},
		{"oversized input", func(m *types.MsgRequestInference) { m.Input = bytes.Repeat([]byte{'x'}, 4097) }, types.ErrInvalidInput},
		{"no input", func(m *types.MsgRequestInference) { m.Input = nil }, types.ErrInvalidInput},
		{"inline input and URI", func(m *types.MsgRequestInference) { m.InputUri = "ipfs://x" }, types.ErrInvalidInput},
		{"input digest mismatch", func(m *types.MsgRequestInference) { m.InputDigest = types.Digest([]byte("other")) }, types.ErrInvalidInput},
		{"URI without digest", func(m *types.MsgRequestInference) { m.Input, m.InputUri = nil, "ipfs://x" }, types.ErrInvalidInput},
		{"deadline too short", func(m *types.MsgRequestInference) { m.DeadlineBlocks = 19 }, types.ErrInvalidDeadline},
		{"unknown callback", func(m *types.MsgRequestInference) { m.Callback = "nobody" }, types.ErrUnknownCallback},
		{"tolerance in exact mode", func(m *types.MsgRequestInference) { m.Tolerance = 3 }, types.ErrInvalidMode},
		{"negative tolerance", func(m *types.MsgRequestInference) { m.Mode, m.Tolerance = types.CONSENSUS_MODE_MEDIAN, -1 }, types.ErrInvalidMode},
		{"bad requester", func(m *types.MsgRequestInference) { m.Requester = "cosmos1bad" }, types.ErrInvalidAddress},
		{"insufficient funds", func(m *types.MsgRequestInference) { m.Requester = f.bech(poor) }, sdkerrors.ErrInsufficientFunds},
	}
	for _, tc := range cases {
		msg := f.requestMsg(requester)
		tc.mutate(msg)
		f.requireRejected(tc.want, func() error { return deliver(f.ctx, f.msg.RequestInference, msg) }, tc.name)
	}

	// The same request, well formed, goes through (a long deadline and a URI input too).
	msg := f.requestMsg(requester)
	msg.Input, msg.InputDigest, msg.InputUri, msg.DeadlineBlocks = nil, types.Digest([]byte("big")), "ipfs://bafy", 100
	res := f.request(msg)
	job := f.job(res.JobId)
	require.Equal(t, f.height()+1+100, job.Deadline, "from the first block that may assign it")
	require.Equal(t, "ipfs://bafy", job.InputUri)
}

// TestCommitRevealRejected covers every refused commit and reveal; each
// changes nothing.
func TestCommitRevealRejected(t *testing.T) {
	f := newFixture(t, nil)
	f.addWorkers(3)
	outsider := addr("outsider", 1)
	requester := addr("requester", 1)
	f.fund(requester, 10_000)
	var jobID, late uint64
	f.block(func() {
		jobID = f.request(f.requestMsg(requester)).JobId
		late = f.request(f.requestMsg(requester)).JobId
	})
	f.block(nil) // assigned
	ws := f.assigned(jobID)
	commit := func(m *types.MsgCommitResult) func() error {
		return func() error { return deliver(f.ctx, f.msg.CommitResult, m) }
	}
	reveal := func(m *types.MsgRevealResult) func() error {
		return func() error { return deliver(f.ctx, f.msg.RevealResult, m) }
	}

	f.next()
	f.requireRejected(types.ErrNotAssigned, commit(commitMsg(f, outsider, jobID, "4")))
	f.requireRejected(types.ErrJobNotFound, commit(commitMsg(f, ws[0], 99, "4")))
	short := commitMsg(f, ws[0], jobID, "4")
	short.Commitment = short.Commitment[:31]
	f.requireRejected(types.ErrInvalidCommitment, commit(short))
	f.commitResult(ws[0], jobID, "4")
	f.requireRejected(types.ErrAlreadyCommitted, commit(commitMsg(f, ws[0], jobID, "4")))
	f.requireRejected(types.ErrWrongPhase, reveal(revealMsg(f, ws[0], jobID, "4")))
	// ws[1] copies ws[0]'s commitment; ws[2] commits honestly: reveals open.
	copied := commitMsg(f, ws[1], jobID, "4")
	copied.Commitment = commitMsg(f, ws[0], jobID, "4").Commitment
	f.commitResult(ws[2], jobID, "4")
	_, err := f.msg.CommitResult(f.ctx, copied)
	require.NoError(t, err)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(jobID).Status)
	f.endBlock()

	f.next()
	f.revealResult(ws[0], jobID, "4")
	// The copier replays ws[0]'s reveal (output and salt): its own address
	// goes into the recomputed commitment, which does not match.
	replay := revealMsg(f, ws[0], jobID, "4")
	replay.Worker = f.bech(ws[1])
	f.requireRejected(types.ErrCommitmentMismatch, reveal(replay))
	f.requireRejected(types.ErrCommitmentMismatch, reveal(revealMsg(f, ws[2], jobID, "5")))
	wrongSalt := revealMsg(f, ws[2], jobID, "4")
	wrongSalt.Salt = bytes.Repeat([]byte{1}, 32)
	f.requireRejected(types.ErrCommitmentMismatch, reveal(wrongSalt))
	f.requireRejected(types.ErrNotAssigned, reveal(revealMsg(f, outsider, jobID, "4")))
	f.requireRejected(types.ErrAlreadyRevealed, reveal(revealMsg(f, ws[0], jobID, "4")))
	big := revealMsg(f, ws[2], jobID, string(bytes.Repeat([]byte{'x'}, 1025)))
	f.requireRejected(types.ErrInvalidOutput, reveal(big))
	shortSalt := revealMsg(f, ws[2], jobID, "4")
	shortSalt.Salt = shortSalt.Salt[:15]
	f.requireRejected(types.ErrInvalidOutput, reveal(shortSalt))
	badDigest := revealMsg(f, ws[2], jobID, "4")
	badDigest.OutputDigest = types.Digest([]byte("5"))
	f.requireRejected(types.ErrInvalidOutput, reveal(badDigest))
	f.endBlock()

	// The other job: past its commit phase, a commit is refused and a
	// worker that did not commit cannot reveal.
	lateJob := f.job(late)
	lw := f.assigned(late)
	f.block(func() {
		f.commitResult(lw[0], late, "4")
		f.commitResult(lw[1], late, "4")
	})
	f.advanceTo(lateJob.CommitEnd)
	require.Equal(t, types.JOB_STATUS_REVEALING, f.job(late).Status, "2 of 3 committed: reveals open at commit_end")
	f.next()
	f.requireRejected(types.ErrCommitPhaseOver, commit(commitMsg(f, lw[2], late, "4")))
	f.requireRejected(types.ErrNotCommitted, reveal(revealMsg(f, lw[2], late, "4")))
	f.endBlock()

	// Past the deadline, before the EndBlocker ends the job: too late.
	job := f.job(jobID)
	f.advanceTo(job.Deadline - 1)
	f.next()
	require.Equal(t, job.Deadline, f.height())
	f.next() // height deadline + 1 without the deadline's EndBlock
	f.requireRejected(types.ErrDeadlinePassed, reveal(revealMsg(f, ws[2], jobID, "4")))
	f.endBlock()
	require.Equal(t, types.JOB_STATUS_EXPIRED, f.job(jobID).Status, "one reveal of three: no quorum")
	f.next()
	f.requireRejected(types.ErrJobEnded, reveal(revealMsg(f, ws[2], jobID, "4")))
	f.requireRejected(types.ErrJobEnded, commit(commitMsg(f, ws[2], jobID, "4")))
}
