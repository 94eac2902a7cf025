package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/chain/chaintest"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/sidecar"
	"github.com/llmesh/mesh/worker/state"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

const chainID = "mesh-local-1"

// countingBackend counts inferences and can be told to fail.
type countingBackend struct {
	backends.Inference
	calls atomic.Int32
	mu    sync.Mutex
	err   error
}

func (b *countingBackend) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	b.calls.Add(1)
	b.mu.Lock()
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return b.Inference.Infer(ctx, model, input)
}

func (b *countingBackend) setErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

// env is a fake node served on loopback, a real client with a worker key,
// and a job loop over a state directory.
type env struct {
	t      *testing.T
	node   *chaintest.Node
	client *chain.Client
	addr   []byte
	dir    string
	be     *countingBackend
	m      *health.Metrics
	st     *health.Status
	loop   *Loop
	other  string // a second assigned worker, played by the test
	// sidecar, when set, is handed to every loop (see withSidecar), with
	// grace as its SidecarGrace.
	sidecar *sidecar.Store
	grace   int64
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t *testing.T) *env {
	t.Helper()
	chain.SetSDKConfig()
	enc, err := chain.NewEncoding()
	require.NoError(t, err)
	kr := keyring.NewInMemory(enc.Codec)
	_, _, err = chain.CreateKey(kr, chain.KeyName)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c, err := chain.Dial(chain.Config{GRPCAddr: lis.Addr().String(), ChainID: chainID, Keyring: kr,
		Backoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, RequestTimeout: 2 * time.Second, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	n, err := chaintest.New(chainID)
	require.NoError(t, err)
	n.AddAccount(c.Address())
	n.Serve(t, lis)
	n.AddModel(inferencetypes.Model{Id: embedded.ModelID, Runtime: inferencetypes.RuntimeInt8Embedded,
		WeightsDigest: embedded.WeightsDigest, Deterministic: true, Status: inferencetypes.MODEL_STATUS_ACTIVE})
	addr, err := chain.AddressCodec.StringToBytes(c.Address())
	require.NoError(t, err)
	other, err := chain.AddressCodec.BytesToString(bytes.Repeat([]byte{7}, 20))
	require.NoError(t, err)
	e := &env{t: t, node: n, client: c, addr: addr, dir: t.TempDir(), other: other}
	e.restart(nil)
	return e
}

// restart makes a new loop over the same state directory (a new process),
// with a fresh backend that fails with err when it is not nil.
func (e *env) restart(err error) {
	e.t.Helper()
	model, merr := embedded.New()
	require.NoError(e.t, merr)
	e.be = &countingBackend{Inference: model, err: err}
	store, serr := state.OpenJobs(e.dir)
	require.NoError(e.t, serr)
	e.m, e.st = health.NewMetrics(), health.NewStatus(e.client.Address(), "cpu")
	e.loop, err = New(Config{Chain: e.client, Backends: Backends{Embedded: e.be}, Store: store, Metrics: e.m, Status: e.st,
		Logger: testLogger(e.t), Sidecar: e.sidecar, SidecarGrace: e.grace, Models: []string{embedded.ModelID}, PollInterval: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	require.NoError(e.t, err)
}

// step polls once and waits for the inferences it started.
func (e *env) step() {
	e.t.Helper()
	require.NoError(e.t, e.loop.Step(context.Background()))
	e.loop.Wait()
}

// addJob assigns a job on the embedded model to the worker and e.other.
func (e *env) addJob(input string, workers ...string) uint64 {
	if len(workers) == 0 {
		workers = []string{e.client.Address(), e.other}
	}
	return e.node.AddJob(inferencetypes.Job{ModelId: embedded.ModelID, Input: []byte(input), Mode: inferencetypes.CONSENSUS_MODE_EXACT,
		CommitEnd: 10, Deadline: 20, Assignments: chaintest.Assign(workers...)})
}

// otherCommits plays the second worker committing output.
func (e *env) otherCommits(id uint64, output []byte) {
	addr, _ := chain.AddressCodec.StringToBytes(e.other)
	e.node.UpdateJob(id, func(j *inferencetypes.Job) {
		a := &j.Assignments[1]
		a.Commitment = inferencetypes.Commitment(id, addr, inferencetypes.Digest(output), bytes.Repeat([]byte{9}, 32))
		a.CommitHeight = 3
		if len(j.Assignments[0].Commitment) > 0 {
			j.Status = inferencetypes.JOB_STATUS_REVEALING
		}
	})
}

func (e *env) record(id uint64) (state.JobRecord, bool) {
	store, err := state.OpenJobs(e.dir)
	require.NoError(e.t, err)
	rec, found, err := store.Get(id)
	require.NoError(e.t, err)
	return rec, found
}

func (e *env) ours(id uint64) inferencetypes.Assignment {
	return e.node.Job(id).Assignments[0]
}

const proposal = "Transfer the entire treasury to an unknown address"

func expected(t *testing.T) []byte {
	model, err := embedded.New()
	require.NoError(t, err)
	out, err := model.Infer(context.Background(), embedded.ModelID, []byte(proposal))
	require.NoError(t, err)
	return out
}

func TestNormalJob(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	want := expected(t)

	e.step() // computes in the background and saves the record
	rec, found := e.record(id)
	require.True(t, found)
	require.Equal(t, want, rec.Output)
	require.Len(t, rec.Salt, 32)
	digest := sha256.Sum256(want)
	require.Equal(t, digest[:], rec.OutputDigest)
	// commitment = SHA-256(be64(job) ‖ worker (20 bytes) ‖ output digest ‖ salt)
	pre := append(append(append(binary.BigEndian.AppendUint64(nil, id), e.addr...), digest[:]...), rec.Salt...)
	commitment := sha256.Sum256(pre)
	require.Equal(t, commitment[:], rec.Commitment)
	require.Zero(t, e.node.ResultCommits, "nothing broadcast before the record")

	e.step() // commits
	require.Equal(t, rec.Commitment, e.ours(id).Commitment)
	e.step() // sees the commitment; the other worker has not committed
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsCommitted))
	snap := e.st.Snapshot()
	require.Equal(t, 1, snap.OpenJobs)
	require.Equal(t, []health.JobSnapshot{{ID: id, Model: embedded.ModelID, Status: "COMMITTING", Phase: "committed", CommitEnd: 10, Deadline: 20}}, snap.Jobs)

	e.otherCommits(id, want)
	e.step() // reveals
	a := e.ours(id)
	require.Equal(t, want, a.Output)
	require.Positive(t, a.RevealHeight)
	e.step()
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsRevealed))
	require.Equal(t, uint64(id), e.st.Snapshot().LastJobRevealed)

	// The other worker never reveals; the deadline settles the job on ours.
	e.node.SetHeight(21)
	e.step()
	j := e.node.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FAILED, j.Status, "1 of 2 is below the quorum")
	_, found = e.record(id)
	require.False(t, found, "record pruned once the job ended")
	require.Equal(t, 0.0, testutil.ToFloat64(e.m.JobsMissed))
	require.Equal(t, int32(1), e.be.calls.Load(), "computed once")
	require.Equal(t, 1, e.node.ResultCommits)
	require.Equal(t, 1, e.node.ResultReveals)
	require.Equal(t, 0, e.st.Snapshot().OpenJobs)
	require.Equal(t, 1, testutil.CollectAndCount(e.m.InferenceDuration))
}

func TestRestartBetweenCommitAndReveal(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	e.step()
	e.step()
	require.Len(t, e.ours(id).Commitment, 32)

	// The worker dies; the commit window closes without the other worker;
	// a new process starts over the same state with a backend it must not need.
	e.node.SetHeight(11)
	require.Equal(t, inferencetypes.JOB_STATUS_REVEALING, e.node.Job(id).Status)
	e.restart(errors.New("must not recompute"))
	e.step()
	require.Equal(t, expected(t), e.ours(id).Output, "revealed from disk")
	require.Zero(t, e.be.calls.Load())
	require.Equal(t, 1, e.node.ResultCommits, "no second commit")
	// All committed workers revealed: the job settled (1 answer of r = 2
	// misses the quorum).
	require.Equal(t, inferencetypes.JOB_STATUS_FAILED, e.node.Job(id).Status)
	e.step()
	_, found := e.record(id)
	require.False(t, found)
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsRevealed), "counted when the job ended")
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsCommitted))
}

func TestCrashAfterSaveBeforeCommit(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	e.step() // the record is saved; the process dies before committing
	rec, _ := e.record(id)
	e.restart(errors.New("must not recompute"))
	e.step()
	require.Equal(t, rec.Commitment, e.ours(id).Commitment, "the saved salt, not a new one")
	require.Zero(t, e.be.calls.Load())
}

func TestBackendErrorRetriedNextPoll(t *testing.T) {
	e := newEnv(t)
	e.be.setErr(errors.New("CUDA out of memory"))
	id := e.addJob(proposal)
	e.step()
	_, found := e.record(id)
	require.False(t, found)
	require.Zero(t, e.node.ResultCommits)
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.InferenceErrors.WithLabelValues("embedded")))
	require.Contains(t, e.st.Snapshot().LastError, "CUDA out of memory")

	e.be.setErr(nil)
	time.Sleep(5 * time.Millisecond) // the first retry waits one poll interval
	e.step()
	_, found = e.record(id)
	require.True(t, found)
	e.step()
	require.Len(t, e.ours(id).Commitment, 32)
	require.Equal(t, int32(2), e.be.calls.Load())
}

func TestJobEndedBeforeReveal(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	e.step()
	e.step()
	require.Len(t, e.ours(id).Commitment, 32)

	// The worker was away through the whole reveal window.
	e.node.SetHeight(25)
	require.Equal(t, inferencetypes.JOB_STATUS_EXPIRED, e.node.Job(id).Status)
	e.step()
	require.Zero(t, e.node.ResultReveals, "no reveal after the job ended")
	_, found := e.record(id)
	require.False(t, found)
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.JobsMissed))
}

func TestLaggingOpenJobsKeepRecords(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	e.step()
	// A job missing from the open jobs that Query/Job still calls open keeps its record.
	e.node.UpdateJob(id, func(j *inferencetypes.Job) { j.Assignments[0].Worker = "mesh1hidden" })
	e.step()
	e.node.UpdateJob(id, func(j *inferencetypes.Job) { j.Assignments[0].Worker = e.client.Address() })
	_, found := e.record(id)
	require.True(t, found)
}

func TestCommitWindowClosedSkips(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal)
	e.node.SetHeight(10) // a commit now would land at 11 > commit_end
	e.step()
	require.Zero(t, e.be.calls.Load())
	require.Equal(t, "skipped", e.st.Snapshot().Jobs[0].Phase)
	_, found := e.record(id)
	require.False(t, found)
}

func TestLostRecordCannotReveal(t *testing.T) {
	e := newEnv(t)
	e.addJob(proposal)
	e.step()
	e.step()
	require.NoError(t, os.RemoveAll(e.dir))
	e.node.SetHeight(11)
	e.restart(nil)
	e.step()
	require.Zero(t, e.node.ResultReveals)
	require.Equal(t, "stuck", e.st.Snapshot().Jobs[0].Phase)
	_, err := os.Stat(filepath.Join(e.dir, "job-1.json"))
	require.True(t, os.IsNotExist(err))
}

func TestUnservedRuntimeIsNotAnswered(t *testing.T) {
	e := newEnv(t)
	e.node.AddModel(inferencetypes.Model{Id: "llama", Runtime: "openai:llama-3.1-8b", Status: inferencetypes.MODEL_STATUS_ACTIVE})
	id := e.node.AddJob(inferencetypes.Job{ModelId: "llama", Input: []byte("hi"), CommitEnd: 10, Deadline: 20,
		Assignments: chaintest.Assign(e.client.Address())})
	e.step()
	require.Equal(t, "retrying", e.st.Snapshot().Jobs[0].Phase)
	require.Contains(t, e.st.Snapshot().LastError, "needs --openai-url")
	_, found := e.record(id)
	require.False(t, found)
}

// TestRun runs the loop against a node that makes blocks every 10ms, on a
// job only this worker answers: it finalizes with the embedded output.
func TestRun(t *testing.T) {
	e := newEnv(t)
	id := e.addJob(proposal, e.client.Address())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.loop.Run(ctx) }()
	go func() {
		for ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
			e.node.Advance(1)
		}
	}()
	require.Eventually(t, func() bool { return e.node.Job(id).Status == inferencetypes.JOB_STATUS_FINALIZED },
		10*time.Second, 5*time.Millisecond)
	require.Equal(t, expected(t), e.node.Job(id).Result)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

// fixed answers every inference with its bytes.
type fixed string

func (fixed) Name() string { return "exec" }
func (f fixed) Infer(context.Context, string, []byte) ([]byte, error) {
	return []byte(f), nil
}

func TestMedianOutputIsCanonical(t *testing.T) {
	e := newEnv(t)
	e.node.AddModel(inferencetypes.Model{Id: "eth-usd", Runtime: "exec:price-feed", Status: inferencetypes.MODEL_STATUS_ACTIVE})
	id := e.node.AddJob(inferencetypes.Job{ModelId: "eth-usd", Input: []byte("ETH/USD in cents"), Mode: inferencetypes.CONSENSUS_MODE_MEDIAN,
		Tolerance: 5, CommitEnd: 10, Deadline: 20, Assignments: chaintest.Assign(e.client.Address())})
	e.loop.cfg.Backends.Exec = fixed(" +0312455\n")
	e.step()
	e.step()
	e.step()
	j := e.node.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status)
	require.Equal(t, "312455", string(j.Result))
}

func TestRefusedTxWaitsWithoutStoppingOtherJobs(t *testing.T) {
	e := newEnv(t)
	first, second := e.addJob(proposal), e.addJob("Fix typos in the governance documentation")
	e.step() // both outputs ready
	reject := func() *sdk.TxResponse {
		return &sdk.TxResponse{Codespace: "sdk", Code: 13, RawLog: "insufficient fees"}
	}
	e.node.Do(func(n *chaintest.Node) {
		// The batch of both commits is refused, then the first commit alone.
		n.RejectNext = reject()
		n.BeforeBroadcast = func(n *chaintest.Node) {
			n.BeforeBroadcast = func(n *chaintest.Node) { n.RejectNext = reject() }
		}
	})
	e.step() // the first commit is refused, the second goes through
	require.Empty(t, e.ours(first).Commitment)
	require.Len(t, e.ours(second).Commitment, 32)
	require.Contains(t, e.st.Snapshot().LastError, "insufficient fee")

	e.step() // too early to try again
	require.Empty(t, e.ours(first).Commitment)
	e.node.SetHeight(4)
	e.step()
	require.Len(t, e.ours(first).Commitment, 32)
}

// The commits (and the reveals) of one poll leave in one tx: a worker with
// many concurrent jobs does not spend blocks on tx round trips.
func TestOneTxPerStepForManyJobs(t *testing.T) {
	e := newEnv(t)
	ids := []uint64{e.addJob(proposal), e.addJob("Fix typos in the governance documentation"), e.addJob("Raise the input limit")}
	e.step() // outputs ready
	before := e.node.Broadcasts
	e.step() // three commits
	require.Equal(t, before+1, e.node.Broadcasts, "one tx for the three commits")
	for _, id := range ids {
		require.Len(t, e.ours(id).Commitment, 32)
	}
}

// A checkpoint x/training registered (runtime int8-embedded, its own id,
// weights by digest and URI) is fetched, verified and answered; a model
// whose blob does not match its digest fails like any backend error.
func TestTrainedModelJob(t *testing.T) {
	e := newEnv(t)
	base, err := federated.Initial(train.Default)
	require.NoError(t, err)
	ck, _, err := federated.LocalUpdate(base, federated.Shard(train.Dataset(), 1, 8), federated.DefaultHyper(), 1)
	require.NoError(t, err)
	blob := ck.Encode()
	sum := sha256.Sum256(blob)
	digest := hex.EncodeToString(sum[:])
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/blobs/"+digest {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(blob)
	}))
	defer srv.Close()
	const trainedID = "mesh-embedded-v1-t1"
	e.node.AddModel(inferencetypes.Model{Id: trainedID, Runtime: inferencetypes.RuntimeInt8Embedded, WeightsDigest: digest,
		WeightsUri: srv.URL + "/blobs/" + digest, Deterministic: true, Status: inferencetypes.MODEL_STATUS_ACTIVE})
	e.node.AddModel(inferencetypes.Model{Id: "mesh-embedded-v1-t2", Runtime: inferencetypes.RuntimeInt8Embedded,
		WeightsDigest: strings.Repeat("ab", 32), WeightsUri: srv.URL + "/blobs/" + digest, Status: inferencetypes.MODEL_STATUS_ACTIVE})
	be, err := embedded.NewWithOptions(embedded.Options{CacheDir: t.TempDir()})
	require.NoError(t, err)
	e.loop.cfg.Backends.Embedded = be

	id := e.node.AddJob(inferencetypes.Job{ModelId: trainedID, Input: []byte(proposal), Mode: inferencetypes.CONSENSUS_MODE_EXACT,
		CommitEnd: 10, Deadline: 20, Assignments: chaintest.Assign(e.client.Address())})
	e.step() // fetches, verifies, computes, saves
	e.step() // commits
	e.step() // reveals
	j := e.node.Job(id)
	require.Equal(t, inferencetypes.JOB_STATUS_FINALIZED, j.Status)
	want := ck.Weights().Classify([]byte(proposal)).OutputFor(trainedID)
	require.Equal(t, string(want), string(j.Result))
	require.Regexp(t, `^\{"label":"(low|medium|high)","score":\d+,"model":"mesh-embedded-v1-t1"\}$`, string(j.Result))
	require.Equal(t, int32(1), hits.Load())

	bad := e.node.AddJob(inferencetypes.Job{ModelId: "mesh-embedded-v1-t2", Input: []byte(proposal), Mode: inferencetypes.CONSENSUS_MODE_EXACT,
		CommitEnd: 10, Deadline: 20, Assignments: chaintest.Assign(e.client.Address())})
	e.step()
	_, found := e.record(bad)
	require.False(t, found)
	require.Contains(t, e.st.Snapshot().LastError, "not the weights digest")
	require.Equal(t, 1.0, testutil.ToFloat64(e.m.InferenceErrors.WithLabelValues("embedded")))
}
