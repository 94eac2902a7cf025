package jobs

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/state"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

const lmID = "mesh-lm-v1"

var testSpec = inferencetypes.VerifySpec{MaxNewTokens: 16, TopK: 4, MinInTopKBps: 9000, MaxMeanGapMilli: 500,
	MinRegenAgreementBps: 8000, VerifierShareBps: 3000}

// fakeLM generates "echo: <input>" and scores an output by whether it is
// that text: 10000 / 50 when it is, 1000 / 4000 otherwise.
type fakeLM struct {
	generated, scored atomic.Int32
	settings          atomic.Value
}

func (*fakeLM) Name() string { return "fake-lm" }

func (f *fakeLM) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	return f.Generate(ctx, model, input, backends.GenSettings{MaxTokens: 16})
}

func (f *fakeLM) Generate(_ context.Context, _ string, input []byte, s backends.GenSettings) ([]byte, error) {
	f.generated.Add(1)
	f.settings.Store(s)
	return append([]byte("echo: "), input...), nil
}

func (f *fakeLM) Score(_ context.Context, _ string, input, output []byte, s backends.GenSettings) (backends.Score, error) {
	f.scored.Add(1)
	f.settings.Store(s)
	if bytes.Equal(output, append([]byte("echo: "), input...)) {
		return backends.Score{Method: "rescore", Tokens: 12, InTopKBps: 10000, MeanGapMilli: 50, EndOK: true}, nil
	}
	return backends.Score{Method: "rescore", Tokens: 12, InTopKBps: 1000, MeanGapMilli: 4000, EndOK: true}, nil
}

// verifyLoop replaces the env's loop with one whose LM backend is lm.
func (e *env) verifyLoop(lm *fakeLM) {
	e.t.Helper()
	e.node.AddModel(inferencetypes.Model{Id: lmID, Runtime: inferencetypes.RuntimeInt8Embedded, Status: inferencetypes.MODEL_STATUS_ACTIVE,
		Modes: []inferencetypes.ConsensusMode{inferencetypes.CONSENSUS_MODE_VERIFY}, Verify: &testSpec})
	store, err := state.OpenJobs(e.dir)
	require.NoError(e.t, err)
	e.loop, err = New(Config{Chain: e.client, Backends: Backends{Embedded: e.be, LM: lm, LMID: lmID}, Store: store, Metrics: health.NewMetrics(),
		Logger: testLogger(e.t), PollInterval: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	require.NoError(e.t, err)
}

func (e *env) addr4(b byte) string {
	s, err := chain.AddressCodec.BytesToString(bytes.Repeat([]byte{b}, 20))
	require.NoError(e.t, err)
	return s
}

// TestVerifyGenerator: the worker drawn as a VERIFY job's generator
// generates under the job's settings, commits, and reveals the text.
func TestVerifyGenerator(t *testing.T) {
	e := newEnv(t)
	lm := &fakeLM{}
	e.verifyLoop(lm)
	id := e.node.AddJob(inferencetypes.Job{ModelId: lmID, Input: []byte("hi"), Mode: inferencetypes.CONSENSUS_MODE_VERIFY, Redundancy: 4,
		Verify: &testSpec, CommitEnd: 10, Deadline: 40, Assignments: chaintest.Assign(e.client.Address())})
	e.step() // generates
	require.Equal(t, backends.GenSettings{MaxTokens: 16, TopK: 4}, lm.settings.Load())
	e.step() // commits: the only seat, reveals open
	require.Equal(t, inferencetypes.JOB_STATUS_REVEALING, e.node.Job(id).Status)
	e.step() // reveals
	j := e.node.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_VERIFYING, j.Status)
	require.Equal(t, "echo: hi", string(j.Assignments[0].Output))
	e.step()
	require.Equal(t, int32(1), lm.generated.Load())
	require.Zero(t, lm.scored.Load())
}

// TestVerifyVerifier: drawn as a verifier, the worker scores the
// generator's output, commits to the verdict, waits for the other
// verifiers (or commit_end), and reveals a verdict the chain accepts; a
// bad output gets a rejecting verdict.
func TestVerifyVerifier(t *testing.T) {
	for _, tc := range []struct {
		name   string
		output string
		accept bool
	}{{"honest", "echo: hi", true}, {"pasted", "lorem ipsum", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			lm := &fakeLM{}
			e.verifyLoop(lm)
			gen, v2, v3 := e.addr4(3), e.addr4(4), e.addr4(5)
			as := chaintest.Assign(gen, e.client.Address(), v2, v3)
			as[0].Commitment, as[0].Output, as[0].RevealHeight = bytes.Repeat([]byte{1}, 32), []byte(tc.output), 2
			for i := 1; i < 4; i++ {
				as[i].Verifier = true
			}
			id := e.node.AddJob(inferencetypes.Job{ModelId: lmID, Input: []byte("hi"), Mode: inferencetypes.CONSENSUS_MODE_VERIFY, Redundancy: 4,
				Verify: &testSpec, Status: inferencetypes.JOB_STATUS_VERIFYING, VerifiersHeight: 3, VerifyDrawHeight: 3,
				CommitEnd: 10, Deadline: 40, Assignments: as})
			e.node.UpdateJob(id, func(j *inferencetypes.Job) { j.Status = inferencetypes.JOB_STATUS_VERIFYING })
			e.step() // scores
			require.Equal(t, int32(1), lm.scored.Load())
			e.step() // commits the verdict
			ours := e.node.Job(id).Assignments[1]
			require.Len(t, ours.Commitment, 32)
			e.step() // the others have not committed, commit_end is ahead: waits
			require.Zero(t, e.node.Job(id).Assignments[1].RevealHeight)
			e.node.SetHeight(10) // commit_end: a reveal now lands after it
			e.step()
			ours = e.node.Job(id).Assignments[1]
			require.Positive(t, ours.RevealHeight)
			require.NotNil(t, ours.Verdict)
			require.Equal(t, tc.accept, ours.Verdict.Accept)
			require.Equal(t, "rescore", ours.Verdict.Method)
			require.Equal(t, inferencetypes.VerdictDigest(*ours.Verdict), ours.OutputDigest)
			require.Zero(t, lm.generated.Load(), "a verifier never generates")
		})
	}
}
